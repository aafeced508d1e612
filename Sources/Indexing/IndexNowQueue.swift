import Basics
import Foundation
import SQLKit
import Storage

/// Pages waiting to be announced to IndexNow (`indexnow_queue`): written in the transaction
/// that records their change, so a restart or an outage loses none, and one row a page however
/// often it changes before it is sent. A row being sent carries its batch's id; a change that
/// comes meanwhile clears it, so the page is sent again with the next batch.
public struct IndexNowQueue: Sendable {
    let database: any Database
    /// When sending may start again after a 429 or an outage (`settings`, shared by instances).
    static let pauseSetting = "indexnow_paused_until"

    public init(database: any Database) {
        self.database = database
    }

    /// Queues `paths` as changed at `at` (milliseconds), inside the caller's transaction.
    func add(_ paths: [String], at: Int64, in db: any SQLDatabase) async throws {
        for chunk in paths.chunked(by: 500) {
            var query = SQLQueryString("INSERT INTO indexnow_queue (path, queued_at) VALUES ")
            query.appendRows(chunk) { path in [path, at] }
            // Waiting already: it keeps its place. Being sent: it waits again, from now.
            query.appendLiteral(
                """
                 ON CONFLICT (path) DO UPDATE SET
                 queued_at = CASE WHEN indexnow_queue.batch IS NULL THEN indexnow_queue.queued_at ELSE excluded.queued_at END,
                 batch = NULL
                """)
            try await db.raw(query).run()
        }
    }

    /// Pages waiting, and when the first of them came.
    public func pending() async throws -> (count: Int, oldest: Date?) {
        try await database.read { db in
            guard let row = try await db.raw("SELECT COUNT(*) AS waiting, MIN(queued_at) AS oldest FROM indexnow_queue").first() else {
                return (0, nil)
            }
            return (
                try row.decode(column: "waiting", as: Int.self),
                try row.decode(column: "oldest", as: Int64?.self).map(Date.init(milliseconds:))
            )
        }
    }

    /// The waiting paths, oldest first (tests, the admin).
    public func paths() async throws -> [String] {
        try await database.read { db in
            try await db.raw("SELECT path FROM indexnow_queue ORDER BY queued_at, path").all().map { try $0.decode(column: "path", as: String.self) }
        }
    }

    /// Marks up to `limit` of the oldest pages as batch `batch` and returns them. Only the
    /// holder of the sending role calls it, so a row still marked is from a send that never
    /// finished (a crash): it is taken again.
    func claim(limit: Int, batch: String) async throws -> [String] {
        try await database.transaction { db in
            try await db.raw("UPDATE indexnow_queue SET batch = NULL WHERE batch IS NOT NULL").run()
            return try await db.raw(
                """
                UPDATE indexnow_queue SET batch = \(bind: batch)
                WHERE path IN (SELECT path FROM indexnow_queue ORDER BY queued_at, path LIMIT \(bind: limit))
                RETURNING path
                """
            ).all().map { try $0.decode(column: "path", as: String.self) }
        }
    }

    /// The batch was accepted: its pages go, but for those changed again meanwhile.
    func sent(batch: String) async throws {
        try await database.transaction { db in
            try await db.raw("DELETE FROM indexnow_queue WHERE batch = \(bind: batch)").run()
        }
    }

    /// The batch was not sent: its pages wait again, where they were.
    func release(batch: String) async throws {
        try await database.transaction { db in
            try await db.raw("UPDATE indexnow_queue SET batch = NULL WHERE batch = \(bind: batch)").run()
        }
    }

    /// Until when IndexNow asked to wait (a 429), or was down; nil: no pause.
    func pausedUntil() async throws -> Date? {
        try await database.read { db in
            try await db.raw("SELECT value FROM settings WHERE key = \(bind: Self.pauseSetting)").first()
                .flatMap { Int64(try $0.decode(column: "value", as: String.self)) }
                .map(Date.init(milliseconds:))
        }
    }

    func pause(until: Date) async throws {
        try await database.transaction { db in
            try await db.raw(
                """
                INSERT INTO settings (key, value) VALUES (\(bind: Self.pauseSetting), \(bind: String(until.milliseconds)))
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """
            ).run()
        }
    }
}
