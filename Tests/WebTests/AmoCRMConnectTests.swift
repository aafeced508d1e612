import Basics
import Foundation
import HTTPTypes
import Hummingbird
import AmoCRM
import Logging
import Storage
import HummingbirdTesting
import Testing
import TestSupport
@testable import Web

@Suite("Connecting amoCRM from the admin")
struct AmoCRMConnectTests {
    static let admin = operatorHeaders

    func environment(_ url: String) -> [String: String] {
        [
            "ADMIN_TOKEN": "adm1n-t0ken-for-tests", "AMOCRM_SUBDOMAIN": "example", "AMOCRM_BASE_URL": url,
            "AMOCRM_CLIENT_ID": FakeAmoCRM.clientID, "AMOCRM_CLIENT_SECRET": FakeAmoCRM.clientSecret,
            "AMOCRM_AUTH_URL": "https://www.amocrm.ru/oauth",
        ]
    }

    func state(from location: String) throws -> String {
        let items = URLComponents(string: location)?.queryItems ?? []
        return try #require(items.first { $0.name == "state" }?.value)
    }

    /// The admin connects amoCRM, and amoCRM sends the browser back with `code-1`.
    func connectAmoCRM(_ client: any TestClientProtocol) async throws -> TestResponse {
        let location = try #require(try await client.execute(uri: "/admin/amocrm/connect", method: .get, headers: Self.admin).headers[.location])
        return try await client.execute(uri: "/webhook/amocrm?code=code-1&referer=example.amocrm.ru&state=\(try state(from: location))", method: .get)
    }

