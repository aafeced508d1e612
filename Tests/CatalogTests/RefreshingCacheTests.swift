import Synchronization
import Testing
import TestSupport

@testable import Catalog

@Suite("Catalog cache: stale-while-revalidate, single flight")
struct RefreshingCacheTests {
    struct Upstream: Error {}

    let clock = TestWallClock()
    let version = CatalogVersion()

    func makeCache(fresh: Duration = .seconds(60), stale: Duration = .seconds(600)) -> RefreshingCache<String, String> {
        RefreshingCache(policy: CachePolicy(fresh: fresh, stale: stale), clock: clock, version: version)
    }

    @Test("a fresh value is served without calling upstream")
    func freshHit() async throws {
        let cache = makeCache()
        let calls = CallCounter()
        for _ in 0..<5 {
            let value = try await cache.value(for: "k") { calls.increment(); return "v" }
            #expect(value == "v")
        }
        #expect(calls.value == 1)
    }

    @Test("concurrent misses on one key make one upstream request")
    func singleFlight() async throws {
        let cache = makeCache()
        let calls = CallCounter()
        let started = CallCounter()
        let gate = AsyncStream<Void>.makeStream()
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    started.increment()
                    return try await cache.value(for: "k") {
                        calls.increment()
                        for await _ in gate.stream {}  // hold the load open until all callers wait
                        return "v"
                    }
                }
            }
            // The load is held open until every caller has asked.
            #expect(try await eventually { started.value == 50 })
            gate.continuation.finish()
            for try await value in group { #expect(value == "v") }
        }
        #expect(calls.value == 1)
    }

    @Test("a stale value is served at once while one background refresh runs")
    func staleWhileRevalidate() async throws {
        let cache = makeCache()
        _ = try await cache.value(for: "k") { "old" }
        clock.advance(by: .seconds(61))
        let calls = CallCounter()
        let refreshed = AsyncStream<Void>.makeStream()
        let served = try await cache.value(for: "k") {
            calls.increment()
            refreshed.continuation.yield()
            return "new"
        }
        #expect(served == "old")
        for await _ in refreshed.stream { break }
        #expect(try await eventually { cache.peek("k") == "new" })
        #expect(try await cache.value(for: "k") { "unused" } == "new")
        #expect(calls.value == 1)
    }

    @Test("past the stale limit a request waits for the refresh")
    func waitsWhenTooOld() async throws {
        let cache = makeCache()
        _ = try await cache.value(for: "k") { "old" }
        clock.advance(by: .seconds(601))
        #expect(try await cache.value(for: "k") { "new" } == "new")
    }

    @Test("stale-if-error: a failing refresh keeps serving the old value, and is reported")
    func staleIfError() async throws {
        let failures = CallCounter()
        let cache = RefreshingCache<String, String>(
            policy: CachePolicy(fresh: .seconds(60), stale: .seconds(600)), clock: clock, version: version
        ) { _, _, hasStale in
            #expect(hasStale)
            failures.increment()
        }
        _ = try await cache.value(for: "k") { "good" }
        clock.advance(by: .seconds(601))
        #expect(try await cache.value(for: "k") { throw Upstream() } == "good")
        #expect(cache.peek("k") == "good")
        #expect(failures.value == 1)
    }

    @Test("an error with nothing cached reaches the caller; requests within the wait get it at once, then one tries again")
    func missError() async throws {
        let cache = makeCache()
        let calls = CallCounter()
        await #expect(throws: Upstream.self) { try await cache.value(for: "k") { calls.increment(); throw Upstream() } }
        await #expect(throws: Upstream.self) { try await cache.value(for: "k") { calls.increment(); return "v" } }
        #expect(calls.value == 1)
        clock.advance(by: .seconds(1))
        #expect(try await cache.value(for: "k") { calls.increment(); return "v" } == "v")
        #expect(calls.value == 2)
    }

    @Test("a refresh that keeps failing is tried again after 1 s, 2 s, 4 s … at most 30 s, the stale value served meanwhile")
    func failureBackoff() async throws {
        let cache = makeCache(fresh: .seconds(1), stale: .seconds(600))
        let calls = CallCounter()
        _ = try await cache.value(for: "k") { "good" }
        clock.advance(by: .seconds(2))
        var waits: [Int] = []
        var waited = 0
        while waits.count < 7 {
            let before = calls.value
            // Each look starts a refresh only when the wait is over; the stale value comes back at once.
            #expect(try await cache.value(for: "k") { calls.increment(); throw Upstream() } == "good")
            #expect(try await eventually { cache.isLoading("k") == false })
            if calls.value > before {
                waits.append(waited)
                waited = 0
            }
            clock.advance(by: .seconds(1))
            waited += 1
        }
        #expect(waits == [0, 1, 2, 4, 8, 16, 30])
    }

    @Test("the version changes when a value changes or is removed, not on first load or same value")
    func versioning() async throws {
        let cache = makeCache(fresh: .zero, stale: .seconds(600))
        let start = version.current
        _ = try await cache.value(for: "k") { "a" }
        #expect(version.current == start)
        // Past the stale limit each request waits for its refresh, so it is done when we look.
        clock.advance(by: .seconds(601))
        _ = try await cache.value(for: "k") { "a" }  // refresh to the same value
        #expect(version.current == start)
        clock.advance(by: .seconds(601))
        #expect(try await cache.value(for: "k") { "b" } == "b")
        #expect(version.current == start + 1)
        cache.remove("k")
        #expect(version.current == start + 2)
    }

    @Test("a removed key is loaded again")
    func removal() async throws {
        let cache = makeCache()
        _ = try await cache.value(for: "k") { "a" }
        cache.remove("k")
        #expect(try await cache.value(for: "k") { "b" } == "b")
    }

    @Test("the number of keys is bounded")
    func bounded() async throws {
        let cache = RefreshingCache<String, String>(
            policy: CachePolicy(maxEntries: 3), clock: clock, version: version)
        for key in ["a", "b", "c", "d", "e"] {
            _ = try await cache.value(for: key) { key }
            clock.advance(by: .seconds(1))
        }
        #expect(cache.count == 3)
        #expect(cache.peek("a") == nil)
        #expect(cache.peek("e") == "e")
    }

    @Test("at the cap, \"no such item\" entries go first and change nothing; evicting real data bumps the version")
    func evictionAndVersion() async throws {
        let cache = RefreshingCache<String, String?>(
            policy: CachePolicy(maxEntries: 3), clock: clock, version: version, isAbsent: { $0 == nil })
        _ = try await cache.value(for: "product-a") { "A" }
        clock.advance(by: .seconds(1))
        _ = try await cache.value(for: "product-b") { "B" }
        clock.advance(by: .seconds(1))
        let start = version.current
        // A flood of unknown slugs churns among themselves: real products stay, pages stay valid.
        for index in 0..<10 {
            _ = try await cache.value(for: "random-\(index)") { nil }
            clock.advance(by: .seconds(1))
        }
        #expect(cache.peek("product-a") == .some("A"))
        #expect(cache.peek("product-b") == .some("B"))
        #expect(version.current == start)
        // Real data pushed out: a page rendered from it may be outdated later, so the version moves.
        _ = try await cache.value(for: "product-c") { "C" }  // evicts the one unknown slug left
        #expect(version.current == start)
        _ = try await cache.value(for: "product-d") { "D" }  // now a real product has to go
        #expect(cache.peek("product-a") == nil)
        #expect(version.current > start)
    }

    @Test("a load under way when its key is dropped is not stored: the next request loads the changed data", arguments: [false, true])
    func purgeDuringLoad(dropAll: Bool) async throws {
        let cache = makeCache()
        let calls = CallCounter()
        let gate = AsyncStream<Void>.makeStream()
        // A request loads the product as it was; Directus' webhook comes while the answer is on its way.
        let before = Task {
            try await cache.value(for: "product") {
                calls.increment()
                for await _ in gate.stream {}
                return "old price"
            }
        }
        #expect(try await eventually { calls.value == 1 })
        let version = self.version.current
        if dropAll { cache.removeAll { _, _ in false } } else { cache.remove("product") }
        // Nothing was stored yet, and still: what the load hands out is from before the change.
        #expect(self.version.current > version)
        gate.continuation.finish()
        #expect(try await before.value == "old price")
        #expect(cache.peek("product") == nil)
        let after = try await cache.value(for: "product") {
            calls.increment()
            return "new price"
        }
        #expect(after == "new price")
        #expect(calls.value == 2)
    }

    @Test("a purge after a failed load lets the next request load at once: Directus reported a change, it is up")
    func purgeEndsTheWait() async throws {
        let cache = makeCache()
        let calls = CallCounter()
        await #expect(throws: Upstream.self) { try await cache.value(for: "k") { calls.increment(); throw Upstream() } }
        cache.remove("k")
        #expect(try await cache.value(for: "k") { calls.increment(); return "v" } == "v")
        #expect(calls.value == 2)
    }
}
