import ArgumentParser
import Basics
import Foundation
import Logging
import SafeText
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
            for line in report.lines { print(PrintableText.escape(line)) }
        } catch {
            FileHandle.standardError.write(Data("catalog-bff: amocrm-setup: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// `catalog-bff directus-setup [--dry-run] [--snapshot FILE]`: see `DirectusSetupRun`. The admin
/// token is read from standard input (pasted, or `< file`), or from `DIRECTUS_ADMIN_TOKEN`:
/// a command-line argument would show in `ps` and the shell's history.
struct DirectusSetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "directus-setup",
        abstract: "Bring Directus to what catalog-bff needs: collections and fields (schema snapshot), the change Flow, the preview URL, public read of published items.",
        discussion: "The static token of a Directus admin is read from standard input (or DIRECTUS_ADMIN_TOKEN), used for this run only and never stored.")

    @Option(name: .customLong("snapshot"), help: "The schema snapshot (default: deploy/directus/schema.json, else PREFIX/share/catalog-bff/directus/schema.json).")
    var snapshot: String?

    @Flag(name: .customLong("dry-run"), help: "Print the plan and change nothing.")
    var dryRun = false

    func run() async throws {
        let configuration = try loadConfiguration()
        var token = ProcessInfo.processInfo.environment["DIRECTUS_ADMIN_TOKEN"]?.trimmingCharacters(in: .whitespaces) ?? ""
        if token.isEmpty {
            if isatty(STDIN_FILENO) != 0 {
                FileHandle.standardError.write(Data("Токен администратора Directus (не сохраняется): ".utf8))
            }
            token = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces) ?? ""
        }
        guard !token.isEmpty else {
            FileHandle.standardError.write(Data("catalog-bff: directus-setup: no admin token: paste it, pipe it in, or set DIRECTUS_ADMIN_TOKEN\n".utf8))
            throw ExitCode(2)
        }
        do {
            let report = try await DirectusSetupRun(configuration: configuration, adminToken: token, snapshotPath: snapshot).run(dryRun: dryRun)
            for line in report.lines { print(PrintableText.escape(line.replacingOccurrences(of: token, with: "***"))) }
        } catch {
            FileHandle.standardError.write(Data("catalog-bff: directus-setup: \(String(describing: error).replacingOccurrences(of: token, with: "***"))\n".utf8))
            throw ExitCode.failure
        }
    }
}
