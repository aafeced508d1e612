import Basics
import AsyncHTTPClient
import Logging
import NIOCore
import Testing
import TestSupport

@testable import Catalog

@Suite("Directus source against a loopback Directus")
struct DirectusCatalogSourceTests {
    let directus: FakeDirectus

    init() throws {
        directus = try FakeDirectus()
    }

    func source(
        _ baseURL: String, token: String? = FakeDirectus.serviceToken, timeout: TimeAmount = .seconds(5), pageSize: Int = 250,
        maxResponseBytes: Int = 32 << 20
    ) -> DirectusCatalogSource {
        DirectusCatalogSource(
            configuration: .init(baseURL: baseURL, token: token, timeout: timeout, maxResponseBytes: maxResponseBytes, pageSize: pageSize),
            httpClient: HTTPClient.shared, logger: Logger(label: "test"))
    }

    @Test("a list larger than one Directus page is read completely, a page at a time in id order")
    func pagedList() async throws {
        try await directus.run { (url: String) async throws in
            let whole = try await source(url).fetchProducts()
            directus.resetRequests()
            let paged = try await source(url, pageSize: 3).fetchProducts()
            #expect(paged.map(\.id).sorted() == whole.map(\.id).sorted())
            #expect(paged.count == 11)
            let asked = directus.requests.filter { $0.path == "/items/products" }
            #expect(asked.count == 4)  // 3 + 3 + 3 + 2
            #expect(asked.map { $0.query["page"] } == ["1", "2", "3", "4"])
            #expect(asked.allSatisfy { $0.query["limit"] == "3" && $0.query["sort"] == "id" })
        }
    }

    @Test("an answer over DIRECTUS_MAX_RESPONSE_MB is an error that says so, and the stale catalog keeps being served")
    func oversizedAnswer() async throws {
        try await directus.run { (url: String) async throws in
            let clock = TestWallClock()
            let log = LogCapture()
            let catalog = Catalog(
                source: source(url, pageSize: 4, maxResponseBytes: 1 << 20), policy: CachePolicy(fresh: .seconds(1), stale: .seconds(2)),
                clock: clock, logger: log.logger(level: .info))
            let before = try await catalog.index()
            #expect(before.products.count == 11)
            // An editor pastes a huge description: the page holding it is over the limit now.
            directus.update("products", id: 1, field: "description", to: .string(String(repeating: "<p>Станок</p>", count: 100_000)))
            clock.advance(by: .seconds(3))
            let after = try await catalog.index()
            #expect(after.products.count == 11)
            #expect(try await catalog.product(.slug("tokarnyj-stanok-chpu-ck6150")) != nil)
            #expect(catalog.refreshFailures == 1)
            #expect(log.text.contains("DIRECTUS_MAX_RESPONSE_MB"))
            #expect(log.text.contains("serving_stale=true"))
        }
    }

    @Test("lists published products with relations expanded, sending the token")
    func products() async throws {
        try await directus.run { (url: String) async throws in
            let products = try await source(url).fetchProducts()
            #expect(products.count == 11)
            #expect(!products.contains { $0.status == "draft" })
            let first = try #require(products.first { $0.id == 1 })
            #expect(first.price == .string("1250000.00"))
            #expect(first.category?.slug == "tokarnye-stanki-chpu")
            #expect(first.images.map(\.id) == ["9b1c2f4e-6a7d-4c1e-9f0a-2d3b00000001", "9b1c2f4e-6a7d-4c1e-9f0a-2d3b00000002"])
            #expect(first.images.first?.width == 2400)
            #expect(directus.requests.last?.authorization == "Bearer \(FakeDirectus.serviceToken)")
            #expect(directus.requests.last?.query["filter[status][_eq]"] == "published")
        }
    }

    @Test("without a token the Public role is used")
    func publicRole() async throws {
        try await directus.run { (url: String) async throws in
            let categories = try await source(url, token: nil).fetchCategories()
            #expect(categories.map(\.slug) == ["tokarnye-stanki-chpu", "frezernye-stanki", "sverlilnye-stanki", "pressy"])
            #expect(directus.requests.last?.authorization == nil)
        }
    }

    @Test("products by id: published ones with their description; drafts and unknown ids are left out")
    func itemsByID() async throws {
        try await directus.run { (url: String) async throws in
            let found = try await source(url, token: nil).fetchProducts(ids: [5, 6, 12, 999])
            #expect(found.map(\.id).sorted() == [5, 6])
            #expect(found.first { $0.id == 5 }?.description?.hasPrefix("<p>Консольно-фрезерный станок") == true)
            #expect(try await source(url, token: nil).fetchProducts(ids: []).isEmpty)
        }
    }

