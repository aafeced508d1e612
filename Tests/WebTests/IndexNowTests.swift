import Basics
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Indexing
import Testing
import TestSupport

@testable import Web

@Suite("IndexNow")
struct IndexNowTests {
    static let key = "5f0c2a9e7b4d4e1c8a6b3d2f1e0a9c7b"
    static let site = "https://stankotorg.example.ru"
    static let secret = "hook-secret-for-tests"

    @Test("with INDEXNOW_KEY the key is served as plain text at /{key}.txt, and only there")
    func keyFile() async throws {
        try await withApp(environment: ["INDEXNOW_KEY": Self.key, "PUBLIC_BASE_URL": Self.site]) { (client: any TestClientProtocol) async throws in
            let file = try await client.execute(uri: "/\(Self.key).txt", method: .get)
            #expect(file.status == .ok)
            #expect(file.text == Self.key)
            #expect(file.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(try await client.execute(uri: "/0123456789abcdef.txt", method: .get).status == .notFound)
        }
        // Off without the key: no such file.
        try await withApp { (client: any TestClientProtocol) async throws in
            #expect(try await client.execute(uri: "/\(Self.key).txt", method: .get).status == .notFound)
        }
    }

    @Test("a key IndexNow would refuse stops start-up, naming the variable, and so does a key without PUBLIC_BASE_URL; the endpoint defaults to Yandex's")
    func settings() throws {
        for bad in ["short", String(repeating: "a", count: 129), "key_with_underscore", "ключ-ключ-ключ"] {
            #expect(throws: ConfigurationError.self) { try AppConfiguration(environment: ["INDEXNOW_KEY": bad, "PUBLIC_BASE_URL": Self.site]) }
        }
        let unaddressed = #expect(throws: ConfigurationError.self) { try AppConfiguration(environment: ["INDEXNOW_KEY": Self.key]) }
        #expect(unaddressed?.variable == "INDEXNOW_KEY" && "\(unaddressed!)".contains("PUBLIC_BASE_URL"))
        #expect(try AppConfiguration(environment: [:]).indexNow == IndexNowSettings())
        #expect(try AppConfiguration(environment: [:]).indexNow.endpoint == "https://yandex.com/indexnow")
        #expect(try AppConfiguration(environment: ["INDEXNOW_ENDPOINT": "http://127.0.0.1:9/indexnow/"]).indexNow.endpoint == "http://127.0.0.1:9/indexnow")
    }

    @Test("a burst of 50 edits (eleven products, most edited several times) is one POST a minute after the first, each page once, with the right key and host")
    func burst() async throws {
        try await withServices { directus, indexNow, database in
            let clock = TestWallClock()
            try await Self.withIndexNowApp(directus: directus, indexNow: indexNow, database: database, clock: clock) { client, fakeDirectus, fake in
                try await Self.firstRecord(client)
                for edit in 0..<50 {
                    // 49 edits over products 1–10, then product 11 last: once it waits, every edit is recorded.
                    let id = edit == 49 ? 11 : edit % 10 + 1
                    try await Self.edit(client, fakeDirectus, id: id, price: 1_000_000 + edit * 1_000)
                }
                let last = "/product/press-krivoshipnyj-kd2128"
                // Eleven products and the four categories that list them; fifteen only once the
                // last edit (the one product not edited before) is recorded.
                #expect(try await eventually { try await Self.waiting(client) == 15 })
                #expect(fake.posts == 0, "nothing before the minute is up")
                #expect(try await Self.advance(clock, past: .seconds(61)) { try await Self.waiting(client) == 0 })
                #expect(fake.posts == 1)
                let batch = try #require(fake.accepted.first)
                #expect(batch.host == "stankotorg.example.ru")
                #expect(batch.key == Self.key)
                #expect(batch.keyLocation == Self.site + "/" + Self.key + ".txt")
                #expect(Set(batch.urlList).count == batch.urlList.count, "each page once")
                let products = batch.urlList.filter { $0.hasPrefix(Self.site + "/product/") }
                #expect(products.count == 11)
                #expect(batch.urlList.contains(Self.site + last))
                #expect(batch.urlList.contains(Self.site + "/catalog/tokarnye-stanki-chpu"), "a category whose list shows a new price")
                #expect(!batch.urlList.contains(Self.site + "/"), "the home page is not announced")
            }
        }
    }

