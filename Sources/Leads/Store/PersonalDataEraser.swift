import Basics
import Foundation
import Logging
import SQLKit
import Storage

/// Erases customers' personal data (152-ФЗ): from leads whose deliveries ended longer ago than
/// the retention period (`LEAD_RETENTION_DAYS`), or from all of one customer's leads on
/// request. What goes: name, phone, e-mail, company, comment, the consent's IP and browser,
/// the stored payload, error texts that may quote them, the amoCRM contact mapping of the phone
/// and e-mail, and the lead's mail file in `MAIL_DIR`. What stays: the lead's number, time,
/// source, product, UTM and delivery states (the deal stays in amoCRM; passports keep their
/// buyer as the record of a sale). The log says how many, never whose.
public struct PersonalDataEraser: Sendable {
    let database: any Database
    let clock: any WallClock
    /// Where file mail is written (nil with SMTP: the mailbox is not ours to clean).
    let mailDirectory: String?
    /// The keys under which amoCRM contacts are remembered for a phone and an e-mail.
    let contactKeys: @Sendable (_ phone: String?, _ email: String?) -> [String]
    let logger: Logger

    public static let erasedName = "удалено"

    public init(
        database: any Database, clock: any WallClock, mailDirectory: String?,
        contactKeys: @escaping @Sendable (_ phone: String?, _ email: String?) -> [String], logger: Logger
    ) {
        self.database = database
        self.clock = clock
        self.mailDirectory = mailDirectory
        self.contactKeys = contactKeys
        self.logger = logger
    }

    public struct Erased: Sendable, Equatable {
        public var leads: Int
        public var mailFiles: Int
    }

    /// Leads whose every delivery ended (delivered or cancelled) more than `days` ago. A lead
    /// still waiting or dead is kept until it is dealt with.
    @discardableResult
    public func eraseExpired(days: Int) async throws -> Erased {
        let cutoff = clock.now().addingTimeInterval(-Double(days) * 86_400).milliseconds
        var total = Erased(leads: 0, mailFiles: 0)
        while true {
            let numbers = try await database.read { db in
                try await db.raw(
                    """
                    SELECT number FROM leads l WHERE l.erased_at IS NULL AND l.created_at < \(bind: cutoff)
                    AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.lead_number = l.number
                        AND (o.state IN ('pending', 'dead') OR o.updated_at >= \(bind: cutoff)))
                    ORDER BY number LIMIT 500
                    """
                ).all().map { try $0.decode(column: "number", as: Int.self) }
            }
            guard !numbers.isEmpty else { break }
            let erased = try await erase(numbers, cancelWaiting: false)
            total.leads += erased.leads
            total.mailFiles += erased.mailFiles
            guard numbers.count == 500 else { break }
        }
        if total.leads > 0 {
            logger.notice(
                "personal data erased after the retention period",
                metadata: ["leads": "\(total.leads)", "mail_files": "\(total.mailFiles)", "days": "\(days)"])
        }
        return total
    }

    /// Every lead of the customer who sent lead `number` (the same phone or e-mail), at once;
    /// deliveries still waiting for them are cancelled (there is nothing left to send).
    @discardableResult
    public func eraseCustomer(ofLead number: Int) async throws -> Erased {
        let numbers = try await database.read { db -> [Int] in
            guard let lead = try await db.raw("SELECT phone, email FROM leads WHERE number = \(bind: number)").first() else { return [] }
            let phone = try lead.decodeNil(column: "phone") ? nil : try lead.decode(column: "phone", as: String.self)
            let email = try lead.decodeNil(column: "email") ? nil : try lead.decode(column: "email", as: String.self)
            var query: SQLQueryString = "SELECT number FROM leads WHERE number = \(bind: number)"
            if let phone { query += " OR phone = \(bind: phone)" }
            if let email { query += " OR LOWER(email) = \(bind: email.lowercased())" }
            return try await db.raw(query).all().map { try $0.decode(column: "number", as: Int.self) }
        }
        guard !numbers.isEmpty else { return Erased(leads: 0, mailFiles: 0) }
        let erased = try await erase(numbers, cancelWaiting: true)
        logger.notice("personal data erased on request", metadata: ["leads": "\(erased.leads)", "mail_files": "\(erased.mailFiles)"])
        return erased
    }

    private func erase(_ numbers: [Int], cancelWaiting: Bool) async throws -> Erased {
        let now = clock.now().milliseconds
        let contactKeys = contactKeys
        let files = try await database.transaction { db -> [(number: Int, id: String)] in
            let rows = try await db.select().column("number").column("id").column("phone").column("email").from("leads")
                .where("number", .in, numbers).all()
            var keys: [String] = []
            var files: [(Int, String)] = []
            for row in rows {
                let phone = try row.decodeNil(column: "phone") ? nil : try row.decode(column: "phone", as: String.self)
                let email = try row.decodeNil(column: "email") ? nil : try row.decode(column: "email", as: String.self)
                keys += contactKeys(phone, email)
                files.append((try row.decode(column: "number", as: Int.self), try row.decode(column: "id", as: String.self)))
            }
            try await db.update("leads")
                .set("name", to: Self.erasedName).set("phone", to: SQLLiteral.null).set("email", to: SQLLiteral.null)
                .set("company", to: SQLLiteral.null).set("comment", to: SQLLiteral.null).set("consent_ip", to: SQLLiteral.null)
                .set("consent_user_agent", to: SQLLiteral.null).set("payload", to: "{}").set("idempotency_key", to: SQLLiteral.null)
                .set("erased_at", to: now)
                .where("number", .in, numbers).run()
            if cancelWaiting {
                // A worker that has one of them in hand records nothing now (its lease is gone).
                try await db.update("outbox").set("state", to: OutboxState.cancelled.rawValue).set("updated_at", to: now)
                    .set("lease_owner", to: SQLLiteral.null).set("lease_instance", to: SQLLiteral.null).set("lease_expires_at", to: SQLLiteral.null)
                    .where("lead_number", .in, numbers).where("state", .in, [OutboxState.pending.rawValue, OutboxState.dead.rawValue]).run()
            }
            try await db.update("outbox").set("last_error", to: SQLLiteral.null).where("lead_number", .in, numbers).run()
            try await db.update("delivery_attempts").set("detail", to: SQLLiteral.null).where("lead_number", .in, numbers)
                .where("outcome", .notEqual, "delivered").run()
            if !keys.isEmpty { try await db.delete(from: "amocrm_contacts").where("key", .in, keys).run() }
            return files
        }
        return Erased(leads: files.count, mailFiles: removeMailFiles(files))
    }

    /// `lead-{number}-{id}…eml` in the mail folder (`FileMailTransport` names files by Message-ID).
    private func removeMailFiles(_ leads: [(number: Int, id: String)]) -> Int {
        guard let mailDirectory, !leads.isEmpty,
            let names = try? FileManager.default.contentsOfDirectory(atPath: mailDirectory)
        else { return 0 }
        let prefixes = leads.map { "lead-\($0.number)-\($0.id)" }
        var removed = 0
        for name in names where name.hasSuffix(".eml") && prefixes.contains(where: { name.hasPrefix($0) }) {
            if (try? FileManager.default.removeItem(atPath: mailDirectory + "/" + name)) != nil { removed += 1 }
        }
        return removed
    }
}
