import Foundation
import Testing
@testable import Storage
import TestSupport

@Suite("PostgreSQL store")
struct PostgresStoreTests {
    @Test("a server that cannot be reached stops start-up with a clear error, without the password")
    func unreachable() async throws {
        let port = freeLoopbackPort()
        let started = ContinuousClock.now
        do {
            _ = try await openDatabase(.postgres(url: "postgres://shop:s3cret-pw@127.0.0.1:\(port)/shop"), logger: quietLogger)
            Issue.record("opened a database on a closed port")
        } catch {
            let text = String(describing: error)
            #expect(text.contains("cannot connect to PostgreSQL"))
            #expect(!text.contains("s3cret-pw"))
        }
        #expect(ContinuousClock.now - started < .seconds(15))
    }

    @Test("a remote server needs TLS unless the URL says otherwise: sslmode=prefer would let anyone on the path turn it off")
    func remoteNeedsTLS() async throws {
        #expect(try PostgresStore.Settings(url: "postgres://shop:pw@db.example.ru:5432/shop").tls == .require)
        #expect(try PostgresStore.Settings(url: "postgres://shop:pw@10.0.0.5/shop").tls == .require)
        #expect(try PostgresStore.Settings(url: "postgres://shop:pw@db.example.ru/shop?sslmode=prefer").tls == .prefer)
        #expect(try PostgresStore.Settings(url: "postgres://shop:pw@127.0.0.1/shop").tls == .disable)
        #expect(try PostgresStore.Settings(url: "postgres://shop:pw@db.example.ru/shop?sslrootcert=/etc/ssl/ca.pem").rootCertificate == "/etc/ssl/ca.pem")
        // The test server speaks plain text only: required TLS is refused, not quietly dropped.
        guard case .postgres(let url) = try await DatabaseEngine.postgres.freshDatabase() else { return }
        let required = url.replacingOccurrences(of: "sslmode=disable", with: "sslmode=require")
        do {
            let database = try await openDatabase(.postgres(url: required), logger: quietLogger)
            await database.close()
            Issue.record("connected in plain text although TLS was required")
        } catch {
            #expect(String(describing: error).contains("cannot connect to PostgreSQL"))
        }
    }

    @Test("a wrong database name is reported by the server's message")
    func missingDatabase() async throws {
        guard case .postgres(let url) = try await DatabaseEngine.postgres.freshDatabase() else { return }
        let wrong = url.replacingOccurrences(of: #"/t\d+_[^?]+"#, with: "/no_such_db", options: .regularExpression)
        await #expect(throws: (any Error).self) {
            _ = try await openDatabase(.postgres(url: wrong), logger: quietLogger)
        }
        do {
            _ = try await openDatabase(.postgres(url: wrong), logger: quietLogger)
        } catch {
            #expect(String(describing: error).contains("no_such_db"))
        }
    }

    @Test("migrations run once even when instances start together")
    func concurrentMigrations() async throws {
        let location = try await DatabaseEngine.postgres.freshDatabase()
        let databases = try await withThrowingTaskGroup(of: (any Database).self) { group in
            for _ in 0..<4 { group.addTask { try await openDatabase(location, logger: quietLogger) } }
            return try await group.reduce(into: [any Database]()) { $0.append($1) }
        }
        let versions = try await databases[0].read { db in
            try await db.raw("SELECT version FROM schema_migrations ORDER BY version").all().map { try $0.decode(column: "version", as: Int.self) }
        }
        #expect(versions == Array(1...Migrations.all.count))  // every migration, each once
        for database in databases { await database.close() }
    }
}
