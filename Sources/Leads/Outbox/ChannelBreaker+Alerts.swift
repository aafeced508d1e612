import Alerts
import Foundation

extension ChannelBreaker: DeliveryChannelSignal {
    public var channelKey: String { channel.rawValue }
    public var isMail: Bool { channel == .email }
    public var outage: (reason: String, since: Date)? { open.map { ($0.reason, $0.since) } }
}

extension LeadStore: DeadDeliveriesSignal {
    public func deadDeliveries() async throws -> [(key: String, name: String, count: Int)] {
        let counts = try await outboxCounts()
        return DeliveryChannel.allCases.map { ($0.rawValue, $0.displayName, counts[$0]?[.dead] ?? 0) }
    }
}
