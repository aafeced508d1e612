import Basics
import Catalog
import Foundation
import Testing
import TestSupport

@testable import Web

/// `catalog-bff directus-setup` against the loopback Directus: an empty project brought to what
/// the doctor calls all ok, a second run that changes nothing, a conflicting field left alone.
@Suite("directus-setup", .serialized)
struct DirectusSetupTests {
    static let site = "https://shop.example.ru"
    static let webhookSecret = "directus-webhook-secret-0123456789"
    static let previewSecret = "previewSecret0123456789abcdef"
    /// The snapshot the repository keeps.
    static let snapshot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy/directus/schema.json").path

    static func environment(_ directusURL: String, token: Bool = true) -> [String: String] {
        var environment = [
            "PUBLIC_BASE_URL": site, "DIRECTUS_URL": directusURL, "DIRECTUS_WEBHOOK_SECRET": webhookSecret, "PREVIEW_SECRET": previewSecret,
            "DIRECTUS_TIMEOUT": "2",
        ]
        if token { environment["DIRECTUS_TOKEN"] = FakeDirectus.serviceToken }
        return environment
    }

    static func setup(
        _ directusURL: String, dryRun: Bool = false, token: Bool = true, adminToken: String = FakeDirectus.adminToken
    ) async throws -> DirectusSetupRun.Report {
        try await DirectusSetupRun(
            configuration: AppConfiguration(environment: environment(directusURL, token: token)), adminToken: adminToken, snapshotPath: snapshot
        ).run(dryRun: dryRun)
    }

    /// The doctor's Directus lines.
    static func doctor(_ directusURL: String) async throws -> [Diagnosis] {
        let configuration = try AppConfiguration(environment: environment(directusURL))
        return await Doctor(configuration: configuration, logger: quietLogger).directus()
    }

    @Test("an empty Directus: a dry run changes nothing, a run creates the schema, Flow, preview URLs and public read; the doctor then finds them; a second run changes nothing")
    func emptyProject() async throws {
        let directus = try FakeDirectus(empty: true)
        try await directus.run { (url: String) async throws in
            let before = try await Self.doctor(url)
            #expect(before.contains { $0.check == "directus.fields" && $0.level == .failure })

            let plan = try await Self.setup(url, dryRun: true)
            #expect(!plan.changed)
            #expect(plan.lines.contains { $0.hasPrefix("plan") && $0.contains("поле products.price") })
            #expect(directus.schemaApplies == 0 && directus.flowCount == 0 && directus.publicRuleCount == 0)

            let first = try await Self.setup(url)
            #expect(first.changed && first.conflicts == 0, "\(first.lines)")
            // The site reads with its token: the Public role gets nothing.
            #expect(directus.schemaApplies == 1 && directus.flowCount == 1 && directus.publicRuleCount == 0)
            #expect(directus.fieldType("products", "price") == "decimal")

            let after = try await Self.doctor(url)
            for check in ["directus.server", "directus.token", "directus.fields", "directus.drafts", "directus.flow", "directus.preview"] {
                for line in after where line.check == check { #expect(line.level == .ok, "\(line.line)") }
            }
            // Nothing is published in an empty project yet: the only warning.
            #expect(after.first { $0.check == "directus.published" }?.level == .warning)

            let second = try await Self.setup(url)
            #expect(!second.changed)
            #expect(second.lines.contains("Ничего не изменено: всё уже на месте."))
            #expect(directus.schemaApplies == 1 && directus.flowCount == 1 && directus.publicRuleCount == 0)
            // The secrets went to Directus, not to the output.
            #expect(!(first.lines + second.lines).joined().contains(Self.webhookSecret))
            #expect(!(first.lines + second.lines).joined().contains(Self.previewSecret))
        }
    }

    @Test("a field that exists with another type holds data: reported as a conflict, not changed; the rest is set up")
    func conflictingField() async throws {
        let directus = try FakeDirectus()
        directus.setFieldType("products", "price", to: "string")
        try await directus.run { (url: String) async throws in
            let report = try await Self.setup(url)
            #expect(report.conflicts == 1)
            let conflict = try #require(report.lines.first { $0.hasPrefix("CONFLICT") })
            #expect(conflict.contains("products.price") && conflict.contains("string → decimal") && conflict.contains("не изменено"))
            #expect(directus.fieldType("products", "price") == "string")
            #expect(directus.flowCount == 1)
            // The catalog's rows are all still there.
            #expect(try await Self.doctor(url).first { $0.check == "directus.published" }?.found.contains("11") == true)
        }
    }

    @Test("a Flow that posts to an old address is corrected, not duplicated")
    func correctsFlow() async throws {
        let directus = try FakeDirectus()
        directus.addFlow(name: "catalog-bff: catalog changed", url: "https://old.example.ru/webhook/directus", secret: "old-secret-0123456789")
        try await directus.run { (url: String) async throws in
            _ = try await Self.setup(url)
            #expect(directus.flowCount == 1)
            let flow = try #require(try await Self.doctor(url).first { $0.check == "directus.flow" })
            #expect(flow.level == .ok, "\(flow.line)")
        }
    }

    @Test("with CATALOG_MAPPING the project's schema is left as it is; the Flow, preview URL and public read use the project's names")
    func mappedProject() async throws {
        try await FakeDirectus.Renaming.stock.run { (directus: FakeDirectus, url: String, file: String) async throws in
            var environment = Self.environment(url)
            environment["CATALOG_MAPPING"] = file
            let report = try await DirectusSetupRun(
                configuration: AppConfiguration(environment: environment), adminToken: FakeDirectus.adminToken, snapshotPath: Self.snapshot
            ).run(dryRun: false)
            #expect(report.conflicts == 0 && directus.schemaApplies == 0, "\(report.lines)")
            #expect(report.lines.contains { $0.contains("Preview URL коллекции catalog_items") })
            let doctor = await Doctor(configuration: try AppConfiguration(environment: environment), logger: quietLogger).directus()
            for line in doctor { #expect(line.level == .ok, "\(line.line)") }
        }
    }

    @Test("a site without a token: the Public policy gets read rules for published items once; a stricter rule of the project's own is reported, not overwritten")
    func publicRules() async throws {
        let directus = try FakeDirectus(empty: true)
        try await directus.run { (url: String) async throws in
            _ = try await Self.setup(url, token: false)
            #expect(directus.publicRuleCount == 4)
            let again = try await Self.setup(url, token: false)
            #expect(!again.changed && directus.publicRuleCount == 4)
            directus.setPublicRule("products", to: .object([("sku", .object([("_nnull", .bool(true))]))]))
            let third = try await Self.setup(url, token: false)
            #expect(third.lines.contains { $0.hasPrefix("CONFLICT") && $0.contains("products") }, "\(third.lines)")
            #expect(directus.publicRuleCount == 4)
        }
    }

    @Test("a token that is not an admin's: refused with a message saying so, nothing changed")
    func notAdmin() async throws {
        let directus = try FakeDirectus(empty: true)
        try await directus.run { (url: String) async throws in
            await #expect(throws: DirectusSetup.SetupError.self) { try await Self.setup(url, adminToken: FakeDirectus.serviceToken) }
            #expect(directus.schemaApplies == 0 && directus.flowCount == 0)
        }
    }
}
