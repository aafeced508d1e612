import ArgumentParser
import Basics
import Foundation
import Logging
import Web

/// `catalog-bff amocrm-setup [--dry-run]`: see `AmoCRMSetupRun`.
struct AmoCRMSetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "amocrm-setup",
        abstract: "List amoCRM pipelines and fields, create the deal fields catalog-bff fills, register the status webhook, print the AMOCRM_* lines.")

    @Flag(name: .customLong("dry-run"), help: "Print the plan and change nothing.")
    var dryRun = false

    func run() async throws {
        let configuration = try loadConfiguration()
        var logger = Logger(label: "catalog-bff")
        logger.logLevel = .warning
        do {
            let report = try await AmoCRMSetupRun(configuration: configuration, logger: logger).run(dryRun: dryRun)
            for line in report.lines { print(line) }
        } catch {
            FileHandle.standardError.write(Data("catalog-bff: amocrm-setup: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// `catalog-bff directus-setup --admin-token TOKEN [--dry-run] [--snapshot FILE]`: see `DirectusSetupRun`.
struct DirectusSetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "directus-setup",
        abstract: "Bring Directus to what catalog-bff needs: collections and fields (schema snapshot), the change Flow, the preview URL, public read of published items.")

    @Option(name: .customLong("admin-token"), help: "A static token of a Directus admin; used for this run only, never stored.")
    var adminToken: String

    @Option(name: .customLong("snapshot"), help: "The schema snapshot (default: deploy/directus/schema.json).")
    var snapshot: String?

    @Flag(name: .customLong("dry-run"), help: "Print the plan and change nothing.")
    var dryRun = false

    func run() async throws {
        let configuration = try loadConfiguration()
        do {
            let report = try await DirectusSetupRun(configuration: configuration, adminToken: adminToken, snapshotPath: snapshot).run(dryRun: dryRun)
            for line in report.lines { print(line.replacingOccurrences(of: adminToken, with: "***")) }
        } catch {
            FileHandle.standardError.write(Data("catalog-bff: directus-setup: \(String(describing: error).replacingOccurrences(of: adminToken, with: "***"))\n".utf8))
            throw ExitCode.failure
        }
    }
}
