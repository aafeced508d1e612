import Basics
import AmoCRM
import Synchronization
import Testing
import TestSupport

@Suite("amoCRM request pace")
struct RequestPacerTests {
    /// When each call reached "amoCRM" (somewhere between its start and its end), and how many
    /// callers are done.
    final class Calls: Sendable {
        private let arrivals = Mutex<[Duration]>([])
        let finished = Atomic<Int>(0)

        func arrived(at instant: TestClock.Instant) { arrivals.withLock { $0.append(instant.offset) } }

        /// The most arrivals inside any window shorter than a second.
        var peak: Int {
            let sorted = arrivals.withLock { $0 }.sorted()
            var peak = 0
            var first = 0
            for last in sorted.indices {
                while sorted[last] - sorted[first] >= .seconds(1) { first += 1 }
                peak = max(peak, last - first + 1)
            }
            return peak
        }

        var count: Int { arrivals.withLock { $0.count } }

        var last: Duration? { arrivals.withLock { $0.max() } }
    }

    /// Moves the clock from one deadline to the next whenever every caller is waiting (on the
    /// clock, or for a call in flight to end) or done.
    static func drive(_ clock: TestClock, _ pacer: RequestPacer<TestClock>, callers: Int, calls: Calls) async throws {
        while calls.finished.load(ordering: .acquiring) < callers {
            let settled = try await eventually {
                calls.finished.load(ordering: .acquiring) + clock.sleeping + pacer.queued == callers
            }
            #expect(settled, "callers neither waiting nor done")
            guard settled, calls.finished.load(ordering: .acquiring) < callers else { return }
            guard let next = clock.nextDeadline else {
                Issue.record("every caller waits for a call that never ends")
                return
            }
            clock.advance(to: next)
        }
    }

    @Test("a call that reaches amoCRM late does not make it 8 in amoCRM's second")
    func lateArrivals() async throws {
        let clock = TestClock()
        let pacer = RequestPacer(perSecond: 7, clock: clock)
        let calls = Calls()
        // Every other call spends 150 ms on the way (a busy machine, a slow network) and the
        // others none: spacing start times alone would put the 1st and 8th arrivals 0.93 s apart.
        let caller = Task {
            for index in 0..<16 {
                await pacer.start()
                if index.isMultiple(of: 2) { try await clock.sleep(for: .milliseconds(150)) }
                calls.arrived(at: clock.now)
                pacer.end()
            }
            calls.finished.add(1, ordering: .releasing)
        }
        try await Self.drive(clock, pacer, callers: 1, calls: calls)
        try await caller.value
        #expect(calls.count == 16)
        #expect(calls.peak <= 7)
        // And no slower than it must be: 16 calls, 7 a second.
        #expect(clock.now.offset < .seconds(3))
    }

    @Test("calls in flight together count against the limit until they end")
    func concurrentCalls() async throws {
        let clock = TestClock()
        let pacer = RequestPacer(perSecond: 7, clock: clock)
        let calls = Calls()
        // Twelve calls at once, each arriving just before its answer comes back.
        let callers = (0..<12).map { index in
            Task {
                await pacer.start()
                try await clock.sleep(for: .milliseconds(index.isMultiple(of: 3) ? 300 : 10))
                calls.arrived(at: clock.now)
                pacer.end()
                calls.finished.add(1, ordering: .releasing)
            }
        }
        try await Self.drive(clock, pacer, callers: 12, calls: calls)
        for caller in callers { try await caller.value }
        #expect(calls.count == 12)
        #expect(calls.peak <= 7)
    }

    @Test("lead calls go before background calls: 40 deal reads waiting do not slow 14 lead deliveries")
    func leadsFirst() async throws {
        let clock = TestClock()
        let pacer = RequestPacer(perSecond: 7, clock: clock)
        let calls = Calls()
        let leadsDone = Calls()
        // A flood of deal reads (forged "won" events) is already waiting when the leads come.
        let readers = (0..<40).map { _ in
            Task {
                await pacer.start(priority: .background)
                try await clock.sleep(for: .milliseconds(50))
                calls.arrived(at: clock.now)
                pacer.end()
                calls.finished.add(1, ordering: .releasing)
            }
        }
        let leads = (0..<14).map { _ in
            Task {
                await pacer.start(priority: .leads)
                try await clock.sleep(for: .milliseconds(50))
                calls.arrived(at: clock.now)
                pacer.end()
                leadsDone.arrived(at: clock.now)
                calls.finished.add(1, ordering: .releasing)
            }
        }
        try await Self.drive(clock, pacer, callers: 54, calls: calls)
        for task in readers + leads { try await task.value }
        #expect(calls.count == 54)
        #expect(calls.peak <= 7)
        // 14 calls at 7 a second take two seconds whatever waits beside them (a pace shared
        // in turn would have taken about 7.7 s for the last lead).
        let lastLead = try #require(leadsDone.last)
        #expect(lastLead < .milliseconds(2_300), "\(lastLead)")
        // And the reads still all went, after the leads.
        #expect(clock.now.offset >= .seconds(7))
    }
}
