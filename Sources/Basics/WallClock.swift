import Foundation

/// The application's one time source, handed to `buildApplication` so that a test moves time
/// instead of sleeping through it:
///
/// - `now()`, wall time, for the rules on dates: when a delivery is due, leases, backoff,
///   token expiry and the daily refresh, OAuth states, form-token windows, the feed's date;
/// - `instant()`, monotonic time, for ages and intervals that must not jump with the wall
///   clock: the catalog cache's freshness, rendered pages' rechecks, memoized answers;
/// - `sleep(for:)`, waiting on this clock's time.
///
/// Left on the system's monotonic clock, because they are about the other side's time, not
/// the application's rules: network timeouts, amoCRM's request pacing (`RequestPacer`, which
/// takes any `Clock`), rate-limit refills, connection limits (NIO's event-loop time), and the
/// image store's one-minute memory of files Directus did not have.
public protocol WallClock: Sendable {
    func now() -> Date
    /// Monotonic time, for ages and intervals.
    func instant() -> ContinuousClock.Instant
    /// Returns after `duration` of this clock's time; throws when the task is cancelled.
    func sleep(for duration: Duration) async throws
}

/// The system's clock.
public struct SystemClock: WallClock {
    public init() {}

    public func now() -> Date { Date() }

    public func instant() -> ContinuousClock.Instant { .now }

    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}
