import Basics
import Logging
import SQLKit

/// The SQL dialects the store speaks; queries differ only where the engines do.
public enum DatabaseKind: Sendable {
    case sqlite, postgres
}

/// The application's database: one code path (SQLKit) over SQLite or PostgreSQL.
///
/// SQLKit has no transaction API, so each backend pins a connection for `transaction`.
public protocol Database: Sendable {
    var kind: DatabaseKind { get }
    /// Runs `body` in one write transaction; it commits when `body` returns and rolls back
    /// when it throws.
    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs read-only queries outside any write transaction.
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Tells every instance listening on `channel` (PostgreSQL `NOTIFY`; SQLite has one
    /// instance, so nothing to tell).
    func notify(_ channel: String, payload: String) async throws
    /// Hands each message sent on `channel` to `receive` until the task is cancelled.
    func listen(_ channel: String, receive: @escaping @Sendable (String) async -> Void) async throws
    func close() async
}

/// Opens the database `DATABASE_URL` names and brings its schema up to date.
public func openDatabase(_ location: DatabaseLocation, logger: Logger, clock: any WallClock = SystemClock()) async throws -> any Database {
    let database: any Database
    switch location {
    case .sqlite(let path):
        database = try await SQLiteStore.open(path: path, logger: logger)
    case .postgres(let url):
        database = try await PostgresStore.open(url: url, logger: logger)
    }
    do {
        try await Migrator.migrate(database, logger: logger, clock: clock)
    } catch {
        await database.close()
        throw error
    }
    return database
}
