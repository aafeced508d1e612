import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// What one connection may cost the server (README, "Limits"): a public server cannot let a
/// client hold a connection open with nothing, or with a byte now and then.
///
/// - A request head must be complete within `headTimeout` of the connection opening or of the
///   previous response ending; an idle keep-alive connection therefore closes after it too.
/// - A request body must keep coming: after `headTimeout`, at `minBodyRate` bytes a second on
///   average at least (a 64 KiB order takes a minute at that rate; a form is a few KiB).
/// - A request target over `maxTargetBytes` is answered 414 and one whose header lines are
///   over `maxHeaderBytes` 431, and the connection closes. (The HTTP parser drops a
///   connection whose head is over 80 KiB before any of this sees it.)
///
/// It sits first behind the HTTP codec, so it sees every request and every response,
/// the event-loop fast path's included. Time is looked at once a second.
final class ConnectionLimits: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    struct Configuration: Sendable {
        var headTimeout: TimeAmount = .seconds(10)
        var minBodyRate = 1_024
        var maxTargetBytes = 8 * 1_024
        var maxHeaderBytes = 32 * 1_024
    }

    private let configuration: Configuration
    /// Waiting for a request head since then (no request in progress).
    private var waitingSince: NIODeadline?
    /// The request whose body is being read: when its head came, and body bytes so far.
    private var body: (since: NIODeadline, bytes: Int)?
    /// Requests whose response has not ended.
    private var inProgress = 0
    /// A request was refused: nothing more is read, the connection closes.
    private var refused = false
    private var ticker: RepeatedTask?

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        ticker?.cancel()
        ticker = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        ticker?.cancel()
        ticker = nil
        context.fireChannelInactive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard ticker == nil else { return }
        waitingSince = .now()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        ticker = context.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            let (limits, context) = loopBound.value
            limits.check(context)
        }
    }

    private func check(_ context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        if let waitingSince, now - waitingSince > configuration.headTimeout {
            context.close(promise: nil)
            return
        }
        if let body {
            let late = now - body.since - configuration.headTimeout
            if late > .zero, Int64(body.bytes) < late.nanoseconds / 1_000_000_000 * Int64(configuration.minBodyRate) {
                context.close(promise: nil)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        switch unwrapInboundIn(data) {
        case .head(let request):
            waitingSince = nil
            inProgress += 1
            body = (.now(), 0)
            if (request.path?.utf8.count ?? 0) > configuration.maxTargetBytes {
                return refuse(.uriTooLong, "Слишком длинный адрес запроса.", context: context)
            }
            let headerBytes = request.headerFields.reduce(0) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count + 4 }
            if headerBytes > configuration.maxHeaderBytes {
                return refuse(.requestHeaderFieldsTooLarge, "Слишком большие заголовки запроса.", context: context)
            }
        case .body(let bytes):
            body?.bytes += bytes.readableBytes
        case .end:
            body = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            inProgress = max(0, inProgress - 1)
            if inProgress == 0 { waitingSince = .now() }
        }
        context.write(data, promise: promise)
    }

    /// Answers the request just read and closes; with earlier requests still being answered
    /// (pipelining) an answer would come out of order, so the connection just closes.
    private func refuse(_ status: HTTPResponse.Status, _ message: String, context: ChannelHandlerContext) {
        refused = true
        body = nil
        guard inProgress == 1 else {
            context.close(promise: nil)
            return
        }
        let text = ByteBuffer(string: message + "\n")
        let head = HTTPResponse(
            status: status,
            headerFields: [.contentType: "text/plain; charset=utf-8", .contentLength: String(text.readableBytes), .connection: "close"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(text)), promise: nil)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in loopBound.value.close(promise: nil) }
    }
}
