import Catalog
import Foundation

/// Why a setup command did not start: a setting it needs, in one line (Russian: operators read it).
public struct SetupRefused: Error, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// `catalog-bff directus-setup [--dry-run] [--snapshot FILE]`: the steps of
/// `DirectusSetup` against `DIRECTUS_URL`, with this site's address and secrets, as lines to print.
public struct DirectusSetupRun: Sendable {
    public struct Report: Sendable {
        public var lines: [String]
        public var changed: Bool
        public var conflicts: Int
    }

    let configuration: AppConfiguration
    let adminToken: String
    let snapshotPath: String

    public init(configuration: AppConfiguration, adminToken: String, snapshotPath: String? = nil) {
        self.configuration = configuration
        self.adminToken = adminToken
        self.snapshotPath = snapshotPath ?? Self.defaultSnapshot()
    }

    /// `deploy/directus/schema.json` in a checkout, else the installed copy (`share/catalog-bff/directus/`).
    static func defaultSnapshot() -> String {
        let checkout = "deploy/directus/schema.json"
        if FileManager.default.fileExists(atPath: checkout) { return checkout }
        if let executable = Bundle.main.executableURL {
            let installed = executable.resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("share/catalog-bff/directus/schema.json").path
            if FileManager.default.fileExists(atPath: installed) { return installed }
        }
        return checkout
    }

    public func run(dryRun: Bool) async throws -> Report {
        guard let directusURL = configuration.catalog.directusURL else {
            throw SetupRefused("DIRECTUS_URL не задан: укажите адрес Directus в настройках")
        }
        if let reason = configuration.localAddressReason { throw SetupRefused(reason) }
        let snapshot: JSONValue
        do {
            snapshot = try JSONParser.parse(Data(contentsOf: URL(fileURLWithPath: snapshotPath)))
        } catch {
            throw SetupRefused("снимок схемы \(snapshotPath) не читается: \(error)")
        }
        let setup = DirectusSetup(
            settings: .init(
                directusURL: directusURL, adminToken: adminToken, siteURL: configuration.publicBaseURL,
                webhookSecret: configuration.directusWebhookSecret, previewSecret: configuration.previewSecret,
                mapping: configuration.catalog.mapping, siteHasToken: configuration.catalog.directusToken != nil),
            snapshot: snapshot)
        let steps = try await setup.run(dryRun: dryRun)
        var lines = ["Directus \(directusURL), снимок схемы \(snapshotPath)", ""]
        for step in steps {
            switch step.kind {
            case .inPlace: lines.append("ok        \(step.text)")
            case .change: lines.append((dryRun ? "plan      " : "changed   ") + step.text)
            case .conflict: lines.append("CONFLICT  \(step.text)")
            }
        }
        let changes = steps.filter { $0.kind == .change }.count
        let conflicts = steps.filter { $0.kind == .conflict }.count
        lines.append("")
        if dryRun {
            lines.append("--dry-run: ничего не изменено; изменений в плане: \(changes).")
        } else if changes == 0 {
            lines.append("Ничего не изменено: всё уже на месте.")
        } else {
            lines.append("Изменено: \(changes). Проверьте: catalog-bff doctor.")
        }
        if conflicts > 0 { lines.append("Требуют решения вручную: \(conflicts) (строки CONFLICT).") }
        return Report(lines: lines, changed: !dryRun && changes > 0, conflicts: conflicts)
    }
}
