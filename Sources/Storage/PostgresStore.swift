import Foundation
import Logging
import NIOSSL
import PostgresKit
import PostgresNIO
import SQLKit

/// PostgreSQL through PostgresNIO's connection pool, with SQLKit on top (the same queries as
/// SQLite). Transactions use `PostgresClient.withTransaction` on a leased connection; reads
/// take any free connection. Several instances may share the database: claims lock rows
/// with `FOR UPDATE SKIP LOCKED` and migrations take an advisory lock.
public final class PostgresStore: Database {
    public let kind = DatabaseKind.postgres
    private let client: PostgresClient
    /// The pool's own loop; it ends when `close()` cancels it.
    private let pool: Task<Void, Never>
    /// For PostgresNIO, which logs every message at trace (bound values and rows too).
    private let driverLogger: Logger
    private let logger: Logger

    private init(client: PostgresClient, pool: Task<Void, Never>, driverLogger: Logger, logger: Logger) {
        self.client = client
        self.pool = pool
        self.driverLogger = driverLogger
        self.logger = logger
    }

    /// SQLKit over a connection, without its query logging (it prints bound values).
    private func sql(_ connection: PostgresConnection) -> any SQLDatabase {
        TracedSQLDatabase(base: connection.sql(queryLogLevel: nil, logger: driverLogger), traceLogger: logger)
    }

    public static func open(url: String, logger: Logger) async throws -> PostgresStore {
        let settings = try Settings(url: url)
        let driverLogger = QueryLog.driverLogger(logger)
        // One direct connection first: a server that is down or refuses us fails start-up
        // at once with its reason (the pool would keep retrying quietly).
        do {
            let probe = try await PostgresConnection.connect(configuration: try settings.connection(), id: 0, logger: driverLogger)
            try? await probe.close()
        } catch {
            throw DatabaseLocation.InvalidURL(reason: "cannot connect to PostgreSQL at \(settings.host):\(settings.port): \(describe(error))")
        }
        let client = PostgresClient(configuration: settings.client(), backgroundLogger: driverLogger)
        let pool = Task { await client.run() }
        return PostgresStore(client: client, pool: pool, driverLogger: driverLogger, logger: logger)
    }

    /// The body's own error comes out as it was thrown (as on SQLite), once the transaction is
    /// rolled back; postgres-nio wraps it in a `PostgresTransactionError`.
    public func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: driverLogger) { connection in
                try await body(sql(connection))
            }
        } catch let error as PostgresTransactionError {
            if let thrown = error.closureError, error.rollbackError == nil { throw thrown }
            throw error
        }
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await body(sql(connection))
        }
    }

    public func notify(_ channel: String, payload: String) async throws {
        try await read { db in
            try await db.raw("SELECT pg_notify(\(bind: channel), \(bind: payload)) AS sent").run()
        }
    }

    /// On one connection of the pool, held while listening; a lost connection is replaced.
    public func listen(_ channel: String, receive: @escaping @Sendable (String) async -> Void) async throws {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        for try await notification in notifications { await receive(notification.payload) }
                    }
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("listening for other instances failed, trying again", metadata: ["channel": "\(channel)", "error": "\(Self.describe(error))"])
                // The database server's time, not a rule of the application's: real time.
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    public func close() async {
        pool.cancel()
        await pool.value
    }

    /// `postgres://user:password@host:5432/database?sslmode=disable|prefer|require`; without
    /// `sslmode`, loopback hosts connect in plain text and others require TLS with a certificate
    /// the system trusts: `prefer` would let anyone on the path answer "no TLS" and read the
    /// leads in plain text.
    struct Settings {
        enum TLSMode { case disable, prefer, require }

        var host: String
        var port: Int
        var username: String
        var password: String?
        var database: String
        var tls: TLSMode
        /// `sslrootcert=/path/ca.pem`: the CA that signed the server's certificate (a managed
        /// database's own CA), instead of the system's.
        var rootCertificate: String?

        init(url text: String) throws(DatabaseLocation.InvalidURL) {
            guard let url = URLComponents(string: text), let host = url.host, !host.isEmpty, url.path.count > 1 else {
                throw DatabaseLocation.InvalidURL(reason: "expected postgres://user:password@host:5432/database")
            }
            self.host = host
            port = url.port ?? 5432
            username = url.user?.removingPercentEncoding ?? "postgres"
            password = url.password?.removingPercentEncoding
            database = String(url.path.dropFirst()).removingPercentEncoding ?? String(url.path.dropFirst())
            let loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)
            switch url.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? (loopback ? "disable" : "require") {
            case "disable": tls = .disable
            case "prefer", "allow": tls = .prefer
            case "require", "verify-ca", "verify-full": tls = .require
            case let other: throw DatabaseLocation.InvalidURL(reason: "sslmode must be disable, prefer or require, got '\(other)'")
            }
            rootCertificate = url.queryItems?.first(where: { $0.name == "sslrootcert" })?.value.flatMap { $0.isEmpty ? nil : $0 }
        }

        /// The server's certificate is verified: against `sslrootcert` when given, else the system's CAs.
        func tlsConfiguration() -> TLSConfiguration {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let rootCertificate { configuration.trustRoots = .file(rootCertificate) }
            return configuration
        }

        func client() -> PostgresClient.Configuration {
            let tls: PostgresClient.Configuration.TLS
            switch self.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(tlsConfiguration())
            case .require: tls = .require(tlsConfiguration())
            }
            var configuration = PostgresClient.Configuration(
                host: host, port: port, username: username, password: password, database: database, tls: tls)
            configuration.options.maximumConnections = 10
            configuration.options.connectTimeout = .seconds(5)
            return configuration
        }

        func connection() throws -> PostgresConnection.Configuration {
            let tls: PostgresConnection.Configuration.TLS
            switch self.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: tlsConfiguration()))
            case .require: tls = .require(try NIOSSLContext(configuration: tlsConfiguration()))
            }
            var configuration = PostgresConnection.Configuration(
                host: host, port: port, username: username, password: password, database: database, tls: tls)
            configuration.options.connectTimeout = .seconds(5)
            return configuration
        }
    }

    /// An error without the URL or password.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return String(describing: underlying) }
            return String(describing: error.code)
        }
        return String(describing: error)
    }
}
