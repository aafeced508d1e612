import Logging
import NIOCore
import SQLKit

/// What the database layer may log. At `debug` and `trace`, SQLiteKit and PostgresKit print
/// every bound value and PostgresNIO every message it sends and receives: amoCRM tokens, the
/// form-signing secret, customers' names, phones and e-mails. So the drivers get a logger of
/// their own that never goes below `info`, SQLKit's own query logging is off, and the SQL
/// text alone – never a bound value – is logged here, at `trace`.
public enum QueryLog {
    /// The logger handed to SQLite and PostgreSQL drivers.
    public static func driverLogger(_ logger: Logger) -> Logger {
        var driver = logger
        driver.logLevel = max(logger.logLevel, .info)
        return driver
    }
}

/// An `SQLDatabase` that logs each statement's SQL text (with `$1`/`?` placeholders) at
/// `trace` and runs it on `base`, whose own query logging is off.
struct TracedSQLDatabase: SQLDatabase {
    let base: any SQLDatabase
    let traceLogger: Logger

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        trace(query)
        return base.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        trace(query)
        try await base.execute(sql: query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        let traceLogger = traceLogger
        return try await base.withSession { try await closure(TracedSQLDatabase(base: $0, traceLogger: traceLogger)) }
    }

    private func trace(_ query: any SQLExpression) {
        // Serializing again costs a little, so only when someone reads it.
        guard traceLogger.logLevel <= .trace else { return }
        traceLogger.trace("sql", metadata: ["sql": .string(base.serialize(query).sql)])
    }
}
