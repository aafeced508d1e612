import Foundation

// What the alert rules (`OperatorAlerts`) read from the rest of the service. Each part that
// knows a condition satisfies one of these small protocols; the rules, their thresholds and
// the words the operators read live in Alerts.

/// amoCRM's connection (the token manager).
public protocol CRMConnectionSignal: Sendable {
    /// Why amoCRM cannot be called (never connected, revoked); nil while it can.
    func connectionProblem() async -> String?
    /// Failed token refreshes in a row and the last reason; nil until this process tried one.
    func refreshFailureStreak() async -> (count: Int, reason: String?)?
}

/// A delivery channel as a whole (its breaker).
public protocol DeliveryChannelSignal: Sendable {
    /// `email` or `amocrm`: the alert's key is `channel.{key}`.
    var channelKey: String { get }
    /// The sales mailbox: while it is down, alert mail cannot go either.
    var isMail: Bool { get }
    /// Whether this process has seen the channel deliver or fail yet.
    var hasOutcome: Bool { get }
    /// Since when and why the whole channel fails; nil while it works.
    var outage: (reason: String, since: Date)? { get }
}

/// Deliveries given up after their last attempt.
public protocol DeadDeliveriesSignal: Sendable {
    /// Per channel (its key and the name people read), how many are dead; every channel listed.
    func deadDeliveries() async throws -> [(key: String, name: String, count: Int)]
}

/// The catalog's source (Directus).
public protocol CatalogUpstreamSignal: Sendable {
    /// Why the source fails, and whether an older catalog is served meanwhile; nil while it answers.
    var upstreamFailure: (servingStale: Bool, reason: String)? { get }
    /// Whether this process has read (or failed to read) the catalog from its source yet.
    var upstreamKnown: Bool { get }
}
