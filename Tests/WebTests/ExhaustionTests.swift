import Basics
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import Web

/// Hostile input, part 2: no client may exhaust memory, CPU, connections or the upstreams.
/// Each test drives the real application (over real sockets where the limit lives there).
@Suite("Resource exhaustion")
struct ExhaustionTests {
    /// A metric's value from /metrics.
    static func metric(_ name: String, in client: any TestClientProtocol) async throws -> Int? {
        try await scrape(client).value(name).map { Int($0) }
    }

    // MARK: Rate limiter

    @Test("rate-limit buckets that have refilled are forgotten; the map never outgrows its budget")
    func limiterForgets() {
        let limiter = RateLimiter(RateLimit(count: 5, period: .seconds(1)), maxClients: 1_000)
        let start = ContinuousClock.now
        for client in 0..<5_000 {
            _ = limiter.check("10.0.\(client >> 8).\(client & 255)", now: start)
            #expect(limiter.clientCount <= 1_000)
        }
        // Two seconds later all have refilled: a few hundred checks of one client forget them all.
        for _ in 0..<300 { _ = limiter.exhausted("10.9.9.9", now: start + .seconds(2)) }
        #expect(limiter.clientCount <= 1)
    }

    @Test("an IPv6 client is limited by its /64, and the limit is checked before the body is read")
    func limiterKeysAndOrder() async throws {
        try await withApp(environment: ["ORDER_RATE_LIMIT": "1/min", "TRUSTED_PROXIES": "127.0.0.1/32,::1/128"], mode: .live) {
            (client: any TestClientProtocol) async throws in
            func order(from address: String, body: String = #"{"name":"Иван","phone":"+79001234567","consent":true}"#) async throws -> TestResponse {
                try await client.execute(
                    uri: "/api/leads", method: .post,
                    headers: [.contentType: "application/json", HTTPField.Name("X-Forwarded-For")!: address], body: ByteBuffer(string: body))
            }
            #expect(try await order(from: "2001:db8:1:2::a").status == .accepted)
            // Another address of the same /64: the same subscriber.
            #expect(try await order(from: "2001:db8:1:2:ffff::b").status == .tooManyRequests)
            // Over the limit, even a body that is no JSON is not looked at.
            #expect(try await order(from: "2001:db8:1:2::c", body: "{not json").status == .tooManyRequests)
            #expect(try await order(from: "2001:db8:1:3::a").status == .accepted)
        }
    }

    // MARK: JSON

