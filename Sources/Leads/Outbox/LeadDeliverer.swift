/// Delivers leads on one outbox channel.
public protocol LeadDeliverer: Sendable {
    var channel: DeliveryChannel { get }
    /// True for a channel switched off by configuration (see the extension's default).
    var switchedOff: Bool { get }
    /// Nil when the channel can deliver now; otherwise why not (not configured, needs
    /// re-authorization). Rows then wait without spending attempts.
    func unavailableReason() async -> String?
    func deliver(_ lead: Lead) async -> DeliveryOutcome
    /// Several claimed leads at once (amoCRM takes 50 per request); one outcome per entry,
    /// in order. `maybeSent`: an earlier try may have reached the receiver.
    func deliver(batch: [(lead: Lead, maybeSent: Bool)]) async -> [DeliveryOutcome]
}

extension LeadDeliverer {
    /// True for a channel switched off by configuration: its leads wait, but it is not "down".
    public var switchedOff: Bool { false }

    public func deliver(batch: [(lead: Lead, maybeSent: Bool)]) async -> [DeliveryOutcome] {
        var outcomes: [DeliveryOutcome] = []
        for entry in batch { outcomes.append(await deliver(entry.lead)) }
        return outcomes
    }
}
