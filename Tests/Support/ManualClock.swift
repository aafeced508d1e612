import Basics
import Catalog
import Synchronization

/// The catalog cache's monotonic clock, moved only when a test says so. (Rules on wall
/// time – leases, backoff, expiry – use `TestWallClock`.)
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
