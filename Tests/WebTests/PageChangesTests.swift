import Basics
import Catalog
import Foundation
import Logging
import SQLKit
import Storage
import Testing
import TestSupport

@testable import Indexing

/// `PageChanges` on both engines: what counts as a change, who announces it, and what a
/// restart finds.
@Suite("Page changes")
struct PageChangesTests {
    static func page(_ path: String, _ fingerprint: UInt64, announce: Bool = true) -> PageState {
        PageState(path: path, fingerprint: fingerprint, updatedAt: nil, announce: announce)
    }

    static let v1 = [page("/product/a", 1), page("/product/b", 2), page("/catalog/x", 10), page("/", 100, announce: false)]

    @Test("of two instances that see the same change, only the first to record it announces it; the other takes its time", arguments: DatabaseEngine.allCases)
    func twoInstances(engine: DatabaseEngine) async throws {
        try await withDatabase(engine) { database, clock in
            let queue = IndexNowQueue(database: database)
            let a = Self.changes(database, clock, queue)
            let b = Self.changes(database, clock, queue)
            try await a.record(Self.v1)
            try await b.record(Self.v1)
            #expect(try await queue.paths().isEmpty, "the first record of a catalog announces nothing")
            clock.advance(by: .seconds(3_600))
            let v2 = [Self.page("/product/a", 1), Self.page("/product/b", 3), Self.page("/catalog/x", 11), Self.page("/", 101, announce: false)]
            try await a.record(v2)
            #expect(try await queue.paths() == ["/catalog/x", "/product/b"], "the home page is not announced")
            // The batch went out; the other instance sees the same change later.
            let batch = "sent"
            #expect(try await queue.claim(limit: 10, batch: batch).count == 2)
            try await queue.sent(batch: batch)
            clock.advance(by: .seconds(5))
            try await b.record(v2)
            #expect(try await queue.paths().isEmpty, "announced once")
            #expect(b.modified("/product/b") == a.modified("/product/b"))
            #expect(a.modified("/product/a") != a.modified("/product/b"))
        }
    }

    @Test("a change made while the service was down is found by the first record after the start; a page gone is deleted and announced", arguments: DatabaseEngine.allCases)
    func afterRestart(engine: DatabaseEngine) async throws {
        try await withDatabase(engine) { database, clock in
            let queue = IndexNowQueue(database: database)
            try await Self.changes(database, clock, queue).record(Self.v1)
            clock.advance(by: .seconds(60))
            let restarted = Self.changes(database, clock, queue)
            try await restarted.record([Self.page("/product/a", 1), Self.page("/product/c", 4), Self.page("/catalog/x", 12), Self.page("/", 102, announce: false)])
            #expect(try await queue.paths().sorted() == ["/catalog/x", "/product/b", "/product/c"])
            #expect(restarted.modified("/product/b") == nil)
            #expect(restarted.modified("/catalog/x") == clock.now())
            #expect(restarted.recordedPages == 4)
        }
    }

    @Test("a page changed again while its batch is out waits for the next batch; one queued twice keeps its place", arguments: DatabaseEngine.allCases)
    func requeued(engine: DatabaseEngine) async throws {
        try await withDatabase(engine) { database, _ in
            let queue = IndexNowQueue(database: database)
            try await database.transaction { db in try await queue.add(["/product/a", "/product/b"], at: 1_000, in: db) }
            try await database.transaction { db in try await queue.add(["/product/a"], at: 2_000, in: db) }
            #expect(try await queue.pending().oldest == Date(milliseconds: 1_000))
            #expect(try await queue.claim(limit: 10, batch: "one").count == 2)
            try await database.transaction { db in try await queue.add(["/product/b"], at: 3_000, in: db) }
            try await queue.sent(batch: "one")
            #expect(try await queue.paths() == ["/product/b"])
            #expect(try await queue.pending().oldest == Date(milliseconds: 3_000))
        }
    }

    // MARK: - Helpers

    static func changes(_ database: any Database, _ clock: TestWallClock, _ queue: IndexNowQueue) -> PageChanges {
        PageChanges(
            catalog: Catalog(source: StubCatalogSource(), logger: quietLogger), database: database, clock: clock, queue: queue, logger: quietLogger,
            pages: { _ in [] })
    }

    func withDatabase(_ engine: DatabaseEngine, _ body: @Sendable (any Database, TestWallClock) async throws -> Void) async throws {
        let database = try await openDatabase(try await engine.freshDatabase(), logger: quietLogger)
        do {
            try await body(database, TestWallClock())
            await database.close()
        } catch {
            await database.close()
            throw error
        }
    }
}
