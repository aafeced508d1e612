import Basics
import Foundation
import Hummingbird
import HummingbirdTesting
import Storage
import Testing
import TestSupport

@testable import Web

/// `catalog-bff amocrm-setup` against the loopback amoCRM: fields created once, the webhook
/// registered once, and the printed settings make delivery work.
@Suite("amocrm-setup", .serialized)
struct AmoCRMSetupTests {
    static let site = "https://shop.example.ru"
    static let webhookToken = "amoWebhookToken0123456789"

    static func withAccount(_ test: @Sendable (FakeAmoCRM, [String: String]) async throws -> Void) async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("amosetup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        // `catalog-bff migrate` (or `serve`) made the database; amocrm-setup only reads it.
        await (try openDatabase(.sqlite(path: scratch + "/test.sqlite"), logger: quietLogger)).close()
        let amo = FakeAmoCRM()
        let token = amo.issueLongLivedToken()
        try await amo.run { (url: String) async throws in
            try await test(amo, [
                "DATABASE_URL": "sqlite://\(scratch)/test.sqlite", "MAIL_DIR": scratch + "/mail", "PUBLIC_BASE_URL": site, "ORDER_RATE_LIMIT": "off",
                "AMOCRM_SUBDOMAIN": "example", "AMOCRM_BASE_URL": url, "AMOCRM_LONG_LIVED_TOKEN": token, "AMOCRM_WEBHOOK_TOKEN": webhookToken,
            ])
        }
    }

    static func run(_ environment: [String: String], dryRun: Bool = false) async throws -> AmoCRMSetupRun.Report {
        try await AmoCRMSetupRun(configuration: AppConfiguration(environment: environment), logger: quietLogger).run(dryRun: dryRun)
    }

    /// The `NAME=value` lines of a report.
    static func settings(_ report: AmoCRMSetupRun.Report) -> [String: String] {
        var settings: [String: String] = [:]
        for line in report.lines where line.hasPrefix("AMOCRM_") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { settings[parts[0]] = parts[1] }
        }
        return settings
    }

    @Test("an account lacking fields: a dry run changes nothing; a run creates them in one request and registers the webhook; a second run changes nothing")
    func createsOnce() async throws {
        try await Self.withAccount { amo, environment in
            // «Артикул» and «Ссылка на товар» are gone; «Комментарий клиента» is not the name we use.
            amo.removeDealFields([600102, 600104])
            amo.setWebhookURL(nil)
            let before = amo.dealFields.count

            let dry = try await Self.run(environment, dryRun: true)
            #expect(!dry.changed)
            #expect(dry.lines.contains("  «Артикул»: нет, будет создано (text)"))
            #expect(dry.lines.contains { $0.hasPrefix("  7000001 «Продажи» (основная)") })
            #expect(amo.fieldCreations == 0 && amo.webhooks.isEmpty)

            let first = try await Self.run(environment)
            #expect(first.changed)
            #expect(amo.fieldCreations == 1)
            #expect(amo.dealFields.count == before + 3)
            let created = amo.dealFields.suffix(3)
            #expect(Set(created.map(\.name)) == ["Артикул", "Ссылка на товар", "Комментарий"])
            #expect(Set(created.map(\.type)) == ["text", "url", "textarea"])
            #expect(amo.webhooks.map(\.destination) == [Self.site + "/webhook/amocrm?token=" + Self.webhookToken])
            #expect(amo.webhooks.first?.settings == ["status_lead"])
            let settings = Self.settings(first)
            #expect(settings["AMOCRM_FIELD_PRODUCT"] == "600101" && settings["AMOCRM_FIELD_QUANTITY"] == "600103")
            #expect(settings["AMOCRM_FIELD_SKU"] == created.first { $0.name == "Артикул" }.map { String($0.id) })
            #expect(settings["AMOCRM_PIPELINE_ID"] == "7000001" && settings["AMOCRM_STATUS_ID"] == String(FakeAmoCRM.statusID))

            let second = try await Self.run(environment.merging(settings) { _, new in new })
            #expect(!second.changed)
            #expect(second.lines.last == "Ничего не изменено: всё уже на месте.")
            #expect(amo.fieldCreations == 1 && amo.webhookCreations == 1)
            #expect(Self.settings(second) == settings.filter { !$0.key.hasPrefix("AMOCRM_PIPELINE") && $0.key != "AMOCRM_STATUS_ID" })
        }
    }

    @Test("the printed settings make delivery work end to end: the deal carries the new fields, amoCRM takes it")
    func printedSettingsDeliver() async throws {
        try await Self.withAccount { amo, environment in
            amo.removeDealFields([600102, 600104])
            let report = try await Self.run(environment)
            let settings = Self.settings(report)
            let sku = try #require(settings["AMOCRM_FIELD_SKU"].flatMap(Int.init))
            try await withApp(environment: environment.merging(settings) { _, new in new }, mode: .live) { (client: any TestClientProtocol) async throws in
                let order = #"{"name":"Пётр Сидоров","phone":"+79001112233","email":"petr@example.ru","product_id":1,"quantity":2,"consent":true}"#
                let answer = try await client.execute(
                    uri: "/api/leads", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: order))
                #expect(answer.status == .accepted)
                #expect(try await eventually { amo.leads.count == 1 })
                let lead = try #require(amo.leads.first)
                let values = lead["custom_fields_values"] as? [[String: Any]] ?? []
                let ids = Set(values.compactMap { $0["field_id"] as? Int })
                #expect(ids.isSuperset(of: [600101, sku, 600103]))
                #expect(lead["pipeline_id"] as? Int == 7000001 && lead["status_id"] as? Int == FakeAmoCRM.statusID)
            }
        }
    }

    @Test("a field a manager made under our name is used, not duplicated; a webhook amoCRM refuses (403) is reported and fields are still made")
    func reusesAndReports() async throws {
        try await Self.withAccount { amo, environment in
            amo.removeDealFields([600104])
            amo.setWebhookURL(nil)
            amo.setNotAdmin(true)
            let report = try await Self.run(environment)
            #expect(amo.dealFields.filter { $0.name == "Артикул" }.count == 1)
            #expect(amo.dealFields.filter { $0.name == "Ссылка на товар" }.count == 1)
            #expect(report.lines.contains { $0.contains("Вебхук смены статуса") && $0.contains("вручную") })
            #expect(amo.webhooks.isEmpty)
        }
    }

    @Test("a status webhook amoCRM switched off is replaced, not doubled")
    func replacesDisabledWebhook() async throws {
        try await Self.withAccount { amo, environment in
            amo.setWebhookURL(Self.site + "/webhook/amocrm?token=" + Self.webhookToken)
            amo.disableWebhooks()
            let report = try await Self.run(environment)
            #expect(report.changed)
            #expect(amo.webhooks.count == 1 && amo.webhooks.first?.disabled == false)
        }
    }
}
