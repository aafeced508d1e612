import Basics
import Catalog
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import Synchronization

/// Answers warm page requests on the event loop.
///
/// A page that `PageCache.cached` rendered and checked within the last second is already final
/// bytes; serving it needs no routing, no middleware and no hop into Swift concurrency.
/// This handler sits in the HTTP pipeline in front of Hummingbird's request loop: a `GET`
/// whose exact target (`/product/x`, `/catalog?page=2`) maps to such a fresh page is
/// answered here, with the same headers the router would send (plus `Date` and `Server`,
/// which Hummingbird adds). Everything else — a miss, a page due for its recheck, a
/// request with a body or `Connection: close` — goes on to the router unchanged.
///
/// The answer is written below the HTTP encoder as finished bytes: the page's status line and
/// header lines are kept with it (remade once a second for `Date`), so a warm request costs
/// no header conversion or encoding. `ConnectionLimits` is told with a `DirectAnswer` event,
/// as it would see a response's end.
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
    /// Where finished bytes go in: the HTTP encoder's place, so they pass on to the socket
    /// without it. The server pipeline has its encoder before this handler is added; nil (no
    /// encoder in this pipeline) turns the fast path off.
    private var outlet: ChannelHandlerContext?

    init(pages: FastPages) {
        self.pages = pages
    }

    func handlerAdded(context: ChannelHandlerContext) {
        outlet = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        outlet = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            // A client that does not read its answers gets no more from here: the router's path
            // stops reading from it (backpressure), this one would queue answers without end.
            if withRouter == 0, context.channel.isWritable, request.method == .get,
                !(request.headerFields[.connection]?.lowercased().contains("close") ?? false),
                request.headerFields[.contentLength] == nil, request.headerFields[.transferEncoding] == nil,
                outlet != nil, let found = pages.answer(request)
            {
                answer = found
                return
            }
            withRouter += 1
            context.fireChannelRead(data)
        case .body:
            if answer == nil { context.fireChannelRead(data) }
        case .end:
            guard let answer, let outlet else {
                context.fireChannelRead(data)
                return
            }
            self.answer = nil
            outlet.write(NIOAny(answer.head), promise: nil)
            if let body = answer.body { outlet.write(NIOAny(body), promise: nil) }
            outlet.flush()
            context.triggerUserOutboundEvent(DirectAnswer.sent, promise: nil)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { withRouter = max(0, withRouter - 1) }
        context.write(data, promise: promise)
    }
}

/// An outbound event: the fast path wrote a whole answer below the HTTP codec (handlers in
/// between see it instead of the response's parts).
enum DirectAnswer {
    case sent
}

/// What the event-loop fast path may send: fresh rendered pages by request target.
struct FastPages: Sendable {
    /// A whole answer as bytes for the socket.
    struct Answer {
        /// The status line and header lines, and the empty line after them.
        var head: ByteBuffer
        var body: ByteBuffer?
    }

    let cache: RenderedCache
    let version: CatalogVersion
    let serverName: String
    /// The application's clock: a page's freshness is judged on its instant.
    var clock: any WallClock = SystemClock()
    let dates = HTTPDate()

    func answer(_ request: HTTPRequest) -> Answer? {
        guard let target = request.path,
            let rendered = cache.fresh(target: target, version: version.current, now: clock.instant())
        else { return nil }
        let coding = rendered.coding(acceptEncoding: request.headerFields[.acceptEncoding])
        let chosen = rendered.variant(coding)
        let date = dates.current()
        if let match = request.headerFields[.ifNoneMatch], match.contains(chosen.etag) {
            return Answer(head: Self.head(.notModified, chosen.headers, date: date.text, server: serverName, length: nil), body: nil)
        }
        let head = rendered.wire.head(coding, second: date.second) {
            Self.head(.ok, chosen.headers, date: date.text, server: serverName, length: chosen.body.readableBytes)
        }
        return Answer(head: head, body: chosen.body)
    }

    /// `HTTP/1.1 200 OK`, the fields, `Date`, `Server` and `Content-Length` (when given), as
    /// bytes. Field values cannot hold line breaks: `HTTPFields` refuses them.
    static func head(_ status: HTTPResponse.Status, _ fields: HTTPFields, date: String, server: String, length: Int?) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(512)
        buffer.writeString("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n")
        func line(_ name: String, _ value: String) {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        for field in fields { line(field.name.rawName, field.value) }
        line("date", date)
        line("server", server)
        if let length { line("content-length", String(length)) }
        buffer.writeStaticString("\r\n")
        return buffer
    }
}

/// A page's status line and headers as the fast path sends them, for the current second
/// (`Date` changes once a second): made once a second per variant, not once a request.
final class WireHeads: Sendable {
    private let state = Mutex<(second: Int, heads: [Compression.Coding: ByteBuffer])>((-1, [:]))

    func head(_ coding: Compression.Coding, second: Int, make: () -> ByteBuffer) -> ByteBuffer {
        if let kept = state.withLock({ $0.second == second ? $0.heads[coding] : nil }) { return kept }
        let head = make()
        state.withLock { state in
            if state.second != second { state = (second, [:]) }
            state.heads[coding] = head
        }
        return head
    }
}

/// The `Date` header's value (RFC 9110 IMF-fixdate), formatted once per second.
final class HTTPDate: Sendable {
    private let cached = Mutex<(second: Int, text: String)>((0, ""))

    /// The value, and the second since the epoch it was made for.
    func current() -> (second: Int, text: String) {
        var seconds = time(nil)
        return cached.withLock { cached in
            if cached.second == seconds { return cached }
            var parts = tm()
            gmtime_r(&seconds, &parts)
            let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : String(value) }
            let text = "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
                + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
            cached = (seconds, text)
            return cached
        }
    }
}
