import AmoCRM
import Foundation
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

    @Test("events are worked through in the order they came, and set aside with their reason", arguments: DatabaseEngine.allCases)
    func events(_ engine: DatabaseEngine) async throws {
        let database = try await openDatabase(try await engine.freshDatabase(), logger: quietLogger)
        let clock = TestWallClock()
        let store = PassportStore(database: database, clock: clock)
        try await AmoCRMEvents(database: database, clock: clock).record([
            StatusEvent(leadID: 5, statusID: 142), StatusEvent(leadID: 6, statusID: 143), StatusEvent(leadID: 5, statusID: 142),
        ])
        let pending = try await store.pendingEvents(limit: 10)
        #expect(pending.map(\.leadID) == [5, 6, 5])
        try await store.markProcessed([pending[1].id], error: "amoCRM rejected the request (403): GET")
        #expect(try await store.pendingEvents(limit: 10).map(\.leadID) == [5, 5])
        _ = try await store.issue(Self.passport(deal: 5), events: [pending[0].id, pending[2].id])
        #expect(try await store.pendingEvents(limit: 10).isEmpty)
        #expect(try await store.dealsWithPassports([5, 6]) == [5])
        await database.close()
    }
}
