import Foundation
import SQLKit
import Storage
import Testing
import TestSupport

@Suite("Transactions")
struct TransactionTests {
    @Test("a transaction whose task is cancelled half-way is rolled back, and the next one works", arguments: DatabaseEngine.allCases)
    func cancelledTransaction(_ engine: DatabaseEngine) async throws {
        let database = try await openDatabase(try await engine.freshDatabase(), logger: quietLogger)
        let started = AsyncStream<Void>.makeStream()
        let hold = AsyncStream<Void>.makeStream()  // never yields: the transaction stays open
        let task = Task {
            try await database.transaction { db in
                try await db.raw("INSERT INTO settings (key, value) VALUES ('half', 'way')").run()
                started.continuation.yield()
                // Held open until the task is cancelled, then fails half-way.
                for await _ in hold.stream {}
                try Task.checkCancellation()
            }
        }
        for await _ in started.stream { break }
        task.cancel()
        _ = await task.result
        hold.continuation.finish()
        try await database.transaction { db in
            try await db.raw("INSERT INTO settings (key, value) VALUES ('next', 'one')").run()
        }
        let keys = try await database.read { db in
            try await db.raw("SELECT key FROM settings WHERE key IN ('half', 'next')").all().map { try $0.decode(column: "key", as: String.self) }
        }
        #expect(keys == ["next"])
        await database.close()
    }
}
