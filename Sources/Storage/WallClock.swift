import Foundation

/// Wall time and waiting, for every time rule of the application: when a delivery is due,
/// leases, backoff, token expiry, OAuth states. It is handed to `buildApplication`, so a
/// test can move time instead of sleeping through it. (Network timeouts and amoCRM's
/// request pacing stay on real time: they are about the other side, not about our rules.)
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
