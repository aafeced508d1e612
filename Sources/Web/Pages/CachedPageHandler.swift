import Catalog
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Answers warm page requests on the event loop (DESIGN §8).
///
/// A page that `PageCache.cached` rendered and checked within the last second is already final
/// bytes; serving it needs no routing, no middleware and no hop into Swift concurrency.
/// This handler sits in the HTTP pipeline in front of Hummingbird's request loop: a `GET`
/// whose exact target (`/product/x`, `/catalog?page=2`) maps to such a fresh page is
/// answered here, with the same headers the router would send (plus `Date` and `Server`,
/// which Hummingbird adds). Everything else — a miss, a page due for its recheck, a
/// request with a body or `Connection: close` — goes on to the router unchanged.
///
/// Responses stay in order: while a request is with the router, the next ones follow it
/// there (HTTP/1.1 pipelining). So do requests on a connection whose send buffer is full.
final class CachedPageHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let pages: FastPages
    /// Requests passed to the router whose response has not ended yet.
    private var withRouter = 0
    /// The answer to the request being read (its body is dropped), sent once its end arrives.
    private var answer: FastPages.Answer?

    init(pages: FastPages) {
        self.pages = pages
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            // A client that does not read its answers gets no more from here: the router's path
            // stops reading from it (backpressure), this one would queue answers without end.
            if withRouter == 0, context.channel.isWritable, request.method == .get,
                !(request.headerFields[.connection]?.lowercased().contains("close") ?? false),
                request.headerFields[.contentLength] == nil, request.headerFields[.transferEncoding] == nil,
                let found = pages.answer(request)
            {
                answer = found
                return
            }
            withRouter += 1
            context.fireChannelRead(data)
        case .body:
            if answer == nil { context.fireChannelRead(data) }
        case .end:
            guard let answer else {
                context.fireChannelRead(data)
                return
            }
            self.answer = nil
            context.write(wrapOutboundOut(.head(answer.head)), promise: nil)
            if let body = answer.body { context.write(wrapOutboundOut(.body(body)), promise: nil) }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { withRouter = max(0, withRouter - 1) }
        context.write(data, promise: promise)
    }
}

/// What the event-loop fast path may send: fresh rendered pages by request target.
struct FastPages: Sendable {
    struct Answer {
        var head: HTTPResponse
        var body: ByteBuffer?
    }

    let cache: RenderedCache
    let version: CatalogVersion
    let serverName: String
    let dates = HTTPDate()

    func answer(_ request: HTTPRequest) -> Answer? {
        guard let target = request.path,
            let rendered = cache.fresh(target: target, version: version.current, now: ContinuousClock.now)
        else { return nil }
        let chosen = rendered.variant(acceptEncoding: request.headerFields[.acceptEncoding])
        var headers = chosen.headers
        headers[.date] = dates.now()
        headers[.server] = serverName
        if let match = request.headerFields[.ifNoneMatch], match.contains(chosen.etag) {
            return Answer(head: HTTPResponse(status: .notModified, headerFields: headers), body: nil)
        }
        headers[.contentLength] = String(chosen.body.readableBytes)
        return Answer(head: HTTPResponse(status: .ok, headerFields: headers), body: chosen.body)
    }
}

/// The `Date` header's value (RFC 9110 IMF-fixdate), formatted once per second.
final class HTTPDate: Sendable {
    private let cached = Mutex<(second: Int, text: String)>((0, ""))

    func now() -> String {
        var seconds = time(nil)
        return cached.withLock { cached in
            if cached.second == seconds { return cached.text }
            var parts = tm()
            gmtime_r(&seconds, &parts)
            let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : String(value) }
            let text = "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
                + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
            cached = (seconds, text)
            return text
        }
    }
}
