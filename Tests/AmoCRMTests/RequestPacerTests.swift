import AmoCRM
import Synchronization
import Testing

@Suite("amoCRM request pace")
struct RequestPacerTests {
    /// When each call reached "amoCRM": somewhere between its start and its end.
    final class Arrivals: Sendable {
        private let times = Mutex<[ContinuousClock.Instant]>([])
        func record() { times.withLock { $0.append(.now) } }

        /// The most arrivals inside any window shorter than a second.
        var peak: Int {
            let sorted = times.withLock { $0 }.sorted()
            var peak = 0
            var first = 0
            for last in sorted.indices {
                while sorted[last] - sorted[first] >= .seconds(1) { first += 1 }
                peak = max(peak, last - first + 1)
            }
            return peak
        }
    }

    @Test("a call that reaches amoCRM late does not make it 8 in amoCRM's second")
    func lateArrivals() async {
        let pacer = RequestPacer(perSecond: 7)
        let arrivals = Arrivals()
        // Every other call spends 150 ms on the way (a busy machine, a slow network) and the
        // others none: spacing start times alone would put the 1st and 8th arrivals 0.93 s apart.
        for index in 0..<16 {
            await pacer.start()
            if index.isMultiple(of: 2) {
                try? await Task.sleep(for: .milliseconds(150))
            }
            arrivals.record()
            pacer.end()
        }
        #expect(arrivals.peak <= 7)
    }

    @Test("calls in flight together count against the limit until they end")
    func concurrentCalls() async {
        let pacer = RequestPacer(perSecond: 7)
        let arrivals = Arrivals()
        // Twelve calls at once, each arriving just before its answer comes back.
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<12 {
                group.addTask {
                    await pacer.start()
                    try? await Task.sleep(for: .milliseconds(index.isMultiple(of: 3) ? 300 : 10))
                    arrivals.record()
                    pacer.end()
                }
            }
        }
        #expect(arrivals.peak <= 7)
    }
}
