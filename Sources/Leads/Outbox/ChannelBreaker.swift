import Basics
import Foundation
import Logging
import Storage
import Synchronization

/// Whether a delivery channel works, as a whole. A channel-wide failure – the
/// service down, timing out, answering 5xx or 429, needing re-authorization – opens the
/// breaker: leads wait without spending attempts, and one probe goes out on a short, capped
/// backoff. The first delivery that succeeds closes it, and the backlog flows at once.
/// One log line per change of state, and a reminder while it stays open.
public final class ChannelBreaker: Sendable {
    public struct Open: Sendable, Equatable {
        public var since: Date
        public var reason: String
        var nextProbe: Date
        var probeDelay: Duration
        var remindedAt: Date
    }

    public static let firstProbeDelay: Duration = .seconds(1)
    /// Recovery is noticed within this long of the service coming back.
    public static let maxProbeDelay: Duration = .seconds(30)
    public static let reminderInterval: Duration = .seconds(600)

    public let channel: DeliveryChannel
    let clock: any WallClock
    let logger: Logger
    private let state = Mutex<Open?>(nil)
    private let observed = Atomic<Bool>(false)

    public init(channel: DeliveryChannel, clock: any WallClock, logger: Logger) {
        self.channel = channel
        self.clock = clock
        self.logger = logger
    }

    /// Nil while the channel works.
    public var open: Open? { state.withLock { $0 } }

    /// Whether this process has seen the channel work or fail yet (a fresh instance knows
    /// nothing: its closed breaker says nothing about the service).
    public var hasOutcome: Bool { observed.load(ordering: .relaxed) }

    /// What the worker may do now: claim a batch, send one probe, or wait until `until`.
    enum Permission: Equatable {
        case deliver
        case probe
        case wait(until: Date)
    }

    var permission: Permission {
        let now = clock.now()
        return state.withLock { open in
            guard let open else { return .deliver }
            return now >= open.nextProbe ? .probe : .wait(until: open.nextProbe)
        }
    }

    /// A channel-wide failure (or a probe that failed).
    func trip(_ reason: String) {
        observed.store(true, ordering: .relaxed)
        let now = clock.now()
        enum Change { case opened, reminder(Date), none }
        let change = state.withLock { open -> Change in
            guard var current = open else {
                open = Open(since: now, reason: reason, nextProbe: now + Self.firstProbeDelay, probeDelay: Self.firstProbeDelay, remindedAt: now)
                return .opened
            }
            current.reason = reason
            current.probeDelay = min(current.probeDelay * 2, Self.maxProbeDelay)
            current.nextProbe = now + current.probeDelay
            var change = Change.none
            if now >= current.remindedAt + Self.reminderInterval {
                current.remindedAt = now
                change = .reminder(current.since)
            }
            open = current
            return change
        }
        switch change {
        case .opened:
            logger.warning("delivery channel down: leads wait without spending attempts", metadata: ["channel": "\(channel.rawValue)", "reason": "\(reason)"])
        case .reminder(let since):
            logger.warning(
                "delivery channel still down", metadata: ["channel": "\(channel.rawValue)", "since": "\(since)", "reason": "\(reason)"])
        case .none:
            break
        }
    }

    /// A delivery went through: the channel works.
    func succeeded() {
        observed.store(true, ordering: .relaxed)
        let now = clock.now()
        guard let was = state.withLock({ open -> Open? in
            defer { open = nil }
            return open
        }) else { return }
        logger.notice(
            "delivery channel recovered", metadata: ["channel": "\(channel.rawValue)", "down_seconds": "\(Int(now.timeIntervalSince(was.since)))"])
    }

    /// Something changed (an admin reconnected amoCRM, a wake-up): probe at once.
    func probeNow() {
        let now = clock.now()
        state.withLock { open in
            if open != nil { open?.nextProbe = now }
        }
    }
}
