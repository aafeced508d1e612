import Synchronization

/// A monotonic `Clock` that moves only when the test says so, for logic that takes any
/// `Clock` (the amoCRM pace). Sleepers wake when `advance` passes their deadline.
public final class TestClock: Clock, Sendable {
    public struct Instant: InstantProtocol {
        public var offset: Duration

        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let current = Mutex(Instant(offset: .zero))
    private let sleepers = Sleepers<Instant>()

    public init() {}

    public var now: Instant { current.withLock { $0 } }
    public var minimumResolution: Duration { .nanoseconds(1) }

    /// Tasks waiting in `sleep` right now.
    public var sleeping: Int { sleepers.count }

    /// The earliest deadline anyone sleeps until.
    public var nextDeadline: Instant? { sleepers.nextDeadline }

    public func advance(by duration: Duration) {
        advance(to: now.advanced(by: duration))
    }

    /// Moves time to `instant` (never back) and wakes every sleeper whose deadline has come.
    public func advance(to instant: Instant) {
        let now = current.withLock { now in
            now = max(now, instant)
            return now
        }
        sleepers.wake(upTo: now)
    }

    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try await sleepers.sleep(until: deadline) { self.now }
    }
}
