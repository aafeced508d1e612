import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// What one connection may cost the server (README, "Limits"): a public server cannot let a
/// client hold a connection open with nothing, or with a byte now and then.
///
/// - A new connection's first request head must be complete within `headTimeout`; later
///   heads within `headTimeout` of their first byte.
/// - Between requests a keep-alive connection may stay idle for `idleTimeout` (longer than
///   nginx's 60 s upstream keep-alive, so the proxy never sends on a connection being closed).
/// - A request body must keep coming: after `headTimeout`, at `minBodyRate` bytes a second on
///   average at least (a 64 KiB order takes a minute at that rate; a form is a few KiB).
/// - An answer must keep draining: a send buffer that stays full for `sendTimeout` (the client
///   reads under about 1 KiB/s) closes the connection. Idle time only starts once the send
///   buffer is below its high-water mark again, so a slow download is never cut for being slow.
/// - A request target over `maxTargetBytes` is answered 414 and one whose header lines are
///   over `maxHeaderBytes` 431, and the connection closes. (The HTTP parser drops a
///   connection whose head is over 80 KiB before any of this sees it.)
///
/// It sits first behind the HTTP codec, so it sees every request and every response, the
/// event-loop fast path's included (as a `DirectAnswer` event), and it puts a byte watcher in front of the codec to see
/// where a head begins. Time is looked at once a second.
final class ConnectionLimits: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    struct Configuration: Sendable {
        var headTimeout: TimeAmount = .seconds(10)
        var idleTimeout: TimeAmount = .seconds(75)
        var sendTimeout: TimeAmount = .seconds(30)
        var minBodyRate = 1_024
        var maxTargetBytes = 8 * 1_024
        var maxHeaderBytes = 32 * 1_024
    }

    /// Tells the limits that bytes came in, before the HTTP codec turns them into parts.
    final class ByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        let limits: ConnectionLimits

        init(limits: ConnectionLimits) {
            self.limits = limits
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            limits.bytesArrived(at: context.eventLoop.now)
            context.fireChannelRead(data)
        }
    }

    private let configuration: Configuration
    /// A request head is under way (its first byte came, or the connection opened) since then.
    private var headSince: NIODeadline?
    /// Idle between requests since then: the last answer is (nearly all) with the socket.
    private var idleSince: NIODeadline?
    /// The request whose body is being read: when its head came, and body bytes so far.
    private var body: (since: NIODeadline, bytes: Int)?
    /// The send buffer has been full since then.
    private var unwritableSince: NIODeadline?
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
        // The first request is under way from the moment the connection opens.
        headSince = context.eventLoop.now
        try? context.pipeline.syncOperations.addHandler(ByteWatcher(limits: self), position: .first)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        ticker = context.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            let (limits, context) = loopBound.value
            limits.check(context)
        }
    }

    fileprivate func bytesArrived(at now: NIODeadline) {
        guard idleSince != nil else { return }
        idleSince = nil
        headSince = now
    }

    private func check(_ context: ChannelHandlerContext) {
        let now = context.eventLoop.now
        var overdue = false
        if let headSince, now - headSince > configuration.headTimeout { overdue = true }
        if let idleSince, now - idleSince > configuration.idleTimeout { overdue = true }
        if let unwritableSince, now - unwritableSince > configuration.sendTimeout { overdue = true }
        if let body {
            let late = now - body.since - configuration.headTimeout
            if late > .zero, Int64(body.bytes) < late.nanoseconds / 1_000_000_000 * Int64(configuration.minBodyRate) { overdue = true }
        }
        if overdue { context.close(promise: nil) }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            unwritableSince = nil
            // The client took a part of the answer: an idle wait counts from now.
            if inProgress == 0, headSince == nil { idleSince = context.eventLoop.now }
        } else if unwritableSince == nil {
            unwritableSince = context.eventLoop.now
        }
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        switch unwrapInboundIn(data) {
        case .head(let request):
            headSince = nil
            idleSince = nil
            inProgress += 1
            body = (context.eventLoop.now, 0)
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
        context.write(data, promise: promise)
        guard case .end = unwrapOutboundIn(data) else { return }
        answered(context)
    }

    /// The fast path wrote a whole answer below the codec (`CachedPageHandler`): its end.
    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is DirectAnswer else { return context.triggerUserOutboundEvent(event, promise: promise) }
        answered(context)
        promise?.succeed()
    }

    /// A response ended.
    private func answered(_ context: ChannelHandlerContext) {
        inProgress = max(0, inProgress - 1)
        // Idle once the answer is with the socket, as far as the send buffer tells: a buffer
        // over its high-water mark means the client is still taking it (and the idle wait
        // starts when it drains; a client that stops taking it meets the send timeout).
        if inProgress == 0, headSince == nil, context.channel.isWritable { idleSince = context.eventLoop.now }
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