    @Test("a changed page queued before a stop is sent by the next start; an unpublished product is announced too, and the sitemap's lastmod of its category moves")
    func restart() async throws {
        try await withServices { directus, indexNow, database in
            let clock = TestWallClock()
            try await Self.withIndexNowApp(directus: directus, indexNow: indexNow, database: database, clock: clock) { client, fakeDirectus, fake in
                try await Self.firstRecord(client)
                let before = try await client.execute(uri: "/sitemap.xml", method: .get).text
                #expect(Self.lastmod(of: "/catalog/pressy", in: before) != "2027-01-15")
                clock.advance(by: .seconds(86_400 * 30))
                fakeDirectus.update("products", id: 10, field: "status", to: .string("draft"))
                try await Self.hook(client, id: 10)
                // The product's page (gone) and its category's.
                #expect(try await eventually { try await Self.waiting(client) == 2 })
                // The category lost a product: its lastmod is now, though no product in it changed.
                #expect(try await eventually {
                    let sitemap = try await client.execute(uri: "/sitemap.xml", method: .get).text
                    return Self.lastmod(of: "/catalog/pressy", in: sitemap) == "2027-02-14" && !sitemap.contains("press-gidravlicheskij-y41-63")
                })
                #expect(fake.posts == 0)
            }
            // The next start, on the same database: the minute is up, and the page is sent.
            let clock2 = TestWallClock(start: Date(timeIntervalSince1970: 1_800_000_000 + 86_400 * 30))
            try await Self.withIndexNowApp(directus: directus, indexNow: indexNow, database: database, clock: clock2) { client, _, fake in
                #expect(try await Self.advance(clock2, past: .seconds(61)) { fake.posts == 1 })
                let urls = try #require(fake.accepted.first).urlList
                #expect(urls.contains(Self.site + "/product/press-gidravlicheskij-y41-63"))
                #expect(urls.contains(Self.site + "/catalog/pressy"))
                #expect(try await eventually { try await Self.waiting(client) == 0 })
            }
        }
    }

    @Test("a 429 pauses sending for its Retry-After, keeps the pages, and the same pages are sent after the pause")
    func rateLimited() async throws {
        try await withServices { directus, indexNow, database in
            let clock = TestWallClock()
            try await Self.withIndexNowApp(directus: directus, indexNow: indexNow, database: database, clock: clock) { client, fakeDirectus, fake in
                fake.answer(.init(status: 429, retryAfter: "300"))
                try await Self.firstRecord(client)
                try await Self.edit(client, fakeDirectus, id: 3, price: 2_000_000)
                #expect(try await eventually { try await Self.waiting(client) == 2 })
                #expect(try await Self.advance(clock, past: .seconds(61)) { fake.posts == 1 })
                // Within the five minutes the sender only naps; the page keeps waiting.
                for _ in 0..<20 {
                    #expect(try await eventually { clock.sleeping > 0 })
                    clock.advance(by: .seconds(10))
                }
                #expect(try await eventually { clock.sleeping > 0 })
                #expect(fake.posts == 1)
                #expect(try await Self.waiting(client) == 2)
                #expect(try await Self.advance(clock, past: .seconds(400)) { fake.accepted.count == 1 })
                #expect(fake.posts == 2)
                #expect(try #require(fake.accepted.first).urlList.contains(Self.site + "/product/tokarnyj-centr-tck46"))
                #expect(try await eventually { try await Self.waiting(client) == 0 })
            }
        }
    }

    // MARK: - Helpers

    /// A loopback Directus and IndexNow, and a database file that outlives one app.
    func withServices(_ body: @Sendable (_ directus: FakeDirectus, _ indexNow: FakeIndexNow, _ database: String) async throws -> Void) async throws {
        let directus = try FakeDirectus()
        let indexNow = FakeIndexNow()
        let database = FileManager.default.temporaryDirectory.appendingPathComponent("indexnow-\(UUID().uuidString).sqlite").path
        try await body(directus, indexNow, database)
    }

    static func withIndexNowApp(
        directus: FakeDirectus, indexNow: FakeIndexNow, database: String, clock: TestWallClock,
        _ test: @Sendable (any TestClientProtocol, FakeDirectus, FakeIndexNow) async throws -> Void
    ) async throws {
        try await directus.run { directusURL in
            try await indexNow.run { endpoint in
                try await withApp(
                    environment: [
                        "DIRECTUS_URL": directusURL, "DIRECTUS_TOKEN": FakeDirectus.serviceToken, "DIRECTUS_WEBHOOK_SECRET": secret,
                        "INDEXNOW_KEY": key, "INDEXNOW_ENDPOINT": endpoint, "PUBLIC_BASE_URL": site, "DATABASE_URL": "sqlite://" + database,
                    ], clock: clock
                ) { client in try await test(client, directus, indexNow) }
            }
        }
    }

    /// Moves the clock `past` the time the sender waits for, then on in 10 s steps until
    /// `condition` holds: a sender that read the time just before the move naps from after it.
    static func advance(_ clock: TestWallClock, past: Duration, until condition: @escaping @Sendable () async throws -> Bool) async throws -> Bool {
        clock.advance(by: past)
        return try await eventually {
            if try await condition() { return true }
            clock.advance(by: .seconds(10))
            return false
        }
    }

    /// A visit builds the catalog, and the site as it is is recorded (nothing announced).
    static func firstRecord(_ client: any TestClientProtocol) async throws {
        #expect(try await client.execute(uri: "/", method: .get).status == .ok)
        #expect(try await eventually { try await scrape(client).value("site_pages_recorded") ?? 0 > 0 })
        #expect(try await waiting(client) == 0)
    }

    static func edit(_ client: any TestClientProtocol, _ directus: FakeDirectus, id: Int, price: Int) async throws {
        directus.update("products", id: id, field: "price", to: .string("\(price).00"))
        try await hook(client, id: id)
    }

    static func hook(_ client: any TestClientProtocol, id: Int) async throws {
        let event = #"{"event":"products.items.update","collection":"products","keys":["\#(id)"]}"#
        let answer = try await client.execute(
            uri: "/webhook/directus", method: .post,
            headers: [.contentType: "application/json", HTTPField.Name("X-Webhook-Secret")!: secret], body: ByteBuffer(string: event))
        #expect(answer.status == .ok)
    }

    /// Pages waiting for IndexNow, as `/metrics` tells operators. (The test reads the
    /// application, not its SQLite file: a second connection's locks could stall the app's.)
    static func waiting(_ client: any TestClientProtocol) async throws -> Int {
        Int(try await scrape(client).value("indexnow_pages_waiting") ?? -1)
    }

    /// The `lastmod` day of `path` in a sitemap.
    static func lastmod(of path: String, in sitemap: String) -> String? {
        guard let loc = sitemap.range(of: "<loc>\(site)\(path)</loc>") else { return nil }
        let rest = sitemap[loc.upperBound...]
        guard let start = rest.range(of: "<lastmod>"), let end = rest.range(of: "</url>"), start.lowerBound < end.lowerBound else { return nil }
        return String(rest[start.upperBound...].prefix(10))
    }
}
