import Foundation
import Logging
import SQLKit
import SQLiteKit

/// SQLite in WAL mode with `synchronous=FULL`: a committed transaction survives SIGKILL and
/// power loss. All writes go through one connection, one transaction at a time (SQLite
/// has a single writer anyway); reads use a second connection and are not blocked by
/// writes. Every SQLite call runs on NIO's thread pool, never on an event loop.
public final class SQLiteStore: Database {
    public let kind = DatabaseKind.sqlite
    private let writer: SQLiteConnection
    private let reader: SQLiteConnection
    private let writeLock = AsyncLock()
    private let logger: Logger

    private init(writer: SQLiteConnection, reader: SQLiteConnection, logger: Logger) {
        self.writer = writer
        self.reader = reader
        self.logger = logger
    }

    /// SQLKit over a connection, without its query logging (it prints bound values).
    private func sql(_ connection: SQLiteConnection) -> any SQLDatabase {
        TracedSQLDatabase(base: connection.sql(queryLogLevel: nil), traceLogger: logger)
    }

    public static func open(path: String, logger: Logger) async throws -> SQLiteStore {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let driverLogger = QueryLog.driverLogger(logger)
        let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: driverLogger)
        let db = writer.sql(queryLogLevel: nil)
        try await db.raw("PRAGMA journal_mode=WAL").run()
        try await db.raw("PRAGMA synchronous=FULL").run()
        try await db.raw("PRAGMA foreign_keys=ON").run()
        let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: driverLogger)
        try await reader.sql(queryLogLevel: nil).raw("PRAGMA query_only=ON").run()
        return SQLiteStore(writer: writer, reader: reader, logger: logger)
    }

    /// A consistent copy of the whole database at `path` (`VACUUM INTO`: one read snapshot,
    /// while other processes go on writing), compacted. `path` must not exist yet.
    public func copy(to path: String) async throws {
        try await writeLock.withLock {
            try await sql(writer).raw("VACUUM INTO \(bind: path)").run()
        }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await writeLock.withLock {
            let db = sql(writer)
            // IMMEDIATE takes the write lock now, so a transaction never fails half-way
            // because another process started writing first.
            do {
                try await db.raw("BEGIN IMMEDIATE").run()
            } catch {
                await Self.uncancelled { try? await db.raw("ROLLBACK").run() }
                throw error
            }
            do {
                let result = try await body(db)
                try await Self.uncancelled { try await db.raw("COMMIT").run() }
                return result
            } catch {
                await Self.uncancelled { try? await db.raw("ROLLBACK").run() }
                throw error
            }
        }
    }

    /// Runs `work` to its end even when the calling task is cancelled. The one writer
    /// connection must never be left inside a transaction whose COMMIT or ROLLBACK a
    /// cancellation skipped: every later transaction would fail.
    private static func uncancelled(_ work: @escaping @Sendable () async throws -> Void) async throws {
        try await Task { try await work() }.value
    }

    private static func uncancelled(_ work: @escaping @Sendable () async -> Void) async {
        await Task { await work() }.value
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await body(sql(reader))
    }

    /// One SQLite file has one instance: nobody else to tell.
    public func notify(_ channel: String, payload: String) async throws {}

    /// Nothing ever arrives: returns when the listening task is cancelled.
    public func listen(_ channel: String, receive: @escaping @Sendable (String) async -> Void) async throws {
        let (never, end) = AsyncStream<Never>.makeStream()
        await withTaskCancellationHandler {
            for await _ in never {}
        } onCancel: {
            end.finish()
        }
    }

    public func close() async {
        try? await writer.close()
        try? await reader.close()
    }
}
