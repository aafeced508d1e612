import Alerts
import Foundation

extension ChannelBreaker: DeliveryChannelSignal {
    public var channelKey: String { channel.rawValue }
    public var isMail: Bool { channel == .email }
    public var outage: (reason: String, since: Date)? { open.map { ($0.reason, $0.since) } }
}
