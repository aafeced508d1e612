import Basics
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Leads
import Logging
import Storage
import Testing
import TestSupport

@testable import Web

/// Requests an attacker would send: huge numbers, odd encodings, missing states, guesses.
/// Each test drives the real application.
@Suite("Hostile input")
struct HostileInputTests {
    static let huge = "9223372036854775807"
    static let previewSecret = "preview-secret-for-tests"

    static func errors(_ result: Result<ValidLead, LeadValidator.Failure>) -> [String: String]? {
        guard case .failure(let failure) = result else { return nil }
        return failure.errors
    }

    @Test("page numbers of any size answer 404 or 400, and the service keeps running")
    func hugePageNumbers() async throws {
        try await withApp { (client: any TestClientProtocol) async throws in
            for uri in ["/admin?page=\(Self.huge)", "/admin?page=-1", "/admin?page=abc", "/admin?page=99999999999999999999999"] {
                #expect(try await client.execute(uri: uri, method: .get, headers: operatorHeaders).status == .notFound, "\(uri)")
            }
            for uri in ["/catalog?page=\(Self.huge)", "/catalog?page=0", "/catalog?page=2.5", "/catalog/pressy?page=\(Self.huge)"] {
                #expect(try await client.execute(uri: uri, method: .get).status == .notFound, "\(uri)")
            }
            let api = try await client.execute(uri: "/api/products?page=\(Self.huge)&per_page=\(Self.huge)", method: .get)
            #expect(api.status == .badRequest)
            #expect(api.headers[.contentType] == "application/problem+json")
            var post = operatorHeaders
            post[.origin] = Browser.origin
            #expect(try await client.execute(uri: "/admin/leads/\(Self.huge)0/retry", method: .post, headers: post).status == .notFound)
            // Still alive.
            #expect(try await client.execute(uri: "/admin?page=2", method: .get, headers: operatorHeaders).status == .ok)
            #expect(try await client.execute(uri: "/", method: .get).status == .ok)
        }
    }

    @Test("a list page is never computed past its end, whatever the numbers")
    func pageArithmetic() {
        let page = Page(all: Array(1...30), number: Int.max, perPage: Int.max)
        #expect(page.items.isEmpty)
        #expect(!page.exists)
        #expect(Page(all: Array(1...30), number: 2, perPage: Int.max).items.isEmpty)
        #expect(Page(all: Array(1...30), number: 1, perPage: Int.max).items.count == 30)
        #expect(Page(all: Array(1...30), number: 3, perPage: 12).items == [25, 26, 27, 28, 29, 30])
        #expect(Page(all: [Int](), number: 1, perPage: 24).exists)
    }

    @Test("the API's page is checked against the total")
    func apiPageAgainstTotal() async throws {
        try await withApp { (client: any TestClientProtocol) async throws in
            let last = try await client.execute(uri: "/api/products?per_page=10&page=2", method: .get)
            #expect(last.status == .ok)
            let past = try await client.execute(uri: "/api/products?per_page=10&page=3", method: .get)
            #expect(past.status == .notFound)
            #expect(past.headers[.contentType] == "application/problem+json")
            #expect(past.text.contains("последняя страница — 2"))
            #expect(try await client.execute(uri: "/api/products?page=100000", method: .get).status == .notFound)
        }
    }

    @Test("ids beyond Directus' 32-bit keys name nothing and never reach the catalog")
    func hugeIDs() async throws {
        try await withDirectusApp(environment: ["PREVIEW_SECRET": "preview-secret-for-tests"]) { (client: any TestClientProtocol, directus: FakeDirectus, _: String) async throws in
            for uri in ["/product/2147483648", "/api/products/\(Self.huge)", "/preview/products/2147483648?secret=preview-secret-for-tests"] {
                #expect(try await client.execute(uri: uri, method: .get).status == .notFound, "\(uri)")
            }
            #expect(!directus.requests.contains { $0.path.contains("2147483648") || $0.path.contains(Self.huge) })
        }
        let order = LeadValidator.validate(LeadInput(productID: "2147483648", name: "Иван", phone: "+79001234567", consent: true))
        #expect(Self.errors(order) == ["product_id": "Неизвестный товар"])
    }

