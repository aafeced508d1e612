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
            var html = ""
            for _ in 0..<100 {
                html = try await client.execute(uri: "/admin", method: .get, headers: [.authorization: Self.basic]).text
                if html.contains("доставлена") { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(html.contains("Иван Петров"))
            #expect(html.contains("+79001234567"))
            #expect(html.contains("<strong>почта</strong>: доставлена"))
            #expect(html.contains("<strong>amoCRM</strong>: в очереди"))
            #expect(html.contains("amoCRM не подключён"))
            #expect(html.contains(#"<meta name="robots" content="noindex">"#))
        }
    }

    @Test("retry needs the admin's form token and puts dead deliveries back in the queue")
    func retry() async throws {
        try await withApp(environment: ["ADMIN_TOKEN": "adm1n-t0ken-for-tests"]) { (client: any TestClientProtocol) async throws in
            let auth: HTTPFields = [.authorization: Self.basic, .contentType: "application/x-www-form-urlencoded"]
            let forged = try await client.execute(uri: "/admin/leads/1/retry", method: .post, headers: auth, body: ByteBuffer(string: "csrf=x"))
            #expect(forged.status == .forbidden)
            let noAuth = try await client.execute(uri: "/admin/leads/1/retry", method: .post, body: ByteBuffer(string: "csrf=x"))
            #expect(noAuth.status == .unauthorized)
        }
    }

    @Test("a dead delivery shows its error and a retry button that queues it again")
    func retryDead() async throws {
        let environment = [
            "ADMIN_TOKEN": "adm1n-t0ken-for-tests", "OUTBOX_MAX_ATTEMPTS": "1", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": "9",
            "SMTP_SECURITY": "none", "MAIL_FROM": "orders@example.ru", "MAIL_TO": "sales@example.ru",
        ]
        try await withApp(environment: environment) { (client: any TestClientProtocol) async throws in
            let browser = Browser(client: client)
            _ = try await browser.post(validOrder(csrf: try await browser.csrf()))
            var html = ""
            for _ in 0..<200 {
                html = try await client.execute(uri: "/admin", method: .get, headers: [.authorization: Self.basic]).text
                if html.contains("не доставлена") { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(html.contains("<strong>почта</strong>: не доставлена (попыток: 1)"))
            #expect(html.contains("connect"))
            let marker = #"name="csrf" value=""#
            let start = try #require(html.range(of: marker)).upperBound
            let token = String(html[start...].prefix { $0 != "\"" })
            let retried = try await client.execute(
                uri: "/admin/leads/1/retry", method: .post,
                headers: [.authorization: Self.basic, .contentType: "application/x-www-form-urlencoded", .origin: Browser.origin],
                body: ByteBuffer(string: "csrf=\(token)"))
            #expect(retried.status == .seeOther)
            #expect(retried.headers[.location] == "/admin?retried=1")
            let page = try await client.execute(uri: "/admin?retried=1", method: .get, headers: [.authorization: Self.basic]).text
            #expect(page.contains("Доставка заявки №1 поставлена в очередь заново"))
        }
    }
}
