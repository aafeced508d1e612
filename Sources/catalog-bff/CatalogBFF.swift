import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Web

@main
struct CatalogBFF: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog-bff",
        abstract: "The machine-tool catalog site: pages, JSON API and order delivery.",
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the site (settings from the environment and ./.env).")

    func run() async throws {
        let configuration = try loadConfiguration()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let logger = Logger(label: "catalog-bff")
        let app = try await buildApplication(configuration: configuration, logger: logger)
        logger.info("listening", metadata: ["address": "http://\(configuration.host):\(configuration.port)"])
        try await app.runService()
    }
}

/// Reads the configuration, or stops with one line naming the variable and exit code 2.
func loadConfiguration() throws -> AppConfiguration {
    do {
        return try AppConfiguration(environment: DotEnv.environment())
    } catch {
        FileHandle.standardError.write(Data("catalog-bff: invalid configuration: \(error)\n".utf8))
        throw ExitCode(2)
    }
}
