import Basics
import Catalog
import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Testing

@testable import Web

/// The connection limits on an embedded channel with the server's own HTTP codec: bytes in,
/// bytes out, and time that moves only when the test says.
@Suite("Connection limits")
struct ConnectionLimitsTests {
    static let configuration = ConnectionLimits.Configuration(
        headTimeout: .seconds(10), idleTimeout: .seconds(75), sendTimeout: .seconds(30), minBodyRate: 1_024)

    /// An open connection through the server's HTTP codec (as Hummingbird sets it up) to `handler`.
    static func connection(to handler: any ChannelHandler = ConnectionLimits(configuration: configuration)) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    /// What the router would do: read the request, answer it (a body of `size` bytes).
    static func answer(_ channel: EmbeddedChannel, size: Int = 10) throws {
        while let part = try channel.readInbound(as: HTTPRequestPart.self) {
            if case .end = part { break }
        }
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: String(size)])))
        try channel.writeOutbound(HTTPResponsePart.body(ByteBuffer(repeating: 0x61, count: size)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
    }

    /// Still open a second before `seconds` from now, closed a second after.
    static func expectClosed(_ channel: EmbeddedChannel, after seconds: Int64, sourceLocation: SourceLocation = #_sourceLocation) {
        channel.embeddedEventLoop.advanceTime(by: .seconds(seconds - 1))
        #expect(channel.isActive, "closed too early", sourceLocation: sourceLocation)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive, "still open", sourceLocation: sourceLocation)
    }

    /// The event-loop fast path with a fresh `/` page (`<html>home</html>`, 17 bytes) to answer.
    static func fastPathWithHomePage() -> CachedPageHandler {
        let cache = RenderedCache()
        let version = CatalogVersion()
        cache.put("page:/", version: version.current, now: .now, RenderedResponse(body: ByteBuffer(string: "<html>home</html>"), contentType: "text/html"))
        cache.remember(target: "/", key: "page:/")
        return CachedPageHandler(pages: FastPages(cache: cache, version: version, serverName: "test"))
    }

    static func send(_ channel: EmbeddedChannel, _ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    @Test("a new connection that sends nothing, or a head a byte at a time, is closed after the head timeout")
    func slowHead() throws {
        let silent = try Self.connection()
        Self.expectClosed(silent, after: 10)

        // 38 bytes, one every 500 ms: 19 s if nothing cut it short.
        let dribbling = try Self.connection()
        var elapsed: Duration = .zero
        for byte in "GET / HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n" {
            try Self.send(dribbling, String(byte))
            dribbling.embeddedEventLoop.advanceTime(by: .milliseconds(500))
            elapsed += .milliseconds(500)
            if !dribbling.isActive { break }
        }
        #expect(!dribbling.isActive)
        // Cut at the head timeout counted from the connection's opening, on the next of the
        // limiter's one-second ticks: at 10 s, by 11 s (a 12 s limit would fail here).
        #expect(elapsed >= .seconds(10) && elapsed <= .seconds(11), "closed after \(elapsed)")
    }

    @Test("between requests a connection may idle for the keep-alive time; the next head then has its own timeout")
    func keepAlive() throws {
        let channel = try Self.connection()
        try Self.send(channel, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        try Self.answer(channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(70))
        #expect(channel.isActive)
        // A second request starts coming, and stalls.
        try Self.send(channel, "GET /catalog HTTP/1.1\r\n")
        Self.expectClosed(channel, after: 10)

        let idle = try Self.connection()
        try Self.send(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        try Self.answer(idle)
        Self.expectClosed(idle, after: 75)
    }

    @Test("a body must keep coming at a minimum rate; a quick one is read however large")
    func bodyRate() throws {
        let trickle = try Self.connection()
        try Self.send(trickle, "POST /api/leads HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n")
        var seconds = 0
        while trickle.isActive, seconds < 60 {
            try Self.send(trickle, String(repeating: " ", count: 100))
            trickle.embeddedEventLoop.advanceTime(by: .seconds(1))
            seconds += 1
        }
        #expect(!trickle.isActive)
        #expect(seconds <= 13)

        let steady = try Self.connection()
        try Self.send(steady, "POST /api/leads HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n")
        for _ in 0..<30 {
            try Self.send(steady, String(repeating: " ", count: 2_000))
            steady.embeddedEventLoop.advanceTime(by: .seconds(1))
        }
        #expect(steady.isActive)
    }

    @Test("a slow download is never cut for being slow; a client that stops reading is, after the send timeout")
    func slowReaders() throws {
        // The answer drains slowly: the buffer fills and empties again and again.
        let slow = try Self.connection()
        try Self.send(slow, "GET /yml.xml HTTP/1.1\r\nHost: x\r\n\r\n")
        for _ in 0..<20 {
            slow.isWritable = false
            slow.pipeline.fireChannelWritabilityChanged()
            slow.embeddedEventLoop.advanceTime(by: .seconds(20))
            slow.isWritable = true
            slow.pipeline.fireChannelWritabilityChanged()
            slow.embeddedEventLoop.advanceTime(by: .seconds(1))
        }
        #expect(slow.isActive)
        // The whole answer is queued, far over the send buffer's mark; the client takes it slowly
        // for minutes: never idle meanwhile.
        while let part = try slow.readInbound(as: HTTPRequestPart.self) {
            if case .end = part { break }
        }
        slow.isWritable = false
        slow.pipeline.fireChannelWritabilityChanged()
        try Self.answer(slow, size: 3_000_000)
        for _ in 0..<10 {
            slow.embeddedEventLoop.advanceTime(by: .seconds(20))
            slow.isWritable = true
            slow.pipeline.fireChannelWritabilityChanged()
            slow.isWritable = false
            slow.pipeline.fireChannelWritabilityChanged()
        }
        #expect(slow.isActive)
        // The last of it went out: from now on it is an idle keep-alive connection.
        slow.isWritable = true
        slow.pipeline.fireChannelWritabilityChanged()
        Self.expectClosed(slow, after: 75)

        // Nothing drains at all.
        let stuck = try Self.connection()
        try Self.send(stuck, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        stuck.isWritable = false
        stuck.pipeline.fireChannelWritabilityChanged()
        Self.expectClosed(stuck, after: 30)
    }

    @Test("an over-long target is answered 414, then the connection closes")
    func oversized() throws {
        let long = try Self.connection()
        try Self.send(long, "GET /catalog?q=\(String(repeating: "a", count: 9_000)) HTTP/1.1\r\nHost: x\r\n\r\n")
        let answer = try #require(try long.readOutbound(as: ByteBuffer.self))
        #expect(String(buffer: answer).hasPrefix("HTTP/1.1 414"))
        #expect(!long.isActive)
    }

    @Test("the fast path answers only while the client reads: otherwise the request goes to the router, which waits for it")
    func fastPathWritability() throws {
        let channel = try Self.connection(to: Self.fastPathWithHomePage())

        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(String(buffer: try #require(try channel.readOutbound(as: ByteBuffer.self))).hasPrefix("HTTP/1.1 200"))
        #expect(try channel.readInbound(as: HTTPRequestPart.self) == nil)

        // The client stopped reading: pipelined requests are no longer answered here.
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        while try channel.readOutbound(as: ByteBuffer.self) != nil {}
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        guard case .head(let head) = try #require(try channel.readInbound(as: HTTPRequestPart.self)) else {
            Issue.record("the request did not reach the router")
            return
        }
        #expect(head.path == "/")
    }

    @Test("an answer from the fast path ends its request for the limits too: the connection then idles for the keep-alive time")
    func fastPathAnswerEndsRequest() throws {
        let channel = try Self.connection()
        try channel.pipeline.syncOperations.addHandler(Self.fastPathWithHomePage())
        try Self.send(channel, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = String(buffer: try #require(try channel.readOutbound(as: ByteBuffer.self)))
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n") && head.contains("content-length: 17\r\n") && head.hasSuffix("\r\n\r\n"))
        #expect(String(buffer: try #require(try channel.readOutbound(as: ByteBuffer.self))) == "<html>home</html>")
        #expect(try channel.readInbound(as: HTTPRequestPart.self) == nil)
        // Not a request in progress (that would never idle out) nor a head under way (10 s): idle.
        Self.expectClosed(channel, after: 75)
    }
}
