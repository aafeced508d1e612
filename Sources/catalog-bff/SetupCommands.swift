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
