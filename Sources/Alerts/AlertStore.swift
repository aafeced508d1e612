import Basics
import Foundation
import SQLKit
import Storage

/// Incidents in the database, shared by every instance: one open incident per key.
public struct AlertStore: Sendable {
    let database: any Database
    public let clock: any WallClock

    public init(database: any Database, clock: any WallClock) {
        self.database = database
        self.clock = clock
    }

    /// Opens an incident for `signal` unless one is open under its key; true when this opened it.
    @discardableResult
    public func open(_ signal: AlertSignal, at time: Date) async throws -> Bool {
        try await database.transaction { db in
            // `ON CONFLICT DO NOTHING` against the partial unique index on open keys.
            let rows = try await db.raw(
                """
                INSERT INTO alerts (key, title, detail, opened_at) VALUES (\(bind: signal.key), \(bind: signal.title),
                    \(bind: signal.detail), \(bind: time.milliseconds))
                ON CONFLICT DO NOTHING RETURNING id
                """
            ).all()
            return !rows.isEmpty
        }
    }

    /// The open incident under `key` keeps its newest description (a count of dead rows grows).
    public func describe(_ key: String, detail: String) async throws {
        try await database.transaction { db in
            try await db.update("alerts").set("detail", to: detail).where("key", .equal, key).where("closed_at", .is, SQLLiteral.null).run()
        }
    }

    /// Closes the open incident under `key`; true when there was one.
    @discardableResult
    public func close(_ key: String, at time: Date) async throws -> Bool {
        try await database.transaction { db in
            let rows = try await db.raw(
                """
                UPDATE alerts SET closed_at = \(bind: time.milliseconds) WHERE key = \(bind: key) AND closed_at IS NULL RETURNING id
                """
            ).all()
            return !rows.isEmpty
        }
    }

    public func openIncidents() async throws -> [Incident] {
        try await database.read { db in
            try await db.raw("SELECT * FROM alerts WHERE closed_at IS NULL ORDER BY opened_at, id").all().map(Self.decode)
        }
    }

    /// Incidents whose mail is still due, oldest first.
    public func mailDue() async throws -> [Incident] {
        try await database.read { db in
            try await db.raw(
                """
                SELECT * FROM alerts WHERE open_mailed_at IS NULL OR (closed_at IS NOT NULL AND close_mailed_at IS NULL)
                ORDER BY opened_at, id
                """
            ).all().map(Self.decode)
        }
    }

    /// Takes the mail about `incident` for this sender until `until`; false when another
    /// instance is sending it now (a sender that outlived its role cannot send it twice).
    public func claimMail(_ incident: Incident, now: Date, until: Date) async throws -> Bool {
        try await database.transaction { db in
            try await !db.raw(
                """
                UPDATE alerts SET mail_claimed_until = \(bind: until.milliseconds)
                WHERE id = \(bind: incident.id) AND (mail_claimed_until IS NULL OR mail_claimed_until <= \(bind: now.milliseconds))
                RETURNING id
                """
            ).all().isEmpty
        }
    }

    /// The mail about `incident` went: what it covered (the opening, the clearing) is done.
    public func markMailed(_ incident: Incident, at time: Date) async throws {
        try await database.transaction { db in
            var update = db.update("alerts").set("mail_error", to: SQLLiteral.null).set("mail_claimed_until", to: SQLLiteral.null)
                .where("id", .equal, incident.id)
            if incident.openMailedAt == nil { update = update.set("open_mailed_at", to: time.milliseconds) }
            if incident.closedAt != nil { update = update.set("close_mailed_at", to: time.milliseconds) }
            try await update.run()
        }
    }

    public func markMailFailed(_ incident: Incident, error: String) async throws {
        try await database.transaction { db in
            try await db.update("alerts").set("mail_error", to: String(error.prefix(500))).set("mail_claimed_until", to: SQLLiteral.null)
                .where("id", .equal, incident.id).run()
        }
    }

    /// The latest incidents, open or closed (the admin page).
    public func recent(limit: Int) async throws -> [Incident] {
        try await database.read { db in
            try await db.raw("SELECT * FROM alerts ORDER BY opened_at DESC, id DESC LIMIT \(literal: max(1, min(limit, 500)))").all()
                .map(Self.decode)
        }
    }

    /// Every incident key there has been, and whether one of it is open (the `alerts_active` gauge).
    public func keys() async throws -> [(key: String, open: Bool)] {
        try await database.read { db in
            try await db.raw("SELECT key, MAX(CASE WHEN closed_at IS NULL THEN 1 ELSE 0 END) AS open FROM alerts GROUP BY key ORDER BY key").all()
                .map { (try $0.decode(column: "key", as: String.self), try $0.decode(column: "open", as: Int.self) == 1) }
        }
    }

    static func decode(_ row: any SQLRow) throws -> Incident {
        func date(_ column: String) throws -> Date? {
            try row.decodeNil(column: column) ? nil : Date(milliseconds: try row.decode(column: column, as: Int64.self))
        }
        return Incident(
            id: try row.decode(column: "id", as: Int.self), key: try row.decode(column: "key", as: String.self),
            title: try row.decode(column: "title", as: String.self), detail: try row.decode(column: "detail", as: String.self),
            openedAt: Date(milliseconds: try row.decode(column: "opened_at", as: Int64.self)), closedAt: try date("closed_at"),
            openMailedAt: try date("open_mailed_at"), closeMailedAt: try date("close_mailed_at"),
            mailError: try row.decodeNil(column: "mail_error") ? nil : try row.decode(column: "mail_error", as: String.self))
    }
}
