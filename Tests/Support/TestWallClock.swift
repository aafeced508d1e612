import Basics
import Foundation
import Storage
import Synchronization

/// The application's clock, moving only when the test says so (wall time and the monotonic
/// instant together). Sleepers wake when `advance` passes
/// their deadline (or when their task is cancelled), so a test of a time rule – a lease, a
/// backoff, a token's age – runs at once and exactly.
public final class TestWallClock: WallClock {
    private let current: Mutex<Date>
    private let start: Date
    /// The monotonic instant at `start`: `instant()` moves with `now()`.
    private let origin = ContinuousClock.now
    private let sleepers = Sleepers<Date>()

    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        self.start = start
        current = Mutex(start)
    }

    public func now() -> Date { current.withLock { $0 } }

    public func instant() -> ContinuousClock.Instant {
        origin.advanced(by: .milliseconds(Int64((now().timeIntervalSince(start) * 1000).rounded())))
    }

    /// Tasks waiting in `sleep` right now.
    public var sleeping: Int { sleepers.count }

    /// The earliest deadline of those asleep.
    public var nextDeadline: Date? { sleepers.nextDeadline }

    /// Calls to `sleep` so far, the ones that returned at once included.
    public var sleepCalls: Int { sleepers.calls }

    /// Moves time on and wakes every sleeper whose deadline has come.
    public func advance(by duration: Duration) {
        let now = current.withLock { now in
            now = now.addingTimeInterval(Self.seconds(duration))
            return now
        }
        sleepers.wake(upTo: now)
    }

    public func sleep(for duration: Duration) async throws {
        let deadline = now().addingTimeInterval(Self.seconds(duration))
        try await sleepers.sleep(until: deadline) { self.now() }
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
