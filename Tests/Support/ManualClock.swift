import Catalog
import Synchronization

/// A cache clock that moves only when a test says so.
public final class ManualClock: Sendable {
    private let start = ContinuousClock.now
    private let offset = Mutex<Duration>(.zero)

    public init() {}

    public func advance(by duration: Duration) {
        offset.withLock { $0 += duration }
    }

    public var cacheClock: CacheClock {
        CacheClock { self.start + self.offset.withLock { $0 } }
    }
}

/// Counts calls; a test-side stand-in for "how often did we go upstream".
public final class CallCounter: Sendable {
    private let count = Mutex(0)

    public init() {}

    @discardableResult
    public func increment() -> Int {
        count.withLock {
            $0 += 1
            return $0
        }
    }

    public var value: Int { count.withLock { $0 } }
}
