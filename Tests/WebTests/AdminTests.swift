import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Storage
import Testing
import TestSupport

@Suite("Admin")
struct AdminTests {
    static let basic = "Basic " + Data("admin:adm1n-t0ken-for-tests".utf8).base64EncodedString()

    @Test("without ADMIN_TOKEN the admin answers 403; with it, no or a wrong credential is 401 with a Basic challenge")
    func guardStatuses() async throws {
        try await withApp(environment: ["ADMIN_TOKEN": ""]) { (client: any TestClientProtocol) async throws in
            #expect(try await client.execute(uri: "/admin", method: .get).status == .forbidden)
        }
        try await withApp(environment: ["ADMIN_TOKEN": "adm1n-t0ken-for-tests"]) { (client: any TestClientProtocol) async throws in
            let none = try await client.execute(uri: "/admin", method: .get)
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
            let wrong = try await client.execute(
                uri: "/admin", method: .get, headers: [.authorization: "Basic " + Data("admin:nope".utf8).base64EncodedString()])
            #expect(wrong.status == .unauthorized)
            #expect(!wrong.text.contains("adm1n-t0ken-for-tests"))
            #expect(try await client.execute(uri: "/admin", method: .get, headers: [.authorization: Self.basic]).status == .ok)
            #expect(try await client.execute(uri: "/admin", method: .get, headers: [.authorization: "Bearer adm1n-t0ken-for-tests"]).status == .ok)
        }
    }

    @Test("the list shows each lead's deliveries, and that amoCRM is not connected", arguments: DatabaseEngine.allCases)
    func list(_ engine: DatabaseEngine) async throws {
        var environment = ["ADMIN_TOKEN": "adm1n-t0ken-for-tests"]
        if case .postgres(let url) = try await engine.freshDatabase() { environment["DATABASE_URL"] = url }
        try await withApp(environment: environment) { (client: any TestClientProtocol) async throws in
            let browser = Browser(client: client)
            _ = try await browser.post(validOrder(csrf: try await browser.csrf()))
            let page: @Sendable () async throws -> String = { try await client.execute(uri: "/admin", method: .get, headers: [.authorization: Self.basic]).text }
            #expect(try await eventually { try await page().contains("<strong>почта</strong>: доставлена") })
            let html = try await page()
            #expect(html.contains("Иван Петров"))
            #expect(html.contains("+79001234567"))
            #expect(html.contains("<strong>почта</strong>: доставлена"))
            #expect(html.contains("<strong>amoCRM</strong>: в очереди"))
            #expect(html.contains("amoCRM не подключён"))
            #expect(html.contains(#"<meta name="robots" content="noindex">"#))
        }
    }

    /// An app whose mail server refuses the first message after its content (554: that lead's
    /// fault) and that gives up after one attempt: lead 1 goes dead at once. The next message
    /// the server gets, it takes.
    func withDeadDelivery(_ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let smtp = try SMTPTestServer(refuse: 1)
        defer { smtp.stop() }
        try await withApp(environment: smtpEnvironment(smtp, maxAttempts: 1)) { (client: any TestClientProtocol) async throws in
            let browser = Browser(client: client)
            _ = try await browser.post(validOrder(csrf: try await browser.csrf()))
            #expect(try await eventually { try await Self.adminPage(client).contains("<strong>почта</strong>: не доставлена (попыток: 1)") })
            try await test(client)
        }
    }

    static func adminPage(_ client: any TestClientProtocol) async throws -> String {
        try await client.execute(uri: "/admin", method: .get, headers: [.authorization: basic]).text
    }

    static func retryToken(_ html: String) throws -> String {
        let marker = #"name="csrf" value=""#
        let start = try #require(html.range(of: marker)).upperBound
        return String(html[start...].prefix { $0 != "\"" })
    }

    @Test("retry needs the admin's form token and the admin: without them nothing goes back in the queue")
    func retryRefused() async throws {
        try await withDeadDelivery { (client: any TestClientProtocol) async throws in
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .origin: Browser.origin]
            var withAuth = form
            withAuth[.authorization] = Self.basic
            let forged = try await client.execute(uri: "/admin/leads/1/retry", method: .post, headers: withAuth, body: ByteBuffer(string: "csrf=x"))
            #expect(forged.status == .forbidden)
            // A real token of the admin's, sent without the admin's credential.
            let token = try Self.retryToken(try await Self.adminPage(client))
            let noAuth = try await client.execute(uri: "/admin/leads/1/retry", method: .post, headers: form, body: ByteBuffer(string: "csrf=\(token)"))
            #expect(noAuth.status == .unauthorized)
            // Still dead: neither request queued it (the mail would go through now if it were).
            #expect(try await Self.adminPage(client).contains("<strong>почта</strong>: не доставлена (попыток: 1)"))
        }
    }

    @Test("a dead delivery shows its error and a retry button that queues it again, and it is then delivered")
    func retryDead() async throws {
        try await withDeadDelivery { (client: any TestClientProtocol) async throws in
            let html = try await Self.adminPage(client)
            #expect(html.contains("554"))
            #expect(html.contains(#"action="/admin/leads/1/retry""#))
            let retried = try await client.execute(
                uri: "/admin/leads/1/retry", method: .post,
                headers: [.authorization: Self.basic, .contentType: "application/x-www-form-urlencoded", .origin: Browser.origin],
                body: ByteBuffer(string: "csrf=\(try Self.retryToken(html))"))
            #expect(retried.status == .seeOther)
            #expect(retried.headers[.location] == "/admin/leads/1?done=retried")
            let page = try await client.execute(uri: "/admin/leads/1?done=retried", method: .get, headers: [.authorization: Self.basic]).text
            #expect(page.contains("Доставка поставлена в очередь заново"))
            #expect(try await eventually { try await Self.adminPage(client).contains("<strong>почта</strong>: доставлена") })
        }
    }
}

/// An app's settings for mail through `smtp`, giving up after `maxAttempts`.
func smtpEnvironment(_ smtp: SMTPTestServer, maxAttempts: Int) -> [String: String] {
    [
        "OUTBOX_MAX_ATTEMPTS": String(maxAttempts), "SMTP_HOST": "127.0.0.1", "SMTP_PORT": String(smtp.port), "SMTP_SECURITY": "ssl",
        "SMTP_CA_FILE": smtp.caFile, "SMTP_USER": smtp.user, "SMTP_PASSWORD": smtp.password, "MAIL_TO": "sales@example.ru",
    ]
}
