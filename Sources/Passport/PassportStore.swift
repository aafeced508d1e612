import Basics
import Foundation
import SQLKit
import Storage

/// Passports in the database, and the amoCRM events they are made from.
public struct PassportStore: Sendable {
    let database: any Database
    public let clock: any WallClock

    public init(database: any Database, clock: any WallClock) {
        self.database = database
        self.clock = clock
    }

    /// An event waiting to be worked through.
    public struct PendingEvent: Sendable, Equatable {
        public var id: Int
        public var leadID: Int
        public var statusID: Int
        public var receivedAt: Date
        /// Reports of the deal so far (amoCRM repeats itself; the deal may be won again).
        public var reports: Int
    }

    /// The oldest events not worked through yet.
    public func pendingEvents(limit: Int) async throws -> [PendingEvent] {
        try await database.read { db in
            try await db.raw(
                """
                SELECT id, lead_id, status_id, received_at, reports FROM amocrm_events
                WHERE processed_at IS NULL ORDER BY id LIMIT \(literal: max(1, limit))
                """
            ).all().map { row in
                PendingEvent(
                    id: try row.decode(column: "id", as: Int.self), leadID: try row.decode(column: "lead_id", as: Int.self),
                    statusID: try row.decode(column: "status_id", as: Int.self),
                    receivedAt: Date(milliseconds: try row.decode(column: "received_at", as: Int64.self)),
                    reports: try row.decode(column: "reports", as: Int.self))
            }
        }
    }

    /// Settles events as they were read: one that got another report since (the deal was won
    /// again while it was being looked at) stays waiting, to be looked at again.
    public func settle(_ events: [PendingEvent], error: String? = nil) async throws {
        guard !events.isEmpty else { return }
        let now = clock.now().milliseconds
        try await database.transaction { db in
            for event in events {
                try await db.update("amocrm_events").set("processed_at", to: now).set("error", to: error)
                    .where("id", .equal, event.id).where("reports", .equal, event.reports).where("processed_at", .is, SQLLiteral.null).run()
            }
        }
    }

    /// Marks events worked through; `error` says why one could not be acted on.
    public func markProcessed(_ ids: [Int], error: String? = nil) async throws {
        guard !ids.isEmpty else { return }
        let now = clock.now().milliseconds
        try await database.transaction { db in
            try await Self.markProcessed(ids, error: error, at: now, in: db)
        }
    }

    static func markProcessed(_ ids: [Int], error: String?, at now: Int64, in db: any SQLDatabase) async throws {
        // `IN ()` is a syntax error on PostgreSQL.
        guard !ids.isEmpty else { return }
        try await db.update("amocrm_events").set("processed_at", to: now).set("error", to: error)
            .where("id", .in, ids).run()
    }

    /// Stores `passport` unless its deal has one already, and marks `events` worked through, in
    /// one transaction. Returns the deal's passport: the new one, or the one it had.
    public func issue(_ passport: Passport, events: [Int]) async throws -> (passport: Passport, created: Bool) {
        let now = clock.now().milliseconds
        let specs = String(decoding: try JSONEncoder().encode(passport.specs), as: UTF8.self)
        return try await database.transaction { db in
            let inserted = try await db.raw(
                """
                INSERT INTO passports (code, amo_lead_id, lead_number, product_id, product_name, product_sku, product_url, specs, buyer,
                    serial, sold_at, warranty_months, warranty_until, issued_at)
                VALUES (\(bind: passport.code), \(bind: passport.amoLeadID), \(bind: passport.leadNumber), \(bind: passport.product.id),
                    \(bind: passport.product.name), \(bind: passport.product.sku), \(bind: passport.product.url), \(bind: specs),
                    \(bind: passport.buyer), \(bind: passport.serial), \(bind: passport.soldAt.milliseconds),
                    \(bind: passport.warrantyMonths), \(bind: passport.warrantyUntil.milliseconds), \(bind: passport.issuedAt.milliseconds))
                ON CONFLICT (amo_lead_id) DO NOTHING
                RETURNING code
                """
            ).all()
            try await Self.markProcessed(events, error: nil, at: now, in: db)
            if !inserted.isEmpty { return (passport, true) }
            let existing = try await db.raw("SELECT * FROM passports WHERE amo_lead_id = \(bind: passport.amoLeadID)").first()
            guard let existing else { throw PassportStoreError.vanished(passport.amoLeadID) }
            return (try Self.decode(existing), false)
        }
    }

    public func passport(code: String) async throws -> Passport? {
        try await database.read { db in
            try await db.raw("SELECT * FROM passports WHERE code = \(bind: code)").first().map(Self.decode)
        }
    }

