import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// The event-loop fast path for warm pages (`CachedPageHandler`), over real HTTP.
@Suite("Warm pages from the event loop")
struct FastPathTests {
    static let product = "/product/tokarnyj-stanok-chpu-ck6150"

    static func fastCount(_ client: any TestClientProtocol) async throws -> Int {
        Int(try #require(try await scrape(client).value("pages_fast_path_total")))
    }

    /// Repeats a request until the fast path answered it (a busy machine can let a page's
    /// one-second recheck interval pass between two requests).
    static func fastAnswer(_ client: any TestClientProtocol, headers: HTTPFields = [:]) async throws -> TestResponse? {
        for _ in 0..<20 {
            let before = try await fastCount(client)
            let response = try await client.execute(uri: product, method: .get, headers: headers)
            if try await fastCount(client) > before { return response }
        }
        return nil
    }

    @Test("a warm page is answered on the event loop with the router's bytes and headers; 304 works there too")
    func sameAnswer() async throws {
        try await withApp(mode: .live) { (client: any TestClientProtocol) async throws in
            let first = try await client.execute(uri: Self.product, method: .get)
            #expect(try await Self.fastCount(client) == 0)
            let second = try #require(try await Self.fastAnswer(client))
            #expect(second.status == .ok)
            #expect(second.body == first.body)
            for name in [HTTPField.Name.contentType, .cacheControl, .eTag, .contentSecurityPolicy, .xContentTypeOptions, .server, .contentLength] {
                #expect(second.headers[name] == first.headers[name], "\(name)")
            }
            #expect(second.headers[.date] != nil)
            let etag = try #require(first.headers[.eTag])
            let revalidated = try #require(try await Self.fastAnswer(client, headers: [.ifNoneMatch: etag]))
            #expect(revalidated.status == .notModified)
            #expect(revalidated.body.readableBytes == 0)
            // Only that exact target: another query string goes to the router.
            let count = try await Self.fastCount(client)
            #expect(try await client.execute(uri: Self.product + "?utm_source=x", method: .get).status == .ok)
            #expect(try await Self.fastCount(client) == count)
        }
    }

    @Test("pipelined requests are answered in order even when one of them could be answered at once")
    func pipelining() async throws {
        try await withApp(mode: .live) { (client: any TestClientProtocol) async throws in
            _ = try await client.execute(uri: Self.product, method: .get)  // warm
            let port = try #require(client.port)
            let request = """
                GET /catalog?q=%D0%BF%D1%80%D0%B5%D1%81%D1%81 HTTP/1.1\r
                Host: 127.0.0.1\r
                \r
                GET \(Self.product) HTTP/1.1\r
                Host: 127.0.0.1\r
                \r
                GET /healthz HTTP/1.1\r
                Host: 127.0.0.1\r
                Connection: close\r
                \r

                """
            let answer = try rawHTTPExchange(port: port, request)
            let search = try #require(answer.range(of: "Поиск: «пресс»"))
            let page = try #require(answer.range(of: "<h1>Токарный станок с ЧПУ CK6150</h1>"))
            let health = try #require(answer.range(of: "text/plain; charset=utf-8", options: .backwards))
            #expect(search.lowerBound < page.lowerBound)
            #expect(page.lowerBound < health.lowerBound)
            #expect(answer.components(separatedBy: "HTTP/1.1 200 OK").count == 4)
            #expect(answer.hasSuffix("ok\n"))
        }
    }

    @Test("a catalog change is never hidden by the fast path")
    func versionChange() async throws {
        let demo = try DemoCatalogSource()
        let products = try await demo.fetchProducts()
        let source = StubCatalogSource(categories: try await demo.fetchCategories(), products: products)
        let secret = "hook-secret-for-tests"
        // Default freshness: the fast path is on, and only the purge changes the catalog.
        try await withApp(source: source, environment: ["DIRECTUS_WEBHOOK_SECRET": secret], mode: .live) { (client: any TestClientProtocol) async throws in
            _ = try await client.execute(uri: Self.product, method: .get)
            let warm = try #require(try await Self.fastAnswer(client), "the page never came from the fast path")
            #expect(warm.text.contains("1\u{00A0}250\u{00A0}000\u{00A0}₽"))
            var changed = products
            let index = try #require(changed.firstIndex { $0.id == 1 })
            changed[index].price = .string("990000.00")
            source.setProducts(changed)
            let purge = try await client.execute(
                uri: "/webhook/directus", method: .post, headers: [HTTPField.Name("X-Webhook-Secret")!: secret, .contentType: "application/json"],
                body: ByteBuffer(string: #"{"event":"products.items.update","collection":"products","keys":["1"]}"#))
            #expect(purge.status == .ok)
            // The very next request shows the new price: the old bytes were not sent from the event loop.
            let before = try await Self.fastCount(client)
            let next = try await client.execute(uri: Self.product, method: .get)
            #expect(next.text.contains("990\u{00A0}000\u{00A0}₽"))
            #expect(try await Self.fastCount(client) == before)
        }
    }
}
