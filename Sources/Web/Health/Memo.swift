import Basics
import Synchronization

/// A value worked out at most once per `interval`; callers in between get the last one.
final class Memo<Value: Sendable>: Sendable {
    private let interval: Duration
    private let clock: any WallClock
    private struct State {
        var last: (at: ContinuousClock.Instant, value: Value)?
        /// The run under way: callers meanwhile wait for it instead of starting their own.
        var running: Task<Value, Never>?
    }
    private let state = Mutex(State())

    init(for interval: Duration, clock: any WallClock) {
        self.interval = interval
        self.clock = clock
    }

    func value(_ make: @escaping @Sendable () async -> Value) async -> Value {
        await value(olderThan: interval, make)
    }

    /// The last value unless it is at least `age` old; then a new one, made once for all callers.
    func value(olderThan age: Duration, _ make: @escaping @Sendable () async -> Value) async -> Value {
        let now = clock.instant()
        let (ready, task) = state.withLock { state -> (Value?, Task<Value, Never>?) in
            if let last = state.last, last.at.duration(to: now) < age { return (last.value, nil) }
            if let running = state.running { return (nil, running) }
            let clock = clock
            let task = Task<Value, Never> { [weak self] in
                let value = await make()
                self?.state.withLock { state in
                    state.last = (clock.instant(), value)
                    state.running = nil
                }
                return value
            }
            state.running = task
            return (nil, task)
        }
        if let ready { return ready }
        return await task!.value
    }
}
