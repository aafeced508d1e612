import Basics
import Foundation
import SQLKit
import Storage

/// Writes a batch of leads and their outbox rows in one transaction.
enum LeadWriter {
    static let leadColumns = [
        "id", "source", "idempotency_key", "name", "phone", "email", "company", "quantity", "comment", "product_id",
        "product_name", "product_sku", "product_url", "product_price", "product_amount", "utm_source", "utm_medium", "utm_campaign",
        "utm_term", "utm_content", "consent_at", "consent_ip", "consent_user_agent", "consent_version", "payload",
        "created_at",
    ]

    static func insert(_ leads: [NewLead], into database: any Database, now date: Date) async throws -> [AcceptedLead] {
        let now = date.milliseconds
        return try await database.transaction { db in
            var results = [AcceptedLead?](repeating: nil, count: leads.count)
            var fresh: [(index: Int, id: String, lead: NewLead)] = []
            var sameKeyAs: [(index: Int, firstIndex: Int)] = []
            var firstIndexForKey: [String: Int] = [:]

            // An Idempotency-Key seen before (or earlier in this batch) returns the first lead.
            for (index, lead) in leads.enumerated() {
                if let key = lead.idempotencyKey {
                    let scoped = lead.source + "\u{0}" + key
                    if let first = firstIndexForKey[scoped] {
                        sameKeyAs.append((index, first))
                        continue
                    }
                    if let row = try await db.raw(
                        "SELECT id, number FROM leads WHERE source = \(bind: lead.source) AND idempotency_key = \(bind: key)"
                    ).first() {
                        results[index] = AcceptedLead(
                            id: try row.decode(column: "id", as: String.self), number: try row.decode(column: "number", as: Int.self),
                            duplicate: true)
                        continue
                    }
                    firstIndexForKey[scoped] = index
                }
                fresh.append((index, RandomHex.make(), lead))
            }

            if !fresh.isEmpty {
                var insert = db.insert(into: "leads").columns(leadColumns)
                for entry in fresh {
                    insert = insert.values(try values(entry.lead, id: entry.id, now: now))
                }
                let rows = try await insert.returning("id", "number").all()
                var numbers: [String: Int] = [:]
                for row in rows {
                    numbers[try row.decode(column: "id", as: String.self)] = try row.decode(column: "number", as: Int.self)
                }
                var outbox = db.insert(into: "outbox").columns("lead_number", "channel", "state", "attempts", "next_attempt_at", "updated_at")
                for entry in fresh {
                    guard let number = numbers[entry.id] else { throw LeadStoreError.insertLost }
                    results[entry.index] = AcceptedLead(id: entry.id, number: number, duplicate: false)
                    for channel in DeliveryChannel.allCases {
                        outbox = outbox.values(number, channel.rawValue, OutboxState.pending.rawValue, 0, now, now)
                    }
                }
                try await outbox.run()
            }
            for (index, first) in sameKeyAs {
                guard var result = results[first] else { continue }
                result.duplicate = true
                results[index] = result
            }
            return try results.map { result in
                guard let result else { throw LeadStoreError.insertLost }
                return result
            }
        }
    }

    static func values(_ lead: NewLead, id: String, now: Int64) throws -> [any Encodable & Sendable] {
        let order = lead.order
        let payload = try JSONEncoder.sorted.encode(
            LeadPayload(source: lead.source, order: order, product: lead.product))
        return [
            id, lead.source, lead.idempotencyKey, order.name, order.phone, order.email, order.company, order.quantity,
            order.comment, lead.product?.id ?? order.productID, lead.product?.name, lead.product?.sku, lead.product?.url,
            lead.product?.priceText, lead.product?.amount, order.utm.source, order.utm.medium, order.utm.campaign, order.utm.term,
            order.utm.content, lead.consent.at.milliseconds, lead.consent.ip, lead.consent.userAgent,
            lead.consent.version, String(decoding: payload, as: UTF8.self), now,
        ]
    }
}

/// The order as received, kept verbatim next to the columns (for audits and re-delivery).
struct LeadPayload: Encodable {
    var source: String
    var order: ValidLead
    var product: ProductSnapshot?
}



public enum LeadStoreError: Error, CustomStringConvertible {
    case insertLost

    public var description: String { "the database did not return the stored lead" }
}


