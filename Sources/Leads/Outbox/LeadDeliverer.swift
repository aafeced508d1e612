/// Delivers leads on one outbox channel (`email`, `amocrm`).
public protocol LeadDeliverer: Sendable {
    var channel: String { get }
    /// Nil when the channel can deliver now; otherwise why not (not configured, needs
    /// re-authorization). Rows then wait without spending attempts.
    func unavailableReason() async -> String?
    func deliver(_ lead: Lead) async -> DeliveryOutcome
}
