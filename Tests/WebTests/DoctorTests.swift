import Basics
import Foundation
import Hummingbird
import HummingbirdTesting
import Storage
import TestSupport
import Testing

@testable import Web

/// `catalog-bff doctor`: against a loopback Directus and amoCRM, a real SMTP server and a real
/// SQLite database, a good configuration is all ok, and every fault shows in its own check
/// with its own message and fix.
@Suite("Doctor", .serialized)
struct DoctorTests {
    static let site = "https://shop.example.ru"
    static let webhookSecret = "directus-webhook-secret-0123456789"
    static let previewSecret = "previewSecret0123456789abcdef"
    static let amoWebhookToken = "amoWebhookToken0123456789"

    struct World: Sendable {
        var directus: FakeDirectus
        var amo: FakeAmoCRM
        var smtp: SMTPTestServer
        var environment: [String: String]

        func examine(_ changes: [String: String?] = [:], deadline: Duration = .seconds(8)) async throws -> [Diagnosis] {
            var settings = environment
            for (name, value) in changes { settings[name] = value }
            let configuration = try AppConfiguration(environment: settings)
            return await Doctor(configuration: configuration, deadline: deadline, logger: quietLogger).examine()
        }
    }

    /// A configuration where everything is set up as it should be.
    static func withWorld(_ test: @Sendable (World) async throws -> Void) async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        await (try openDatabase(.sqlite(path: scratch + "/test.sqlite"), logger: quietLogger)).close()

