/// A channel that is switched off by configuration (amoCRM without `AMOCRM_SUBDOMAIN`):
/// its rows stay pending, visible in the admin page, and spend no attempts.
public struct UnconfiguredChannel: LeadDeliverer {
    public let channel: DeliveryChannel
    public let reason: String

    public init(channel: DeliveryChannel, reason: String) {
        self.channel = channel
        self.reason = reason
    }

    public var switchedOff: Bool { true }

    public func unavailableReason() async -> String? { reason }

    public func deliver(_ lead: Lead) async -> DeliveryOutcome {
        .unavailable(reason)
    }
}
