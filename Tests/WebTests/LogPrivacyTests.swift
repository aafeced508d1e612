import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Storage
import Testing
import TestSupport

@testable import Web

@Suite("What the log may say")
struct LogPrivacyTests {
    static let formSecret = "form-signing-secret-known-to-the-test-7f3k"
    static let previewSecret = "preview-secret-for-log-test-93ka"
    static let ingestKey = "ingest-key-for-log-test-5d2m1q"
    static let smtpPassword = "smtp-Pa55-w0rd-for-log-test"
    static let customer = (name: "Пётр Логов", phone: "+79161234567", email: "petr.logov@example.ru")

    @Test("an order end to end at trace: no secret appears in the log, and contact data only masked", arguments: DatabaseEngine.allCases)
    func traceLog(_ engine: DatabaseEngine) async throws {
        let location = try await engine.freshDatabase()
        let databaseURL: String
        switch location {
        case .sqlite(let path): databaseURL = "sqlite://" + path
        case .postgres(let url): databaseURL = url
        }
        // The form-signing secret is made once per database; this one is known to the test.
        let seed = try await openDatabase(location, logger: Logger(label: "seed"))
        _ = try await Settings.value(FormTokens.secretKey, in: seed) { Self.formSecret }
        await seed.close()

        let smtp = try SMTPTestServer(password: Self.smtpPassword)
        defer { smtp.stop() }
        let amo = FakeAmoCRM(redirectURI: "http://127.0.0.1:8080/webhook/amocrm")
        amo.addCode("authorization-code-for-log-test")
        let capture = LogCapture()
        try await amo.run { (url: String) async throws in
            let environment = [
                "DATABASE_URL": databaseURL, "LOG_LEVEL": "trace",
                "AMOCRM_SUBDOMAIN": "example", "AMOCRM_BASE_URL": url, "AMOCRM_CLIENT_ID": FakeAmoCRM.clientID,
                "AMOCRM_CLIENT_SECRET": FakeAmoCRM.clientSecret,
                "SMTP_HOST": "127.0.0.1", "SMTP_PORT": String(smtp.port), "SMTP_SECURITY": "ssl", "SMTP_CA_FILE": smtp.caFile,
                "SMTP_USER": smtp.user, "SMTP_PASSWORD": Self.smtpPassword, "MAIL_TO": "sales@example.ru",
                "PREVIEW_SECRET": Self.previewSecret, "INGEST_KEYS": "telegram:" + Self.ingestKey,
            ]
            try await withApp(environment: environment, logger: capture.logger(level: .trace)) { (client: any TestClientProtocol) async throws in
                // An admin connects amoCRM.
                let connect = try await client.execute(uri: "/admin/amocrm/connect", method: .get, headers: operatorHeaders)
                let state = try #require(URLComponents(string: connect.headers[.location] ?? "")?.queryItems?.first { $0.name == "state" }?.value)
                let connected = try await client.execute(
                    uri: "/webhook/amocrm?code=authorization-code-for-log-test&referer=example.amocrm.ru&state=\(state)", method: .get)
                #expect(connected.status == .ok)

                // A visitor orders through the form; the bot through the ingest endpoint.
                let browser = Browser(client: client)
                let form = try await browser.post([
                    ("product_id", "1"), ("name", Self.customer.name), ("phone", Self.customer.phone), ("email", Self.customer.email),
                    ("consent", "on"), ("csrf", try await browser.csrf()), ("website", ""),
                ])
                #expect(form.status == .seeOther)
                let ingest = try await browser.json(
                    "/ingest/leads", #"{"name":"Бот","phone":"+79167654321","email":"bot.client@example.ru","consent":true}"#,
                    headers: [.authorization: "Bearer " + Self.ingestKey])
                #expect(ingest.status == .accepted)
                // An editor previews; an operator reads the admin page.
                _ = try await client.execute(uri: "/preview/products/1?secret=\(Self.previewSecret)", method: .get)
                _ = try await client.execute(uri: "/admin", method: .get, headers: operatorHeaders)

                #expect(try await eventually { amo.leads.count == 2 })
                #expect(try await smtp.waitForMessages(2).count == 2)
            }
        }
        let log = capture.text
        // The log was really written at trace, SQL included.
        #expect(log.contains(#"INSERT INTO "leads""#), "SQL text is logged at trace")
        #expect(log.contains("lead delivered"))
        let secrets = [
            testAdminToken, Self.formSecret, Self.previewSecret, Self.ingestKey, Self.smtpPassword, FakeAmoCRM.clientSecret,
            "authorization-code-for-log-test", try #require(amo.currentAccessToken), try #require(amo.currentRefreshToken),
        ]
        for secret in secrets {
            #expect(!log.contains(secret), "a secret is in the log: \(secret.prefix(6))…")
        }
        for personal in [Self.customer.name, Self.customer.phone, "9161234567", Self.customer.email, "bot.client@example.ru", "+79167654321"] {
            #expect(!log.contains(personal), "personal data is in the log: \(personal)")
        }
        #expect(log.contains("+7 9** ***-45-67"))
        #expect(log.contains("p***@example.ru"))
    }
}