        let directus = try FakeDirectus()
        directus.addFlow(url: site + "/webhook/directus", secret: webhookSecret)
        directus.setPreviewURL("products", site + "/preview/products/{{id}}?secret=\(previewSecret)&version={{$version}}")
        let amo = FakeAmoCRM()
        let token = amo.issueLongLivedToken()
        amo.setWebhookURL(site + "/webhook/amocrm?token=" + amoWebhookToken)
        let smtp = try SMTPTestServer()
        defer { smtp.stop() }
        try await directus.run { (directusURL: String) async throws in
            try await amo.run { (amoURL: String) async throws in
                let environment = [
                    "PUBLIC_BASE_URL": site, "DATABASE_URL": "sqlite://\(scratch)/test.sqlite", "MAIL_DIR": scratch + "/mail",
                    "DIRECTUS_URL": directusURL, "DIRECTUS_TOKEN": FakeDirectus.serviceToken, "DIRECTUS_WEBHOOK_SECRET": webhookSecret,
                    "PREVIEW_SECRET": previewSecret,
                    "AMOCRM_SUBDOMAIN": "example", "AMOCRM_BASE_URL": amoURL, "AMOCRM_LONG_LIVED_TOKEN": token,
                    "AMOCRM_WEBHOOK_TOKEN": amoWebhookToken, "AMOCRM_PIPELINE_ID": "7000001", "AMOCRM_STATUS_ID": String(FakeAmoCRM.statusID),
                    "AMOCRM_RESPONSIBLE_USER_ID": "9000002", "AMOCRM_FIELD_PRODUCT": "600101", "AMOCRM_FIELD_SKU": "600102",
                    "AMOCRM_FIELD_QUANTITY": "600103", "AMOCRM_FIELD_PRODUCT_URL": "600104", "AMOCRM_FIELD_COMMENT": "600105",
                    "AMOCRM_FIELD_SERIAL": String(FakeAmoCRM.serialFieldID),
                    "SMTP_HOST": "127.0.0.1", "SMTP_PORT": String(smtp.port), "SMTP_SECURITY": "ssl", "SMTP_CA_FILE": smtp.caFile,
                    "SMTP_USER": smtp.user, "SMTP_PASSWORD": smtp.password, "MAIL_TO": "sales@stankotorg.example.ru",
                    "ALERT_TO": "ops@stankotorg.example.ru",
                ]
                try await test(World(directus: directus, amo: amo, smtp: smtp, environment: environment))
            }
        }
    }

    /// The one line of `check` (a check that printed several must be named more exactly).
    static func line(_ diagnoses: [Diagnosis], _ check: String) throws -> Diagnosis {
        let lines = diagnoses.filter { $0.check == check }
        try #require(lines.count == 1, "\(check): \(lines.map(\.line))")
        return lines[0]
    }

    /// Every line but those of `check` is ok: a fault shows in its own check only.
    static func othersOK(_ diagnoses: [Diagnosis], except checks: Set<String>) {
        for diagnosis in diagnoses where !checks.contains(diagnosis.check) {
            #expect(diagnosis.level == .ok, "\(diagnosis.line)")
        }
    }

    @Test("a configuration set up as it should be: every check ok, and the exit status says healthy")
    func allOK() async throws {
        try await Self.withWorld { world in
            let diagnoses = try await world.examine()
            if ProcessInfo.processInfo.environment["PRINT_DOCTOR"] == "1" {
                print(diagnoses.map(\.line).joined(separator: "\n"))
            }
            Self.othersOK(diagnoses, except: [])
            let checks = Set(diagnoses.map(\.check))
            #expect(
                checks == [
                    "settings", "database", "directus.server", "directus.token", "directus.fields", "directus.published", "directus.drafts",
                    "directus.flow", "directus.preview", "amocrm.account", "amocrm.pipeline", "amocrm.fields", "amocrm.user", "amocrm.webhook",
                    "smtp", "mail.to", "alerts",
                ])
            #expect(Doctor.healthy(diagnoses))
            // Secrets are compared, never printed.
            let text = diagnoses.map(\.line).joined(separator: "\n")
            for secret in [Self.webhookSecret, Self.previewSecret, Self.amoWebhookToken, world.smtp.password, FakeDirectus.serviceToken] {
                #expect(!text.contains(secret))
            }
        }
    }

    @Test("settings that do not parse: one failure naming the variable")
    func settingsFault() throws {
        guard case .failure(let diagnosis) = Doctor.settings(["PORT": "80000"]) else {
            Issue.record("PORT=80000 parsed")
            return
        }
        #expect(diagnosis.check == "settings" && diagnosis.level == .failure)
        #expect(diagnosis.found.contains("PORT") && diagnosis.fix?.contains("PORT") == true)
    }

    @Test("a database without the schema: failure, fixed by catalog-bff migrate; nothing is created")
    func databaseFault() async throws {
        try await Self.withWorld { world in
            let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString).sqlite").path
            _ = FileManager.default.createFile(atPath: empty, contents: Data())
            defer { try? FileManager.default.removeItem(atPath: empty) }
            let diagnoses = try await world.examine(["DATABASE_URL": "sqlite://" + empty, "AMOCRM_LONG_LIVED_TOKEN": nil, "AMOCRM_CLIENT_ID": FakeAmoCRM.clientID, "AMOCRM_CLIENT_SECRET": FakeAmoCRM.clientSecret])
            let database = try Self.line(diagnoses, "database")
            #expect(database.level == .failure && database.fix?.contains("catalog-bff migrate") == true, "\(database.line)")
            // amoCRM's tokens live there: its check says so instead of guessing.
            let amo = try Self.line(diagnoses, "amocrm.account")
            #expect(amo.found.contains("в базе"), "\(amo.line)")
            #expect(!Doctor.healthy(diagnoses))
        }
    }

    @Test("Directus unreachable: directus.server fails and names DIRECTUS_URL")
    func directusDown() async throws {
        try await Self.withWorld { world in
            let diagnoses = try await world.examine(["DIRECTUS_URL": "http://127.0.0.1:9", "DIRECTUS_TIMEOUT": "1"])
            let server = try Self.line(diagnoses, "directus.server")
            #expect(server.level == .failure && server.fix?.contains("DIRECTUS_URL") == true, "\(server.line)")
            #expect(!diagnoses.contains { $0.check == "directus.fields" })
            Self.othersOK(diagnoses, except: ["directus.server"])
        }
    }

    @Test("a token Directus does not know: directus.token fails and says how to make one")
    func directusTokenFault() async throws {
        try await Self.withWorld { world in
            let diagnoses = try await world.examine(["DIRECTUS_TOKEN": "wrong-token-0123456789"])
            let token = try Self.line(diagnoses, "directus.token")
            #expect(token.level == .failure && token.found.contains("DIRECTUS_TOKEN") && token.fix?.contains("Token") == true, "\(token.line)")
            #expect(!token.line.contains("wrong-token-0123456789"))
            Self.othersOK(diagnoses, except: ["directus.token"])
        }
    }

    @Test("a required field missing: directus.fields fails naming it; an optional one only warns")
    func fieldFault() async throws {
        try await Self.withWorld { world in
            world.directus.removeField("products", "name")
            world.directus.setFieldType("categories", "sort", to: "json")
            let diagnoses = try await world.examine()
            let fields = diagnoses.filter { $0.check == "directus.fields" }
            let products = try #require(fields.first { $0.found.hasPrefix("products") })
            #expect(products.level == .failure && products.found.contains("нет поля name"), "\(products.line)")
            #expect(products.fix?.contains("CATALOG_MAPPING") == true)
            let categories = try #require(fields.first { $0.found.hasPrefix("categories") })
            #expect(categories.level == .warning && categories.found.contains("sort: тип json"), "\(categories.line)")
            Self.othersOK(diagnoses, except: ["directus.fields"])
        }
    }

    @Test("the Public role reads drafts: directus.drafts fails and says where to add the filter")
    func draftsFault() async throws {
        try await Self.withWorld { world in
            world.directus.setPublicReadsDrafts(true)
            let diagnoses = try await world.examine()
            let drafts = try Self.line(diagnoses, "directus.drafts")
            #expect(drafts.level == .failure && drafts.found.contains("Public") && drafts.fix?.contains("status = published") == true, "\(drafts.line)")
            Self.othersOK(diagnoses, except: ["directus.drafts"])
        }
    }

    @Test("the Public role may not read the catalog and no token is set: directus.published fails and names the role")
    func publishedFault() async throws {
        try await Self.withWorld { world in
            world.directus.revokePublicRead()
            let diagnoses = try await world.examine(["DIRECTUS_TOKEN": nil])
            let published = try Self.line(diagnoses, "directus.published")
            #expect(published.level == .failure && published.fix?.contains("роли Public") == true, "\(published.line)")
        }
    }

    @Test("a configuration broken in several places at once: each fault on its own line, the rest ok")
    func brokenConfiguration() async throws {
        try await Self.withWorld { world in
            world.directus.setPublicReadsDrafts(true)
            world.amo.setWebhookURL(nil)
            let diagnoses = try await world.examine([
                "DIRECTUS_WEBHOOK_SECRET": "another-webhook-secret-0123", "AMOCRM_FIELD_SKU": "600999", "SMTP_PASSWORD": "not-the-password-42",
            ])
            if ProcessInfo.processInfo.environment["PRINT_DOCTOR"] == "1" {
                print(diagnoses.map(\.line).joined(separator: "\n"))
            }
            let failed = Set(diagnoses.filter { $0.level == .failure }.map(\.check))
            #expect(failed == ["directus.drafts", "directus.flow", "amocrm.fields", "smtp"])
            #expect(diagnoses.filter { $0.level == .warning }.map(\.check) == ["amocrm.webhook"])
            #expect(!Doctor.healthy(diagnoses))
        }
    }

    @Test("the Flow posts to another address or with another secret: directus.flow fails, fixed by directus-setup")
    func flowFault() async throws {
        try await Self.withWorld { world in
            let other = try await world.examine(["PUBLIC_BASE_URL": "https://new.example.ru", "AMOCRM_WEBHOOK_TOKEN": nil])
            let flow = try Self.line(other, "directus.flow")
            #expect(flow.level == .failure && flow.found.contains("https://new.example.ru/webhook/directus"), "\(flow.line)")
            #expect(flow.fix?.contains("directus-setup") == true)

            let secret = try await world.examine(["DIRECTUS_WEBHOOK_SECRET": "another-webhook-secret-0123"])
            let wrong = try Self.line(secret, "directus.flow")
            #expect(wrong.level == .failure && wrong.found.contains("X-Webhook-Secret не совпадает"), "\(wrong.line)")
            #expect(!wrong.line.contains(Self.webhookSecret))
            Self.othersOK(secret, except: ["directus.flow"])
        }
    }

    @Test("no preview URL on the collection: directus.preview warns")
    func previewFault() async throws {
        try await Self.withWorld { world in
            world.directus.setPreviewURL("products", nil)
            let diagnoses = try await world.examine()
            let preview = try Self.line(diagnoses, "directus.preview")
            #expect(preview.level == .warning && preview.found.contains("Preview URL"), "\(preview.line)")
            Self.othersOK(diagnoses, except: ["directus.preview"])
        }
    }

    @Test("amoCRM set up but never connected: amocrm.account fails and names the connect command")
    func amoCRMNotConnected() async throws {
        try await Self.withWorld { world in
            let diagnoses = try await world.examine([
                "AMOCRM_LONG_LIVED_TOKEN": nil, "AMOCRM_CLIENT_ID": FakeAmoCRM.clientID, "AMOCRM_CLIENT_SECRET": FakeAmoCRM.clientSecret,
            ])
            let account = try Self.line(diagnoses, "amocrm.account")
            #expect(account.level == .failure && account.fix?.contains("amocrm-connect-url") == true, "\(account.line)")
            #expect(!diagnoses.contains { $0.check == "amocrm.fields" })
            #expect(!Doctor.healthy(diagnoses))
        }
    }

    @Test("a stage that is not in the pipeline: amocrm.pipeline fails and lists the stages there are")
    func pipelineFault() async throws {
        try await Self.withWorld { world in
            let diagnoses = try await world.examine(["AMOCRM_STATUS_ID": "70000099"])
            let pipeline = try Self.line(diagnoses, "amocrm.pipeline")
            #expect(pipeline.level == .failure && pipeline.found.contains("70000099") && pipeline.found.contains("КП отправлено"), "\(pipeline.line)")
            #expect(pipeline.fix?.contains("AMOCRM_STATUS_ID") == true)
            Self.othersOK(diagnoses, except: ["amocrm.pipeline"])
        }
    }

    @Test("a field id the account lacks and a field of the wrong type: amocrm.fields fails naming both settings")
    func fieldIDFault() async throws {
        try await Self.withWorld { world in
            let diagnoses = try await world.examine(["AMOCRM_FIELD_SKU": "600999", "AMOCRM_FIELD_QUANTITY": "600107"])
            let fields = try Self.line(diagnoses, "amocrm.fields")
            #expect(fields.level == .failure, "\(fields.line)")
            #expect(fields.found.contains("AMOCRM_FIELD_SKU=600999: такого поля у сделок нет"))
            #expect(fields.found.contains("AMOCRM_FIELD_QUANTITY=600107 «Дата поставки» типа date"))
            #expect(fields.fix?.contains("amocrm-setup") == true)
            Self.othersOK(diagnoses, except: ["amocrm.fields"])
        }
    }

    @Test("a responsible user who left: amocrm.user fails")
    func userFault() async throws {
        try await Self.withWorld { world in
            let diagnoses = try await world.examine(["AMOCRM_RESPONSIBLE_USER_ID": "9000003"])
            let user = try Self.line(diagnoses, "amocrm.user")
            #expect(user.level == .failure && user.found.contains("Пётр Уволенный") && user.found.contains("отключён"), "\(user.line)")
            Self.othersOK(diagnoses, except: ["amocrm.user"])
        }
    }

    @Test("no status webhook for our address: amocrm.webhook warns that passports are not issued")
    func webhookFault() async throws {
        try await Self.withWorld { world in
            world.amo.setWebhookURL(nil)
            let diagnoses = try await world.examine()
            let webhook = try Self.line(diagnoses, "amocrm.webhook")
            #expect(webhook.level == .warning && webhook.found.contains("паспорт") && webhook.fix?.contains("amocrm-setup") == true, "\(webhook.line)")
            #expect(!webhook.line.contains(Self.amoWebhookToken))
            Self.othersOK(diagnoses, except: ["amocrm.webhook"])
        }
    }

    @Test("a wrong SMTP password: smtp fails and names SMTP_PASSWORD, without printing it; nothing is sent")
    func smtpFault() async throws {
        try await Self.withWorld { world in
            let diagnoses = try await world.examine(["SMTP_PASSWORD": "not-the-password-42"])
            let smtp = try Self.line(diagnoses, "smtp")
            #expect(smtp.level == .failure && smtp.fix?.contains("SMTP_PASSWORD") == true, "\(smtp.line)")
            #expect(!smtp.line.contains("not-the-password-42"))
            Self.othersOK(diagnoses, except: ["smtp"])
            #expect(world.smtp.messages().isEmpty)
        }
    }

    @Test("a TLS certificate that does not verify: smtp fails and points at the certificate settings")
    func smtpTLSFault() async throws {
        try await Self.withWorld { world in
            let diagnoses = try await world.examine(["SMTP_CA_FILE": nil])
            let smtp = try Self.line(diagnoses, "smtp")
            #expect(smtp.level == .failure && smtp.fix?.contains("SMTP_CA_FILE") == true, "\(smtp.line)")
        }
    }

    @Test("the alert and mail defaults: mail.to and alerts warn")
    func mailDefaults() async throws {
        try await Self.withWorld { world in
            let diagnoses = try await world.examine(["MAIL_TO": "orders@localhost", "ALERT_TO": nil, "ALERT_AFTER": "0"])
            #expect(try Self.line(diagnoses, "mail.to").level == .warning)
            let alerts = try Self.line(diagnoses, "alerts")
            #expect(alerts.level == .warning && alerts.fix?.contains("ALERT_TO") == true, "\(alerts.line)")
            #expect(Doctor.healthy(diagnoses))
        }
    }

    @Test("services that accept connections and never answer: the doctor still answers within its deadline, each naming the service")
    func hangingServices() async throws {
        try await Self.withWorld { world in
            try await SilentServer.run { (port: Int) async throws in
                let url = "http://127.0.0.1:\(port)"
                let start = ContinuousClock.now
                let diagnoses = try await world.examine(
                    ["DIRECTUS_URL": url, "AMOCRM_BASE_URL": url, "SMTP_PORT": String(port)], deadline: .seconds(2))
                let took = start.duration(to: .now)
                #expect(took < .seconds(4), "took \(took)")
                for check in ["directus.server", "amocrm.account", "smtp"] {
                    let line = try Self.line(diagnoses, check)
                    #expect(line.level == .failure && line.found.hasPrefix("нет ответа за"), "\(line.line)")
                }
            }
        }
    }

    @Test("/admin/health: the same checks in Russian, for admins only, one answer kept for a minute")
    func adminHealth() async throws {
        try await Self.withWorld { world in
            let clock = TestWallClock()
            try await withApp(environment: world.environment, clock: clock) { (client: any TestClientProtocol) async throws in
                #expect(try await client.execute(uri: "/admin/health", method: .get).status != .ok)

                let first = try await client.execute(uri: "/admin/health", method: .get, headers: operatorHeaders)
                #expect(first.status == .ok)
                #expect(first.text.contains("Проверка настроек") && first.text.contains("amocrm.fields") && first.text.contains("Сбоев нет"))
                #expect(!first.text.contains("state-failure"))
                for secret in [Self.webhookSecret, Self.previewSecret, Self.amoWebhookToken, world.smtp.password] {
                    #expect(!first.text.contains(secret))
                }
                let pings = world.directus.requestCount(pathPrefix: "/server/ping")

                // Within the minute the same answer, without asking the services again.
                world.directus.setPreviewURL("products", nil)
                let cached = try await client.execute(uri: "/admin/health", method: .get, headers: operatorHeaders)
                #expect(!cached.text.contains("не задан Preview URL"))
                #expect(world.directus.requestCount(pathPrefix: "/server/ping") == pings)

                // «Проверить снова» is a POST with the admin's form token; a GET never runs the checks.
                #expect(try await client.execute(uri: "/admin/health?fresh=1", method: .get, headers: operatorHeaders).text == cached.text)
                var form = operatorHeaders
                form[.contentType] = "application/x-www-form-urlencoded"
                let forged = try await client.execute(uri: "/admin/health", method: .post, headers: form, body: ByteBuffer(string: "csrf=forged"))
                #expect(forged.status == .forbidden)
                #expect(world.directus.requestCount(pathPrefix: "/server/ping") == pings)
                let csrf = try #require(cached.text.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
                // The button runs them again once 15 s have passed since the last run.
                clock.advance(by: .seconds(16))
                let rerun = try await client.execute(uri: "/admin/health", method: .post, headers: form, body: ByteBuffer(string: "csrf=\(csrf)"))
                #expect(rerun.status == .seeOther)
                #expect(world.directus.requestCount(pathPrefix: "/server/ping") == pings + 1)
                let after = try await client.execute(uri: "/admin/health", method: .get, headers: operatorHeaders)
                #expect(after.text.contains("не задан Preview URL"))

                clock.advance(by: .seconds(61))
                _ = try await client.execute(uri: "/admin/health", method: .get, headers: operatorHeaders)
                #expect(world.directus.requestCount(pathPrefix: "/server/ping") == pings + 2)
            }
        }
    }
}