    @Test("connect sends the admin to amoCRM with client_id, state and mode=post_message; the redirect stores the tokens")
    func connect() async throws {
        let amo = FakeAmoCRM(redirectURI: "http://127.0.0.1:8080/webhook/amocrm")
        amo.addCode("code-1")
        try await amo.run { (url: String) async throws in
            try await withApp(environment: environment(url)) { (client: any TestClientProtocol) async throws in
                let before = try await client.execute(uri: "/readyz", method: .get, headers: operatorHeaders).text
                #expect(before.contains(#""status":"degraded""#))
                #expect(before.contains("amoCRM не подключён"))

                let connect = try await client.execute(uri: "/admin/amocrm/connect", method: .get, headers: Self.admin)
                #expect(connect.status == .found)
                let location = try #require(connect.headers[.location])
                #expect(location.hasPrefix("https://www.amocrm.ru/oauth?client_id=\(FakeAmoCRM.clientID)&state="))
                #expect(location.hasSuffix("&mode=post_message"))
                let state = try state(from: location)

                let done = try await client.execute(
                    uri: "/webhook/amocrm?code=code-1&referer=example.amocrm.ru&state=\(state)", method: .get)
                #expect(done.status == .ok)
                #expect(done.text.contains("amoCRM подключён"))
                let after = try await client.execute(uri: "/readyz", method: .get, headers: operatorHeaders).text
                #expect(after.contains(#""amocrm":"ok""#))
                #expect(try await scrape(client).value("amocrm_connected") == 1)

                // The state is used up: the same redirect again exchanges nothing.
                let again = try await client.execute(
                    uri: "/webhook/amocrm?code=code-1&referer=example.amocrm.ru&state=\(state)", method: .get)
                #expect(again.status == .forbidden)
                #expect(amo.exchangeCalls == 1)
                // A fresh state with a used code reaches amoCRM, which refuses the code.
                let fresh = try self.state(
                    from: try #require(
                        try await client.execute(uri: "/admin/amocrm/connect", method: .get, headers: Self.admin).headers[.location]))
                let reused = try await client.execute(
                    uri: "/webhook/amocrm?code=code-1&referer=example.amocrm.ru&state=\(fresh)", method: .get)
                #expect(reused.status == .badGateway)
                #expect(reused.text.contains("Код авторизации устарел или уже использован"))
            }
        }
    }

    @Test("a callback without a state it was given – widget flag, forged, or none – exchanges nothing")
    func noStateNoExchange() async throws {
        let amo = FakeAmoCRM(redirectURI: "http://127.0.0.1:8080/webhook/amocrm")
        amo.addCode("code-1")
        try await amo.run { (url: String) async throws in
            try await withApp(environment: environment(url)) { (client: any TestClientProtocol) async throws in
                for query in [
                    "code=code-1&from_widget=1", "code=code-1&referer=example.amocrm.ru&from_widget=1",
                    "code=code-1&state=" + String(repeating: "0", count: 64), "code=code-1&state=1.abc", "code=code-1",
                ] {
                    let response = try await client.execute(uri: "/webhook/amocrm?" + query, method: .get)
                    #expect(response.status == .forbidden, "\(query)")
                }
                #expect(amo.exchangeCalls == 0)
                #expect(amo.currentAccessToken == nil)
            }
        }
    }

    @Test("a state lives ten minutes in the database and is used once; the command line's is accepted too")
    func stateLifetime() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("states-\(UUID().uuidString)")
        let database = try await openDatabase(.sqlite(path: scratch.appendingPathComponent("db.sqlite").path), logger: Logger(label: "test"))
        let clock = TestWallClock()
        let states = OAuthStates(database: database, clock: clock)
        let expired = try await states.issue()
        clock.advance(by: .seconds(601))
        #expect(try await !states.consume(expired))
        let second = try await states.issue()
        clock.advance(by: .seconds(599))
        #expect(try await states.consume(second))
        #expect(try await !states.consume(second))
        #expect(try await !states.consume(nil))
        await database.close()

        let amo = FakeAmoCRM(redirectURI: "http://127.0.0.1:8080/webhook/amocrm")
        amo.addCode("code-1")
        try await amo.run { (url: String) async throws in
            var settings = environment(url)
            settings["DATABASE_URL"] = "sqlite://" + scratch.appendingPathComponent("app.sqlite").path
            let configuration = try AppConfiguration(environment: settings)
            let link = try await ConnectLink.make(
                try #require(configuration.amoCRM), database: configuration.database, logger: Logger(label: "test"))
            try await withApp(environment: settings) { (client: any TestClientProtocol) async throws in
                let done = try await client.execute(
                    uri: "/webhook/amocrm?code=code-1&referer=example.amocrm.ru&state=\(try self.state(from: link))", method: .get)
                #expect(done.status == .ok)
                #expect(amo.exchangeCalls == 1)
            }
        }
    }

    @Test("the callback is rate-limited per client")
    func callbackRateLimit() async throws {
        let amo = FakeAmoCRM(redirectURI: "http://127.0.0.1:8080/webhook/amocrm")
        try await amo.run { (url: String) async throws in
            try await withApp(environment: environment(url)) { (client: any TestClientProtocol) async throws in
                var statuses: [HTTPResponse.Status] = []
                for _ in 0..<12 {
                    statuses.append(try await client.execute(uri: "/webhook/amocrm?code=guess&state=x", method: .get).status)
                }
                #expect(statuses.prefix(10).allSatisfy { $0 == .forbidden })
                #expect(statuses.suffix(2).allSatisfy { $0 == .tooManyRequests })
            }
        }
    }

    @Test("a redirect without a valid state, or for another account, is refused")
    func refused() async throws {
        let amo = FakeAmoCRM(redirectURI: "http://127.0.0.1:8080/webhook/amocrm")
        amo.addCode("code-1")
        try await amo.run { (url: String) async throws in
            try await withApp(environment: environment(url)) { (client: any TestClientProtocol) async throws in
                let forged = try await client.execute(uri: "/webhook/amocrm?code=code-1&state=1.abc", method: .get)
                #expect(forged.status == .forbidden)
                let location = try #require(
                    try await client.execute(uri: "/admin/amocrm/connect", method: .get, headers: Self.admin).headers[.location])
                let other = try await client.execute(
                    uri: "/webhook/amocrm?code=code-1&referer=evil.amocrm.ru&state=\(try state(from: location))", method: .get)
                #expect(other.status == .forbidden)
                #expect(other.text.contains("другого аккаунта"))
                #expect(try await client.execute(uri: "/admin/amocrm/connect", method: .get).status == .unauthorized)
            }
        }
    }

    @Test("once connected, site orders reach amoCRM; test-crm creates a test lead or says to reconnect")
    func endToEnd() async throws {
        let amo = FakeAmoCRM(redirectURI: "http://127.0.0.1:8080/webhook/amocrm")
        amo.addCode("code-1")
        try await amo.run { (url: String) async throws in
            var settings = environment(url)
            settings["AMOCRM_PIPELINE_ID"] = "7000001"
            settings["AMOCRM_STATUS_ID"] = "70000011"
            try await withApp(environment: settings) { (client: any TestClientProtocol) async throws in
                let notConnected = try await client.execute(uri: "/ingest/test-crm", method: .get, headers: Self.admin)
                #expect(notConnected.status == .serviceUnavailable)
                #expect(notConnected.text.contains("/admin/amocrm/connect"))

                _ = try await connectAmoCRM(client)

                let test = try await client.execute(uri: "/ingest/test-crm", method: .get, headers: Self.admin)
                #expect(test.status == .ok)
                let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: test.body)) as? [String: Any])
                #expect(body["amo_lead_id"] as? Int != nil)

                let order = try await Browser(client: client).json(
                    "/api/leads", #"{"product_id":1,"name":"Пётр","phone":"+79001234567","consent":true}"#)
                #expect(order.status == .accepted)
                #expect(try await eventually { amo.leads.contains { $0["name"] as? String == "Заявка №1: Токарный станок с ЧПУ CK6150" } })
            }
        }
    }

    @Test("the test deal: not on a GET a page can trigger with the admin's Basic credentials; by the admin page's button, or Bearer from a script")
    func testDealNeedsIntent() async throws {
        let amo = FakeAmoCRM(redirectURI: "http://127.0.0.1:8080/webhook/amocrm")
        amo.addCode("code-1")
        try await amo.run { (url: String) async throws in
            try await withApp(environment: environment(url)) { (client: any TestClientProtocol) async throws in
                _ = try await connectAmoCRM(client)
                let basic = "Basic " + Data("admin:\(testAdminToken)".utf8).base64EncodedString()
                // What an <img src> on another site makes the admin's browser send.
                let fromPage = try await client.execute(
                    uri: "/ingest/test-crm", method: .get, headers: [.authorization: basic, .referer: "https://evil.example/"])
                #expect(fromPage.status == .forbidden)
                // A form posted from elsewhere has no token of this admin.
                let forged = try await client.execute(
                    uri: "/ingest/test-crm", method: .post,
                    headers: [.authorization: basic, .contentType: "application/x-www-form-urlencoded", .origin: Browser.origin],
                    body: ByteBuffer(string: "csrf=forged"))
                #expect(forged.status == .forbidden)
                #expect(amo.complexCalls == 0)

                // The admin page's button.
                let admin = try await client.execute(uri: "/admin", method: .get, headers: [.authorization: basic]).text
                #expect(admin.contains(#"<form method="post" action="/ingest/test-crm">"#))
                let csrf = try #require(admin.range(of: #"name="csrf" value=""#).map { String(admin[$0.upperBound...].prefix { $0 != "\"" }) })
                let button = try await client.execute(
                    uri: "/ingest/test-crm", method: .post,
                    headers: [.authorization: basic, .contentType: "application/x-www-form-urlencoded", .origin: Browser.origin],
                    body: ByteBuffer(string: "csrf=" + csrf))
                #expect(button.status == .ok)
                #expect(button.text.contains("Тестовая сделка создана"))
                #expect(amo.complexCalls == 1)
                // A script with the token as Bearer.
                let script = try await client.execute(uri: "/ingest/test-crm", method: .get, headers: Self.admin)
                #expect(script.status == .ok)
                #expect(amo.complexCalls == 2)
            }
        }
    }

    @Test("leads taken while amoCRM was not connected go at once when an admin connects it")
    func reconnectMeansNow() async throws {
        let amo = FakeAmoCRM(redirectURI: "http://127.0.0.1:8080/webhook/amocrm")
        amo.addCode("code-1")
        try await amo.run { (url: String) async throws in
            try await withApp(environment: environment(url)) { (client: any TestClientProtocol) async throws in
                let browser = Browser(client: client)
                for name in ["Анна", "Борис", "Вера"] {
                    let order = try await browser.json("/api/leads", #"{"name":"\#(name)","phone":"+79001234567","consent":true}"#)
                    #expect(order.status == .accepted)
                }
                #expect(try await connectAmoCRM(client).status == .ok)
                // Seconds, not the minute a postponed row used to wait.
                #expect(try await eventually(timeout: .seconds(5)) { amo.leads.count == 3 })
            }
        }
    }

    @Test("AMOCRM_SUBDOMAIN without client credentials stops start-up with the variable named")
    func configuration() {
        #expect(throws: ConfigurationError(variable: "AMOCRM_CLIENT_ID", reason: "is required with AMOCRM_SUBDOMAIN (or set AMOCRM_LONG_LIVED_TOKEN)")) {
            try AppConfiguration(environment: ["AMOCRM_SUBDOMAIN": "example"])
        }
    }
}