    @Test("a service token that can see drafts still gets published items only")
    func serviceTokenDraft() async throws {
        try await directus.run { (url: String) async throws in
            #expect(try await source(url).fetchProducts(ids: [12]).isEmpty)
        }
    }

    @Test("an unknown token is reported as unauthorized, without the token in the message")
    func badToken() async throws {
        try await directus.run { (url: String) async throws in
            do {
                _ = try await source(url, token: "wrong-secret-token").fetchProducts()
                Issue.record("expected an error")
            } catch {
                guard case .unauthorized = error as? CatalogError else { Issue.record("got \(error)"); return }
                #expect(!"\(error)".contains("wrong-secret-token"))
            }
        }
    }

    @Test("429 carries Retry-After; 503 is unavailable; a non-JSON body is invalid")
    func failures() async throws {
        try await directus.run { (url: String) async throws in
            let source = source(url)
            directus.fail(.rateLimited, .unavailable, .garbage)
            await #expect(throws: CatalogError.rateLimited(retryAfter: 1)) { try await source.fetchCategories() }
            await #expect {
                try await source.fetchCategories()
            } throws: { error in
                guard case .unavailable(let message) = error as? CatalogError else { return false }
                return message.contains("SERVICE_UNAVAILABLE")
            }
            await #expect {
                try await source.fetchCategories()
            } throws: { error in
                if case .invalidResponse = error as? CatalogError { return true }
                return false
            }
            #expect(try await source.fetchCategories().count == 4)
        }
    }

    @Test("a slow Directus times out as unavailable")
    func timeout() async throws {
        try await directus.run { (url: String) async throws in
            directus.fail(.slow(.seconds(2)))
            await #expect {
                try await source(url, timeout: .milliseconds(300)).fetchCategories()
            } throws: { error in
                if case .unavailable = error as? CatalogError { return true }
                return false
            }
        }
    }

    @Test("an unreachable Directus is unavailable")
    func unreachable() async throws {
        await #expect {
            try await source("http://127.0.0.1:9", timeout: .seconds(1)).fetchCategories()
        } throws: { error in
            if case .unavailable = error as? CatalogError { return true }
            return false
        }
    }

    @Test("decimals as numbers and specs as an object go through normalization")
    func numbers() async throws {
        try await directus.run { (url: String) async throws in
            directus.update("products", id: 2, field: "price", to: .number(985000.5))
            let catalog = Catalog(source: source(url), logger: Logger(label: "test"))
            let product = try #require(try await catalog.product(.slug("tokarnyj-stanok-chpu-ck6140")))
            #expect(product.price.text == "985\u{00A0}000,50\u{00A0}₽")
            let mill = try #require(try await catalog.product(.slug("universalnyj-frezernyj-stanok-6r82")))
            #expect(mill.price.onRequest)
            #expect(mill.specs.map(\.name) == ["Размер стола, мм", "Мощность, кВт", "Масса, кг"])
        }
    }

    @Test("a cold burst on one product makes one Directus request per list; warm reads make none")
    func coldBurst() async throws {
        try await directus.run { (url: String) async throws in
            let catalog = Catalog(source: source(url), logger: Logger(label: "test"))
            directus.fail(.slow(.milliseconds(200)))
            directus.resetRequests()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<40 {
                    group.addTask { _ = try await catalog.product(.slug("tokarnyj-stanok-chpu-ck6150")) }
                }
                try await group.waitForAll()
            }
            // Categories and products: a product page is read from the published list.
            #expect(directus.requestCount() == 2)
            _ = try await catalog.product(.slug("tokarnyj-stanok-chpu-ck6150"))
            #expect(directus.requestCount() == 2)
        }
    }

    @Test("an item that disappears from Directus is evicted on refresh; an error keeps it")
    func eviction() async throws {
        try await directus.run { (url: String) async throws in
            let clock = TestWallClock()
            let catalog = Catalog(
                source: source(url, token: nil), policy: CachePolicy(fresh: .seconds(1), stale: .seconds(2)),
                clock: clock, logger: Logger(label: "test"))
            let key = ProductKey.slug("press-gidravlicheskij-y41-63")
            #expect(try await catalog.product(key) != nil)
            clock.advance(by: .seconds(3))
            directus.fail(.unavailable)
            #expect(try await catalog.product(key) != nil)  // stale-if-error
            #expect(catalog.refreshFailures == 1)
            directus.update("products", id: 10, field: "status", to: .string("archived"))
            clock.advance(by: .seconds(3))
            #expect(try await catalog.product(key) == nil)
        }
    }
}