    @Test("a JSON object with thousands of distinct keys is refused with 400, before any of them is used")
    func manyKeys() async throws {
        try await withApp { (client: any TestClientProtocol) async throws in
            let keys = (0..<6_000).map { #""k\#($0)":0"# }.joined(separator: ",")
            let response = try await client.execute(
                uri: "/api/leads", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{\(keys)}"))
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/problem+json")
        }
    }

    @Test("the parser finds a repeated key among many, keeps the last value, and caps keys per object")
    func parserKeys() throws {
        var members = (0..<500).map { #""k\#($0)":\#($0)"# }
        members.append(#""k7":"seven""#)
        members.append(#""k300":"three hundred""#)
        guard case .object(let pairs) = try JSONParser.parse("{" + members.joined(separator: ",") + "}") else {
            Issue.record("not an object")
            return
        }
        #expect(pairs.count == 500)
        #expect(pairs[7].value == .string("seven") && pairs[300].value == .string("three hundred"))
        let most = (0..<JSONParser.maxKeys).map { #""k\#($0)":0"# }.joined(separator: ",")
        #expect(throws: Never.self) { try JSONParser.parse("{\(most)}") }
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse("{\(most),\"one more\":0}") }
    }

    // MARK: Caches

    @Test("random query strings and padded ids cannot evict the warm cache or grow its maps")
    func cacheFlooding() async throws {
        try await withApp { (client: any TestClientProtocol) async throws in
            #expect(try await client.execute(uri: "/catalog", method: .get).status == .ok)
            let entries = try #require(try await Self.metric("page_cache_entries", in: client))
            let targets = try #require(try await Self.metric("page_cache_targets", in: client))
            for index in 0..<3_000 {
                let status = try await client.execute(uri: "/catalog?utm_x=\(index)&junk=\(UUID().uuidString)", method: .get).status
                if index < 3 { #expect(status == .ok) }
            }
            for uri in ["/api/products/0001", "/api/products/01", "/product/0001", "/api/products/%30%30%31"] {
                #expect(try await client.execute(uri: uri, method: .get).status == .notFound, "\(uri)")
            }
            // Other page sizes of the API are answered, not kept.
            for perPage in 1...30 {
                #expect(try await client.execute(uri: "/api/products?per_page=\(perPage)", method: .get).status == .ok)
            }
            #expect(try await Self.metric("page_cache_entries", in: client) == entries + 1)  // the default page size
            #expect(try await Self.metric("page_cache_targets", in: client) == targets)
            #expect(try await client.execute(uri: "/api/products/1", method: .get).status == .ok)
        }
    }

    @Test("a path segment that reads like a router parameter is just a value: 404, and the service goes on")
    func colonSegments() async throws {
        try await withApp { (client: any TestClientProtocol) async throws in
            for uri in ["/product/:x", "/product/%3Ax", "/catalog/:", "/catalog/%3Aslug?page=2", "/api/products/:a", "/product/a:b"] {
                #expect(try await client.execute(uri: uri, method: .get).status == .notFound, "\(uri)")
            }
            #expect(try await client.execute(uri: "/", method: .get).status == .ok)
        }
    }

    @Test("made-up product slugs and ids cost no Directus request: the published list answers them")
    func madeUpProducts() async throws {
        try await withDirectusApp { (client: any TestClientProtocol, directus: FakeDirectus, _: String) async throws in
            #expect(try await client.execute(uri: "/product/tokarnyj-stanok-chpu-ck6150", method: .get).status == .ok)
            let before = directus.requestCount()
            for index in 0..<200 {
                #expect(try await client.execute(uri: "/product/made-up-\(index)", method: .get).status == .notFound)
                #expect(try await client.execute(uri: "/api/products/\(1_000 + index)", method: .get).status == .notFound)
            }
            #expect(directus.requestCount() == before)
        }
    }

    @Test("a cold burst on one page makes one Directus load per list, reads the description once and renders the page once")
    func coldBurst() async throws {
        try await withDirectusApp { (client: any TestClientProtocol, directus: FakeDirectus, _: String) async throws in
            directus.fail(.slow(.milliseconds(300)))
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<40 {
                    group.addTask { try await client.execute(uri: "/product/tokarnyj-stanok-chpu-ck6150", method: .get).status }
                }
                for try await status in group { #expect(status == .ok) }
            }
            #expect(directus.requestCount() == 3)  // categories, products, the product's description
            #expect(try await Self.metric("pages_rendered_total", in: client) == 1)
        }
    }

    @Test("a page of an older catalog version neither evicts nor replaces a newer one")
    func versionsInOrder() {
        let cache = RenderedCache()
        let now = ContinuousClock.now
        let newer = RenderedResponse(body: ByteBuffer(string: "new"), contentType: "text/html")
        cache.put("page:/p", version: 2, now: now, newer)
        guard case .miss = cache.get("page:/p", version: 1, now: now) else {
            Issue.record("an older version was served")
            return
        }
        cache.put("page:/p", version: 1, now: now, RenderedResponse(body: ByteBuffer(string: "old"), contentType: "text/html"))
        guard case .fresh(let kept) = cache.get("page:/p", version: 2, now: now) else {
            Issue.record("the newer page is gone")
            return
        }
        #expect(String(buffer: kept.body) == "new")
    }

    @Test("the rendered cache keeps within its entry and byte budgets, least recently used out first")
    func renderedBudget() {
        let cache = RenderedCache(maxEntries: 10, maxBytes: 50_000)
        let now = ContinuousClock.now
        let page = RenderedResponse(body: ByteBuffer(repeating: 0x61, count: 4_000), contentType: "text/html")
        for index in 0..<40 {
            cache.put("page:\(index)", version: 1, now: now, page)
            cache.remember(target: "/p/\(index)", key: "page:\(index)")
            // The first page is in use all along: it stays.
            _ = cache.fresh(target: "/p/0", version: 1, now: now)
        }
        #expect(cache.usage.entries <= 10 && cache.usage.bytes <= 50_000)
        #expect(cache.targetCount <= 10)
        #expect(cache.fresh(target: "/p/0", version: 1, now: now) != nil)
        #expect(cache.fresh(target: "/p/39", version: 1, now: now) != nil)
        #expect(cache.fresh(target: "/p/5", version: 1, now: now) == nil)
    }

    // MARK: Connections

    @Test("a request target over 8 KiB is answered 414 and headers over 32 KiB 431; the server goes on")
    func oversizedHeads() async throws {
        try await withApp(mode: .live) { (client: any TestClientProtocol) async throws in
            let port = try #require(client.port)
            let long = try await RawConnection.open(port: port)
            try await long.send("GET /catalog?q=\(String(repeating: "a", count: 9_000)) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(try await eventually { !long.isOpen })
            #expect(long.received.hasPrefix("HTTP/1.1 414"), "\(long.received.prefix(200))")
            let fat = try await RawConnection.open(port: port)
            let filler = (0..<40).map { "X-Filler-\($0): \(String(repeating: "b", count: 1_000))\r\n" }.joined()
            try await fat.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\(filler)\r\n")
            #expect(try await eventually { !fat.isOpen })
            #expect(fat.received.hasPrefix("HTTP/1.1 431"), "\(fat.received.prefix(200))")
            #expect(try await client.execute(uri: "/", method: .get).status == .ok)
        }
    }

    @Test("a head sent a byte at a time, an idle keep-alive connection and a trickling body are all cut off")
    func slowClients() async throws {
        try await withApp(environment: ["REQUEST_HEAD_TIMEOUT": "1", "KEEPALIVE_TIMEOUT": "1"], mode: .live) { (client: any TestClientProtocol) async throws in
            let port = try #require(client.port)
            // A head that never ends.
            let slowHead = try await RawConnection.open(port: port)
            try await slowHead.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            // A complete request, then silence.
            let idle = try await RawConnection.open(port: port)
            try await idle.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            // A body promised at 60 KiB, sent a few bytes at a time.
            let trickle = try await RawConnection.open(port: port)
            try await trickle.send(
                "POST /api/leads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{")
            let opened = ContinuousClock.now
            var sending = true
            while sending, ContinuousClock.now - opened < .seconds(20) {
                try? await trickle.send(" ")
                sending = trickle.isOpen
                _ = try await eventually(timeout: .milliseconds(500)) { !trickle.isOpen }
            }
            #expect(try await eventually(timeout: .seconds(10)) { !slowHead.isOpen && !idle.isOpen && !trickle.isOpen })
            #expect(idle.received.hasPrefix("HTTP/1.1 200"))
            #expect(slowHead.received.isEmpty)
            // A client that behaves is served as before (on a new connection: the test client's
            // own one was idle for longer than the timeout, and is closed too).
            let fresh = try await RawConnection.open(port: port)
            try await fresh.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(try await eventually { fresh.received.hasPrefix("HTTP/1.1 200") })
            await fresh.close()
        }
    }
}
