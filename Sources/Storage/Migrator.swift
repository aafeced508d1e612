import Basics
import Foundation
import Logging
import SQLKit

/// One schema change. `statements` gets the engine's auto-increment primary key type
/// (`INTEGER PRIMARY KEY AUTOINCREMENT` on SQLite, `BIGSERIAL PRIMARY KEY` on PostgreSQL).
struct Migration: Sendable {
    var version: Int
    var name: String
    var statements: @Sendable (_ serialPrimaryKey: String) -> [String]

    func statements(for kind: DatabaseKind) -> [String] {
        statements(kind == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY")
    }
}

/// Applies the migrations a database has not seen yet, each in its own transaction, in
/// version order. Applied versions are recorded in `schema_migrations`.
enum Migrator {
    /// The advisory lock of migrations ("cbff" in ASCII).
    static let lockKey = 0x6362_6666

    /// Instances starting together on one PostgreSQL database take turns (SQLite's
    /// `BEGIN IMMEDIATE` already does that).
    static func lock(_ db: any SQLDatabase, kind: DatabaseKind) async throws {
        if kind == .postgres {
            try await db.raw("SELECT pg_advisory_xact_lock(\(bind: lockKey))").run()
        }
    }

    static func migrate(_ database: any Database, logger: Logger, clock: any WallClock = SystemClock()) async throws {
        try await database.transaction { db in
            try await lock(db, kind: database.kind)
            try await db.raw(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
            ).run()
        }
        for migration in Migrations.all {
            let applied = try await database.transaction { db -> Bool in
                try await lock(db, kind: database.kind)
                let rows = try await db.raw("SELECT version FROM schema_migrations WHERE version = \(bind: migration.version)").all()
                guard rows.isEmpty else { return false }
                for statement in migration.statements(for: database.kind) {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                try await db.raw(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: clock.now().milliseconds))"
                ).run()
                return true
            }
            if applied {
                logger.info("database migrated", metadata: ["version": "\(migration.version)", "migration": "\(migration.name)"])
            }
        }
    }
}