    public func passport(amoLeadID: Int) async throws -> Passport? {
        try await database.read { db in
            try await db.raw("SELECT * FROM passports WHERE amo_lead_id = \(bind: amoLeadID)").first().map(Self.decode)
        }
    }

    /// Deals among `ids` that have a passport.
    public func dealsWithPassports(_ ids: [Int]) async throws -> Set<Int> {
        guard !ids.isEmpty else { return [] }
        return try await database.read { db in
            Set(
                try await db.select().column("amo_lead_id").from("passports").where("amo_lead_id", .in, ids).all()
                    .map { try $0.decode(column: "amo_lead_id", as: Int.self) })
        }
    }

    /// The newest passports first.
    public func recent(limit: Int, offset: Int = 0) async throws -> [Passport] {
        try await database.read { db in
            try await db.raw(
                "SELECT * FROM passports ORDER BY issued_at DESC, amo_lead_id DESC LIMIT \(literal: max(1, limit)) OFFSET \(literal: max(0, offset))"
            ).all().map(Self.decode)
        }
    }

    public func count() async throws -> Int {
        try await database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM passports").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// Passports whose note on the amoCRM deal is still to be added (revoked ones get none).
    public func notesDue(limit: Int) async throws -> [Passport] {
        try await due("note_added_at", limit: limit)
    }

    /// Passports whose copy to the sales mailbox is still to be sent.
    public func mailDue(limit: Int) async throws -> [Passport] {
        try await due("mailed_at", limit: limit)
    }

    private func due(_ column: String, limit: Int) async throws -> [Passport] {
        try await database.read { db in
            try await db.raw(
                """
                SELECT * FROM passports WHERE \(ident: column) IS NULL AND revoked_at IS NULL
                ORDER BY issued_at, amo_lead_id LIMIT \(literal: max(1, limit))
                """
            ).all().map(Self.decode)
        }
    }

    public func markNoted(_ codes: [String]) async throws { try await mark("note_added_at", codes) }
    public func markMailed(_ codes: [String]) async throws { try await mark("mailed_at", codes) }

    private func mark(_ column: String, _ codes: [String]) async throws {
        guard !codes.isEmpty else { return }
        let now = clock.now().milliseconds
        try await database.transaction { db in
            try await db.update("passports").set(SQLIdentifier(column), to: SQLBind(now)).where("code", .in, codes).run()
        }
    }

    /// Revokes a passport: its page says so from now on. False if there is no such passport.
    public func revoke(code: String) async throws -> Bool {
        let now = clock.now().milliseconds
        return try await database.transaction { db in
            try await !db.raw(
                "UPDATE passports SET revoked_at = \(bind: now) WHERE code = \(bind: code) AND revoked_at IS NULL RETURNING code"
            ).all().isEmpty
        }
    }

    /// Makes the note on the deal due again (it was deleted in amoCRM, say). False if there is no
    /// such passport, or it is revoked.
    public func reissueNote(code: String) async throws -> Bool {
        try await database.transaction { db in
            try await !db.raw(
                "UPDATE passports SET note_added_at = NULL WHERE code = \(bind: code) AND revoked_at IS NULL RETURNING code"
            ).all().isEmpty
        }
    }

    static func decode(_ row: any SQLRow) throws -> Passport {
        func text(_ column: String) throws -> String? { try row.decodeNil(column: column) ? nil : row.decode(column: column, as: String.self) }
        func int(_ column: String) throws -> Int? { try row.decodeNil(column: column) ? nil : row.decode(column: column, as: Int.self) }
        func date(_ column: String) throws -> Date? {
            try row.decodeNil(column: column) ? nil : Date(milliseconds: row.decode(column: column, as: Int64.self))
        }
        let specs = (try? JSONDecoder().decode([Passport.Spec].self, from: Data((try text("specs") ?? "[]").utf8))) ?? []
        return Passport(
            code: try row.decode(column: "code", as: String.self), amoLeadID: try row.decode(column: "amo_lead_id", as: Int.self),
            leadNumber: try int("lead_number"),
            product: .init(id: try int("product_id"), name: try text("product_name") ?? "", sku: try text("product_sku"), url: try text("product_url")),
            specs: specs, buyer: try text("buyer") ?? "", serial: try text("serial"), soldAt: try date("sold_at") ?? .distantPast,
            warrantyMonths: try int("warranty_months") ?? 0, warrantyUntil: try date("warranty_until") ?? .distantPast,
            issuedAt: try date("issued_at") ?? .distantPast, revokedAt: try date("revoked_at"), noteAddedAt: try date("note_added_at"),
            mailedAt: try date("mailed_at"))
    }
}

enum PassportStoreError: Error, CustomStringConvertible {
    case vanished(Int)

    var description: String {
        switch self {
        case .vanished(let deal): "the passport of deal \(deal) was neither inserted nor found"
        }
    }
}
