import Foundation

/// What a check found wrong now: a condition that becomes an incident once it has held for
/// `after` (at once for 0).
public struct AlertSignal: Sendable, Equatable {
    /// Stable per condition: `channel.email`, `amocrm.authorization`, `outbox.dead.amocrm`.
    public var key: String
    /// One line, in Russian, for people: the mail's subject, the admin page's heading.
    public var title: String
    /// What is known (the service's own words, never a secret) and what to do.
    public var detail: String
    /// When the condition began, when its source knows (a breaker's open time).
    public var since: Date?
    public var after: Duration
    /// The mail server is what fails: the alert is logged at `critical` and shown, and mailed
    /// once mail works again.
    public var blocksMail: Bool

    public init(key: String, title: String, detail: String, since: Date? = nil, after: Duration = .zero, blocksMail: Bool = false) {
        self.key = key
        self.title = title
        self.detail = detail
        self.since = since
        self.after = after
        self.blocksMail = blocksMail
    }
}

/// One condition looked at: `signal` is nil when it is fine now. A condition that could not be
/// looked at this time (its database read failed) is left out, so nothing is closed on a guess.
public struct AlertCheck: Sendable, Equatable {
    public var key: String
    public var signal: AlertSignal?

    public init(key: String, signal: AlertSignal?) {
        self.key = key
        self.signal = signal
    }

    public static func failing(_ signal: AlertSignal) -> AlertCheck { AlertCheck(key: signal.key, signal: signal) }
    public static func fine(_ key: String) -> AlertCheck { AlertCheck(key: key, signal: nil) }
}

/// An incident as stored: opened once, closed once, each mailed once.
public struct Incident: Sendable, Equatable {
    public var id: Int
    public var key: String
    public var title: String
    public var detail: String
    public var openedAt: Date
    public var closedAt: Date?
    public var openMailedAt: Date?
    public var closeMailedAt: Date?
    /// Why the last mail about it did not go.
    public var mailError: String?

    public var isOpen: Bool { closedAt == nil }
}
