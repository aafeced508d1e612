import Basics
import Synchronization

/// A value worked out at most once per `interval`; callers in between get the last one.
final class Memo<Value: Sendable>: Sendable {
    private let interval: Duration
    private let clock: any WallClock
    private let last = Mutex<(at: ContinuousClock.Instant, value: Value)?>(nil)

    init(for interval: Duration, clock: any WallClock) {
        self.interval = interval
        self.clock = clock
    }

    func value(_ make: @Sendable () async -> Value) async -> Value {
        let now = clock.instant()
        if let last = last.withLock({ $0 }), last.at.duration(to: now) < interval { return last.value }
        return await refresh(make)
    }

    /// Works the value out now, whatever the age of the last one.
    func refresh(_ make: @Sendable () async -> Value) async -> Value {
        let now = clock.instant()
        let value = await make()
        last.withLock { $0 = (now, value) }
        return value
    }
}
