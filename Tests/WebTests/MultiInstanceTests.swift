import Basics
import AsyncHTTPClient
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Storage
import Testing
import TestSupport

@testable import Web

/// Several instances on one PostgreSQL database, as a deployment runs them.
@Suite("Instances of one deployment")
struct MultiInstanceTests {
    static let secret = "hook-secret-for-tests"
    static let product = "/product/tokarnyj-stanok-chpu-ck6150"

    @Test("a Directus purge received by one instance is seen on another's next request within a second")
    func purgeFanOut() async throws {
        guard case .postgres(let databaseURL) = try await DatabaseEngine.postgres.freshDatabase() else { return }
        let directus = try FakeDirectus()
        try await directus.run { (url: String) async throws in
            let shared = [
                "DIRECTUS_URL": url, "DIRECTUS_TOKEN": FakeDirectus.serviceToken, "DIRECTUS_WEBHOOK_SECRET": Self.secret,
                "DATABASE_URL": databaseURL,
            ]
            let source = try makeCatalogSource(configuration: try AppConfiguration(environment: shared), logger: quietLogger)
            try await withApp(source: source, environment: shared.merging(["INSTANCE_ID": "a"]) { $1 }) { (a: any TestClientProtocol) async throws in
                let other = try makeCatalogSource(configuration: try AppConfiguration(environment: shared), logger: quietLogger)
                try await withApp(source: other, environment: shared.merging(["INSTANCE_ID": "b"]) { $1 }) { (b: any TestClientProtocol) async throws in
                    for client in [a, b] {
                        #expect(try await client.execute(uri: Self.product, method: .get).text.contains("1\u{00A0}250\u{00A0}000\u{00A0}₽"))
                    }
                    directus.update("products", id: 1, field: "price", to: .string("990000.00"))
                    let purge = try await a.execute(
                        uri: "/webhook/directus", method: .post,
                        headers: [HTTPField.Name("X-Webhook-Secret")!: Self.secret, .contentType: "application/json"],
                        body: ByteBuffer(string: #"{"event":"products.items.update","collection":"products","keys":[1]}"#))
                    #expect(purge.status == .ok)
                    #expect(try await eventually(timeout: .seconds(1)) {
                        try await b.execute(uri: Self.product, method: .get).text.contains("990\u{00A0}000\u{00A0}₽")
                    })
                }
            }
        }
    }

    /// Posts `count` orders to `server`, named `prefix 1…count`.
    static func order(_ count: Int, named prefix: String, at server: ServerProcess) async throws {
        for index in 1...count {
            var request = HTTPClientRequest(url: server.baseURL + "/api/leads")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"name":"\#(prefix) \#(index)","phone":"+7900777\#(String(format: "%04d", index % 7))","consent":true}"#))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(response.status == .accepted)
        }
    }

    @Test("two server processes on one PostgreSQL share amoCRM's 7 requests a second; the other takes over when the sender is killed")
    func sharedAmoCRMPace() async throws {
        guard case .postgres(let databaseURL) = try await DatabaseEngine.postgres.freshDatabase() else { return }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("instances-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let amo = FakeAmoCRM(redirectURI: "http://127.0.0.1:8080/webhook/amocrm")
        amo.addCode("code-1")
        try await amo.run { (url: String) async throws in
            let shared = [
                "DATABASE_URL": databaseURL, "ORDER_RATE_LIMIT": "off", "ADMIN_TOKEN": testAdminToken, "MAIL_DIR": scratch.path + "/mail",
                "AMOCRM_SUBDOMAIN": "example", "AMOCRM_BASE_URL": url, "AMOCRM_CLIENT_ID": FakeAmoCRM.clientID,
                "AMOCRM_CLIENT_SECRET": FakeAmoCRM.clientSecret, "AMOCRM_REDIRECT_URI": "http://127.0.0.1:8080/webhook/amocrm",
                "AMOCRM_AUTH_URL": url + "/oauth",
            ]
            var servers: [String: ServerProcess] = [:]
            for name in ["a", "b"] {
                let server = try ServerProcess(
                    port: freeLoopbackPort(), environment: shared.merging(["INSTANCE_ID": name]) { $1 },
                    log: scratch.appendingPathComponent(name + ".log"))
                try await server.waitUntilReady()
                servers[name] = server
            }
            let a = try #require(servers["a"])
            let b = try #require(servers["b"])
            defer { for server in servers.values { server.kill(SIGTERM) } }
            // The admin connects amoCRM on one of them; the tokens are in the shared database.
            var connect = HTTPClientRequest(url: a.baseURL + "/admin/amocrm/connect")
            connect.headers.add(name: "Authorization", value: "Bearer \(testAdminToken)")
            // The answer sends the admin to amoCRM's page: read it, do not follow it.
            let noRedirects = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
            let redirect = try await noRedirects.execute(connect, timeout: .seconds(10))
            try await noRedirects.shutdown()
            let location = try #require(redirect.headers.first(name: "Location"))
            let state = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "state" }?.value)
            let callback = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: b.baseURL + "/webhook/amocrm?code=code-1&referer=example.amocrm.ru&state=\(state)"), timeout: .seconds(10))
            #expect(callback.status == .ok)

            async let fromA: Void = Self.order(100, named: "Клиент A", at: a)
            async let fromB: Void = Self.order(100, named: "Клиент B", at: b)
            _ = try await (fromA, fromB)
            #expect(try await eventually(timeout: .seconds(60)) { amo.leads.count == 200 })
            #expect(amo.rateLimitedAnswers == 0)
            #expect(Set(amo.leads.compactMap { $0["name"] as? String }).count == 200)

            // Kill whichever instance sends to amoCRM: the other takes over within seconds.
            let database = try await openDatabase(.postgres(url: databaseURL), logger: quietLogger)
            let holder = try await Instances(database: database, clock: SystemClock()).holder(of: "amocrm")
            await database.close()
            let sender = try #require(holder.flatMap { servers[$0] }, "nobody holds the amoCRM role")
            let survivor = sender === a ? b : a
            sender.kill(SIGKILL)
            let killedAt = ContinuousClock.now
            try await Self.order(5, named: "После", at: survivor)
            #expect(try await eventually(timeout: .seconds(10)) { amo.leads.count == 205 })
            print("amoCRM role taken over: 5 new leads delivered \(ContinuousClock.now - killedAt) after the sender was killed")
        }
    }
}
