import Basics
import Foundation
import Logging
import SQLKit
import Storage

/// Leads and their outbox rows in the database.
///
/// `accept` returns only after the lead and its outbox rows (`email`, `amocrm`) are
/// committed in one transaction. Concurrent orders share a commit: while one
/// transaction is being written, new orders queue up and go into the next one together,
/// so a burst costs a few fsyncs instead of one per order.
public final class LeadStore: Sendable {

    let database: any Database
    private let committer: GroupCommitter
    /// Every time the store writes (created, due, leased) comes from here, never from SQL.
    public let clock: any WallClock
    let logger: Logger

    public init(database: any Database, clock: any WallClock, logger: Logger, maxBatch: Int = 128) {
        self.database = database
        self.clock = clock
        self.logger = logger
        committer = GroupCommitter(database: database, clock: clock, maxBatch: maxBatch)
    }

    public func accept(_ lead: NewLead) async throws -> AcceptedLead {
        try await committer.submit(lead)
    }

    public func lead(id: String) async throws -> Lead? {
        try await database.read { db in
            try await db.raw("SELECT * FROM leads WHERE id = \(bind: id)").first().map(Self.decodeLead)
        }
    }

    public func lead(number: Int) async throws -> Lead? {
        try await database.read { db in
            try await db.raw("SELECT * FROM leads WHERE number = \(bind: number)").first().map(Self.decodeLead)
        }
    }

    /// Our lead that became amoCRM deal `dealID` (its `amocrm` delivery holds the deal's id).
    public func lead(amoCRMDeal dealID: Int) async throws -> Lead? {
        try await database.read { db in
            try await db.raw(
                """
                SELECT l.* FROM leads l JOIN outbox o ON o.lead_number = l.number
                WHERE o.channel = \(bind: DeliveryChannel.amocrm.rawValue) AND o.state = 'delivered' AND o.external_id = \(bind: String(dealID))
                ORDER BY l.number LIMIT 1
                """
            ).first().map(Self.decodeLead)
        }
    }

    static func decodeLead(_ row: any SQLRow) throws -> Lead {
        func text(_ column: String) throws -> String? { try row.decodeNil(column: column) ? nil : row.decode(column: column, as: String.self) }
        func int(_ column: String) throws -> Int? { try row.decodeNil(column: column) ? nil : row.decode(column: column, as: Int.self) }
        var product: ProductSnapshot?
        if let id = try int("product_id"), let name = try text("product_name") {
            product = ProductSnapshot(
                id: id, name: name, sku: try text("product_sku"), url: try text("product_url") ?? "",
                priceText: try text("product_price") ?? "", amount: try text("product_amount"))
        }
        let order = ValidLead(
            productID: try int("product_id"), name: try text("name") ?? "", phone: try text("phone"), email: try text("email"),
            company: try text("company"), quantity: try int("quantity") ?? 1, comment: try text("comment"),
            utm: try UTM(text))
        return Lead(
            id: try text("id") ?? "", number: try int("number") ?? 0, source: try text("source") ?? "", order: order,
            product: product,
            consent: ConsentRecord(
                at: Date(milliseconds: try row.decode(column: "consent_at", as: Int64.self)), ip: try text("consent_ip"),
                userAgent: try text("consent_user_agent"), version: try text("consent_version") ?? ""),
            createdAt: Date(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
            erasedAt: try row.decodeNil(column: "erased_at") ? nil : Date(milliseconds: try row.decode(column: "erased_at", as: Int64.self)))
    }
}

/// Collects concurrent `accept` calls into shared transactions.
actor GroupCommitter {
    private let database: any Database
    private let clock: any WallClock
    private let maxBatch: Int
    private var pending: [(lead: NewLead, continuation: CheckedContinuation<AcceptedLead, any Error>)] = []
    private var draining = false

    init(database: any Database, clock: any WallClock, maxBatch: Int) {
        self.database = database
        self.clock = clock
        self.maxBatch = maxBatch
    }

    func submit(_ lead: NewLead) async throws -> AcceptedLead {
        try await withCheckedThrowingContinuation { continuation in
            pending.append((lead, continuation))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(maxBatch))
            pending.removeFirst(batch.count)
            do {
                let results = try await LeadWriter.insert(batch.map(\.lead), into: database, now: clock.now())
                for (entry, result) in zip(batch, results) { entry.continuation.resume(returning: result) }
            } catch {
                // One bad lead must not fail the others: write them one by one.
                for entry in batch {
                    do {
                        let result = try await LeadWriter.insert([entry.lead], into: database, now: clock.now())
                        entry.continuation.resume(returning: result[0])
                    } catch {
                        entry.continuation.resume(throwing: error)
                    }
                }
            }
        }
        draining = false
    }
}