    @Test("a product with a Cyrillic slug is reached by its id and by its percent-encoded address")
    func nonASCIISlug() async throws {
        try await withDirectusApp { (client: any TestClientProtocol, directus: FakeDirectus, _: String) async throws in
            directus.update("products", id: 1, field: "slug", to: .string("станок-ck6150"))
            let moved = try await client.execute(uri: "/product/1", method: .get)
            #expect(moved.status == .movedPermanently)
            let location = try #require(moved.headers[.location])
            #expect(location == "/product/%D1%81%D1%82%D0%B0%D0%BD%D0%BE%D0%BA-ck6150")
            let page = try await client.execute(uri: location, method: .get)
            #expect(page.status == .ok)
            // The canonical link stays percent-encoded.
            #expect(page.text.contains("/product/%D1%81%D1%82%D0%B0%D0%BD%D0%BE%D0%BA-ck6150\""))
            let api = try await client.execute(uri: "/api/products/%D1%81%D1%82%D0%B0%D0%BD%D0%BE%D0%BA-ck6150", method: .get)
            #expect(api.status == .ok)
            #expect(try await client.execute(uri: "/product/%D1%81%zz", method: .get).status == .notFound)
        }
    }

    @Test("the search box's multi-word query (spaces as +) finds products, on pages and in the API")
    func plusIsSpace() async throws {
        try await withApp { (client: any TestClientProtocol) async throws in
            let page = try await client.execute(uri: "/catalog?q=%D1%82%D0%BE%D0%BA%D0%B0%D1%80%D0%BD%D1%8B%D0%B9+%D1%81%D1%82%D0%B0%D0%BD%D0%BE%D0%BA", method: .get)
            #expect(page.status == .ok)
            #expect(page.text.contains("Поиск: «токарный станок»"))
            #expect(page.text.contains("Токарный станок с ЧПУ CK6150"))
            let api = try await client.execute(uri: "/api/products?q=%D1%82%D0%BE%D0%BA%D0%B0%D1%80%D0%BD%D1%8B%D0%B9+%D1%81%D1%82%D0%B0%D0%BD%D0%BE%D0%BA", method: .get)
            let total = try #require(try jsonObject(api)["total"] as? Int)
            #expect(total >= 1)
        }
    }

    @Test("an uncached page waits DIRECTUS_TIMEOUT for a hanging Directus, then answers 503; cached pages are not held up")
    func hangingDirectus() async throws {
        // Generous margins: a busy machine must not turn the warm-up into a timeout.
        try await withDirectusApp(environment: ["DIRECTUS_TIMEOUT": "2", "CATALOG_FRESH_SECONDS": "0", "PREVIEW_SECRET": Self.previewSecret]) {
            (client: any TestClientProtocol, directus: FakeDirectus, _: String) async throws in
            #expect(try await eventually { try await client.execute(uri: "/", method: .get).status == .ok })
            // The next answers take 6 s: far longer than the timeout.
            directus.fail(.slow(.seconds(6)), .slow(.seconds(6)), .slow(.seconds(6)), .slow(.seconds(6)))
            let clock = ContinuousClock()
            var cached: TestResponse?
            let cachedTime = try await clock.measure { cached = try await client.execute(uri: "/", method: .get) }
            #expect(cached?.status == .ok)
            #expect(cachedTime < .seconds(2))  // Directus answers after 6 s
            var uncached: TestResponse?
            let uncachedTime = try await clock.measure {
                // A preview is read from Directus every time.
                uncached = try await client.execute(uri: "/preview/products/20?secret=\(Self.previewSecret)", method: .get)
            }
            #expect(uncached?.status == .serviceUnavailable)
            #expect(uncached?.text.contains("Каталог временно недоступен") == true)
            #expect(uncachedTime < .seconds(5))  // the 2 s timeout, not the 6 s answer
        }
        // Headers at once, then a body that stalls: the timeout covers the whole answer.
        try await withDirectusApp(environment: ["DIRECTUS_TIMEOUT": "2"]) { (client: any TestClientProtocol, directus: FakeDirectus, _: String) async throws in
            directus.fail(.trickle(.seconds(6)), .trickle(.seconds(6)))
            var answer: TestResponse?
            let elapsed = try await ContinuousClock().measure { answer = try await client.execute(uri: "/", method: .get) }
            #expect(answer?.status == .serviceUnavailable)
            #expect(elapsed < .seconds(5))
        }
        #expect(throws: ConfigurationError.self) { try AppConfiguration(environment: ["DIRECTUS_TIMEOUT": "0"]) }
        #expect(try AppConfiguration(environment: [:]).catalog.directusTimeout == .seconds(5))
    }

