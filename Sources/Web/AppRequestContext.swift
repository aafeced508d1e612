import Hummingbird
import NIOCore

/// The request context of the site: Hummingbird's core plus the peer's address.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The socket peer (a proxy, when there is one); nil in router tests.
    public let peerAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Orders and webhooks are small: anything over 64 KiB is refused with 413.
    public var maxUploadSize: Int { 64 * 1024 }
}
