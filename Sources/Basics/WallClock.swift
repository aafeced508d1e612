import Foundation

/// Wall time and waiting, for the application's rules on dates: when a delivery is due,
/// leases, backoff, token expiry and the daily refresh, OAuth states, form-token windows,
/// the feed's date. It is handed to `buildApplication`, so a test can move time instead of
/// sleeping through it. Durations measured on the monotonic clock stay there: network
/// timeouts and amoCRM's request pacing (about the other side), rate-limit refills, and the
/// catalog cache's freshness, which has its own test clock (`CacheClock`).
public protocol WallClock: Sendable {
    func now() -> Date
    /// Returns after `duration` of this clock's time; throws when the task is cancelled.
    func sleep(for duration: Duration) async throws
}

/// The system's clock.
public struct SystemClock: WallClock {
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}