    @Test("/metrics and the detailed /readyz are for operators; anyone gets /healthz and a bare /readyz")
    func operatorEndpoints() async throws {
        try await withApp { (client: any TestClientProtocol) async throws in
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .forbidden)
            #expect(!metrics.text.contains("outbox_deliveries"))
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            #expect(ready.text == #"{"status":"ready"}"#)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let wrong: HTTPFields = [.authorization: "Bearer not-the-admin-token-at-all"]
            #expect(try await client.execute(uri: "/metrics", method: .get, headers: wrong).status == .forbidden)
            #expect(try await client.execute(uri: "/metrics", method: .get, headers: operatorHeaders).text.contains("outbox_deliveries"))
            #expect(try await client.execute(uri: "/readyz", method: .get, headers: operatorHeaders).text.contains("deliveries waiting"))
        }
        // Over real sockets the peer is 127.0.0.1: allowed by default, refused when METRICS_ALLOW leaves it out.
        try await withApp(mode: .live) { (client: any TestClientProtocol) async throws in
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/readyz", method: .get).text.contains("checks"))
        }
        try await withApp(environment: ["METRICS_ALLOW": "10.0.0.0/8"], mode: .live) { (client: any TestClientProtocol) async throws in
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .forbidden)
            #expect(try await client.execute(uri: "/metrics", method: .get, headers: operatorHeaders).status == .ok)
        }
        #expect(throws: ConfigurationError(variable: "METRICS_ALLOW", reason: "'nope' is not an address or CIDR like 10.0.0.0/8")) {
            try AppConfiguration(environment: ["METRICS_ALLOW": "nope"])
        }
    }

    @Test("secrets shorter than 16 characters stop start-up, naming the variable", arguments: [
        "ADMIN_TOKEN", "PREVIEW_SECRET", "DIRECTUS_WEBHOOK_SECRET", "AMOCRM_WEBHOOK_TOKEN",
    ])
    func shortSecrets(variable: String) throws {
        #expect {
            try AppConfiguration(environment: [variable: "abc"])
        } throws: { error in
            (error as? ConfigurationError)?.variable == variable && !"\(error)".contains("abc")
        }
        #expect(throws: Never.self) { try AppConfiguration(environment: [variable: "0123456789abcdef"]) }
    }

    @Test("ingest keys shorter than 16 characters stop start-up")
    func shortIngestKey() {
        #expect { try AppConfiguration(environment: ["INGEST_KEYS": "telegram:short-key-01"]) } throws: { error in
            (error as? ConfigurationError)?.variable == "INGEST_KEYS" && !"\(error)".contains("short-key-01")
        }
    }

    @Test("repeated wrong admin credentials from one client are slowed down; asking for the prompt is not a guess")
    func adminGuessing() async throws {
        try await withApp { (client: any TestClientProtocol) async throws in
            for _ in 0..<15 {
                #expect(try await client.execute(uri: "/admin", method: .get).status == .unauthorized)
            }
            var statuses: [HTTPResponse.Status] = []
            for attempt in 0..<12 {
                let headers: HTTPFields = [.authorization: "Bearer guess-number-\(attempt)-xxxxxxxx"]
                statuses.append(try await client.execute(uri: "/admin", method: .get, headers: headers).status)
            }
            #expect(statuses.prefix(10).allSatisfy { $0 == .unauthorized })
            #expect(statuses.suffix(2).allSatisfy { $0 == .tooManyRequests })
            // Even the right token waits now: guesses are not checked while the client waits.
            let right = try await client.execute(uri: "/admin", method: .get, headers: operatorHeaders)
            #expect(right.status == .tooManyRequests)
            #expect(Int(right.headers[.retryAfter] ?? "") ?? 0 >= 1)
        }
    }

    @Test("wrong tokens on /metrics count as admin guesses too")
    func metricsGuessing() async throws {
        try await withApp { (client: any TestClientProtocol) async throws in
            for attempt in 0..<10 {
                let guess: HTTPFields = [.authorization: "Bearer metrics-guess-\(attempt)-xxxxxxxx"]
                #expect(try await client.execute(uri: "/metrics", method: .get, headers: guess).status == .forbidden)
            }
            // The budget is spent: not even the right token is looked at, here or on /admin.
            #expect(try await client.execute(uri: "/metrics", method: .get, headers: operatorHeaders).status == .forbidden)
            #expect(try await client.execute(uri: "/admin", method: .get, headers: operatorHeaders).status == .tooManyRequests)
        }
    }

    @Test("wrong ingest keys, preview secrets and Directus webhook secrets from one client reach 429; the right one still passes")
    func secretGuessing() async throws {
        let environment = [
            "INGEST_KEYS": "telegram:tg-secret-key-for-tests-1", "PREVIEW_SECRET": Self.previewSecret,
            "DIRECTUS_WEBHOOK_SECRET": "directus-secret-for-tests",
        ]
        let order = ByteBuffer(string: #"{"name":"Ольга","phone":"+79121234567","consent":true}"#)
        @Sendable func ingest(_ client: any TestClientProtocol, _ key: String) async throws -> TestResponse {
            try await client.execute(
                uri: "/ingest/leads", method: .post, headers: [.authorization: "Bearer " + key, .contentType: "application/json"], body: order)
        }
        @Sendable func preview(_ client: any TestClientProtocol, _ secret: String) async throws -> TestResponse {
            try await client.execute(uri: "/preview/products/1?secret=" + secret, method: .get)
        }
        @Sendable func directus(_ client: any TestClientProtocol, _ secret: String) async throws -> TestResponse {
            try await client.execute(
                uri: "/webhook/directus", method: .post,
                headers: [HTTPField.Name("X-Webhook-Secret")!: secret, .contentType: "application/json"],
                body: ByteBuffer(string: #"{"event":"products.items.update","collection":"products","keys":["1"]}"#))
        }
        let endpoints: [(name: String, send: @Sendable (any TestClientProtocol, String) async throws -> TestResponse, wrong: HTTPResponse.Status, right: String)] = [
            ("ingest", ingest, .unauthorized, "tg-secret-key-for-tests-1"),
            ("preview", preview, .forbidden, Self.previewSecret),
            ("directus", directus, .unauthorized, "directus-secret-for-tests"),
        ]
        for endpoint in endpoints {
            try await withApp(environment: environment) { (client: any TestClientProtocol) async throws in
                var statuses: [HTTPResponse.Status] = []
                for attempt in 0..<12 { statuses.append(try await endpoint.send(client, "guess-\(attempt)-xxxxxxxxxxxxxxxx").status) }
                #expect(statuses.prefix(10).allSatisfy { $0 == endpoint.wrong }, "\(endpoint.name): \(statuses)")
                #expect(statuses.suffix(2).allSatisfy { $0 == .tooManyRequests }, "\(endpoint.name): \(statuses)")
                let waiting = try await endpoint.send(client, "guess-12-xxxxxxxxxxxxxxxx")
                #expect(Int(waiting.headers[.retryAfter] ?? "") ?? 0 >= 1, "\(endpoint.name)")
                // The real sender may share the guesser's address (amoCRM's, a NAT): never locked out.
                let right = try await endpoint.send(client, endpoint.right)
                #expect(right.status != .tooManyRequests && right.status != endpoint.wrong, "\(endpoint.name): \(right.status)")
            }
        }
    }

    @Test("the OAuth callback shows amoCRM's error code, never free text from the URL")
    func callbackErrorText() async throws {
        let amo = FakeAmoCRM(redirectURI: "http://127.0.0.1:8080/webhook/amocrm")
        try await amo.run { (url: String) async throws in
            let environment = [
                "AMOCRM_SUBDOMAIN": "example", "AMOCRM_BASE_URL": url, "AMOCRM_CLIENT_ID": FakeAmoCRM.clientID,
                "AMOCRM_CLIENT_SECRET": FakeAmoCRM.clientSecret,
            ]
            try await withApp(environment: environment) { (client: any TestClientProtocol) async throws in
                let denied = try await client.execute(uri: "/webhook/amocrm?error=access_denied", method: .get)
                #expect(denied.text.contains("amoCRM ответил: access_denied."))
                let spoof = try await client.execute(
                    uri: "/webhook/amocrm?error=%D0%9F%D0%BE%D0%B7%D0%B2%D0%BE%D0%BD%D0%B8%D1%82%D0%B5+8-900-000-00-00", method: .get)
                #expect(spoof.status == .badRequest)
                #expect(!spoof.text.contains("8-900-000-00-00"))
                #expect(!spoof.text.contains("Позвоните 8-900"))
            }
        }
    }

    @Test("field limits bound UTF-8 bytes, not only characters")
    func combiningMarks() {
        // 100 "characters", each a letter with 50 combining marks: 10 KB.
        let zalgo = String(repeating: "и" + String(repeating: "\u{0301}", count: 50), count: 100)
        #expect(zalgo.count == 100)
        let result = LeadValidator.validate(LeadInput(name: zalgo, phone: "+79001234567", consent: true))
        #expect(Self.errors(result) == ["name": "Не больше 100 символов"])
    }
}
