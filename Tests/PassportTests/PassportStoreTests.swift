import Basics
import AmoCRM
import Foundation
import SQLKit
import Storage
import Testing
import TestSupport

@testable import Passport

/// The passports table on both engines.
@Suite("Passport store")
struct PassportStoreTests {
    static func passport(deal: Int, buyer: String = "ООО «Токарь»") -> Passport {
        let sold = Date(timeIntervalSince1970: 1_800_000_000)
        return Passport(
            code: Passport.makeCode(), amoLeadID: deal, leadNumber: 7, product: .init(id: 1, name: "Токарный станок", sku: "CK6150", url: nil),
            specs: [.init(name: "Диаметр", value: "500 мм")], buyer: buyer, serial: "SN-1", soldAt: sold, warrantyMonths: 12,
            warrantyUntil: Passport.warrantyEnd(soldAt: sold, months: 12), issuedAt: sold)
    }

    /// PostgreSQL only: instances of a deployment share PostgreSQL. Two SQLite stores on one
    /// file in one process contend through sqlite-nio's busy handler, which retries at once on
    /// NIO's shared thread pool (see the closing note of issue 14).
    @Test("two instances issuing the same deal at once store one passport, and both get that one", arguments: [DatabaseEngine.postgres])
    func oncePerDeal(_ engine: DatabaseEngine) async throws {
        let location = try await engine.freshDatabase()
        let first = try await openDatabase(location, logger: quietLogger)
        let second = try await openDatabase(location, logger: quietLogger)
        let clock = TestWallClock()
        let stores = [PassportStore(database: first, clock: clock), PassportStore(database: second, clock: clock)]
        let results = try await withThrowingTaskGroup(of: (Passport, Bool).self) { group in
            for index in 0..<8 {
                let store = stores[index % 2]
                group.addTask { try await store.issue(Self.passport(deal: 30_000_001), events: []) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter(\.1).count == 1)
        #expect(Set(results.map(\.0.code)).count == 1)
        #expect(try await stores[0].count() == 1)
        let stored = try #require(try await stores[1].passport(code: results[0].0.code))
        #expect(stored.specs == [.init(name: "Диаметр", value: "500 мм")] && stored.buyer == "ООО «Токарь»" && stored.serial == "SN-1")
        await first.close()
        await second.close()
    }

    @Test("the note and the mail are due until sent; a revoked passport is due nothing and says since when", arguments: DatabaseEngine.allCases)
    func dueAndRevoked(_ engine: DatabaseEngine) async throws {
        let database = try await openDatabase(try await engine.freshDatabase(), logger: quietLogger)
        let clock = TestWallClock()
        let store = PassportStore(database: database, clock: clock)
        let (kept, _) = try await store.issue(Self.passport(deal: 1), events: [])
        let (revoked, _) = try await store.issue(Self.passport(deal: 2), events: [])
        #expect(try await store.notesDue(limit: 10).map(\.amoLeadID) == [1, 2])
        #expect(try await store.revoke(code: revoked.code))
        #expect(try await !store.revoke(code: revoked.code))
        #expect(try await store.notesDue(limit: 10).map(\.amoLeadID) == [1])
        #expect(try await store.mailDue(limit: 10).map(\.amoLeadID) == [1])
        try await store.markNoted([kept.code])
        try await store.markMailed([kept.code])
        #expect(try await store.notesDue(limit: 10).isEmpty)
        #expect(try await store.mailDue(limit: 10).isEmpty)
        #expect(try await store.reissueNote(code: kept.code))
        #expect(try await !store.reissueNote(code: revoked.code))
        #expect(try await store.notesDue(limit: 10).map(\.amoLeadID) == [1])
        #expect(try await store.passport(code: revoked.code)?.revokedAt == clock.now())
        await database.close()
    }

    @Test("won events are worked through in the order they came, once per deal, and set aside with their reason", arguments: DatabaseEngine.allCases)
    func events(_ engine: DatabaseEngine) async throws {
        let database = try await openDatabase(try await engine.freshDatabase(), logger: quietLogger)
        let clock = TestWallClock()
        let store = PassportStore(database: database, clock: clock)
        let events = AmoCRMEvents(database: database, clock: clock)
        // Only won events are kept (a lost one needs nothing), and a deal waits once.
        #expect(
            try await events.record([
                StatusEvent(leadID: 5, statusID: 142), StatusEvent(leadID: 6, statusID: 143), StatusEvent(leadID: 5, statusID: 142),
                StatusEvent(leadID: 7, statusID: 142),
            ]) == 2)
        #expect(try await events.record([StatusEvent(leadID: 7, statusID: 142)]) == 0)
        let pending = try await store.pendingEvents(limit: 10)
        #expect(pending.map(\.leadID) == [5, 7])
        try await store.markProcessed([pending[1].id], error: "amoCRM rejected the request (403): GET")
        #expect(try await store.pendingEvents(limit: 10).map(\.leadID) == [5])
        _ = try await store.issue(Self.passport(deal: 5), events: [pending[0].id])
        #expect(try await store.pendingEvents(limit: 10).isEmpty)
        #expect(try await store.dealsWithPassports([5, 6]) == [5])
        // Once handled, a deal may be reported again (won after being reopened).
        #expect(try await events.record([StatusEvent(leadID: 7, statusID: 142)]) == 1)
        // Reported again while a worker looks at it (the look found it not won yet): the look
        // does not settle it, the next one does.
        let looked = try await store.pendingEvents(limit: 10)
        #expect(looked.map(\.leadID) == [7] && looked.first?.reports == 1)
        #expect(try await events.record([StatusEvent(leadID: 7, statusID: 142)]) == 0)
        try await store.settle(looked)
        let again = try await store.pendingEvents(limit: 10)
        #expect(again.map(\.leadID) == [7] && again.first?.reports == 2)
        try await store.settle(again)
        #expect(try await store.pendingEvents(limit: 10).isEmpty)
        await database.close()
    }

    @Test("a flood of won bodies: one waiting row per deal, a cap on waiting rows, handled rows pruned", arguments: DatabaseEngine.allCases)
    func flood(_ engine: DatabaseEngine) async throws {
        let database = try await openDatabase(try await engine.freshDatabase(), logger: quietLogger)
        defer { Task { await database.close() } }
        let clock = TestWallClock()
        let events = AmoCRMEvents(database: database, clock: clock, maxPending: 50)
        // 100 bodies of 500 events each (the most one body is read for), naming the same 40 deals.
        let body = (0..<500).map { StatusEvent(leadID: 1_000 + $0 % 40, statusID: $0.isMultiple(of: 3) ? 143 : 142) }
        for _ in 0..<100 { try await events.record(body) }
        #expect(try await events.pendingCount() == 40)
        #expect(try await Self.rows(database) == 40)
        // New deals beyond the cap are refused whole (the webhook answers 503), not half-stored.
        await #expect(throws: AmoCRMEvents.Full.self) {
            try await events.record((0..<20).map { StatusEvent(leadID: 5_000 + $0, statusID: 142) })
        }
        #expect(try await events.pendingCount() == 40)
        // Handled rows go once they are old enough; waiting ones stay.
        let store = PassportStore(database: database, clock: clock)
        let handled = try await store.pendingEvents(limit: 30)
        try await store.markProcessed(handled.map(\.id))
        #expect(try await events.prune(handledBefore: clock.now().addingTimeInterval(-1)) == 0)
        clock.advance(by: .seconds(60))
        #expect(try await events.prune(handledBefore: clock.now().addingTimeInterval(-1)) == 30)
        #expect(try await Self.rows(database) == 10)
        #expect(try await events.pendingCount() == 10)
    }

    static func rows(_ database: any Database) async throws -> Int {
        try await database.transaction { db in
            try await db.raw("SELECT COUNT(*) AS n FROM amocrm_events").first()?.decode(column: "n", as: Int.self) ?? -1
        }
    }
}
