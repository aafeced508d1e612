import AmoCRM
import ArgumentParser
import Catalog
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Storage
import Web

@main
struct CatalogBFF: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog-bff",
        abstract: "The machine-tool catalog site: pages, JSON API and order delivery.",
        subcommands: [Serve.self, Migrate.self, DoctorCommand.self, DirectusSetupCommand.self, AmoCRMSetupCommand.self, BackupCommand.self, AmoCRMConnectURL.self, Outbox.self],
        defaultSubcommand: Serve.self)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the site (settings from the environment and ./.env).")

    func run() async throws {
        Memory.limitArenas()
        let configuration = try loadConfiguration()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let logger = Logger(label: "catalog-bff")
        let app: any ApplicationProtocol
        do {
            app = try await buildApplication(configuration: configuration, logger: logger)
        } catch {
            // The database or the templates could not be opened: one line, not a trace.
            FileHandle.standardError.write(Data("catalog-bff: cannot start: \(error)\n".utf8))
            throw ExitCode.failure
        }
        logger.info("listening", metadata: ["address": "http://\(configuration.host):\(configuration.port)"])
        // SIGTERM or SIGINT: stop taking connections, finish the requests and deliveries in
        // flight, give back leases and roles (services stop in reverse order: the server
        // first, the heartbeat and the database last). Whatever still runs after the deadline
        // is cancelled; systemd's TimeoutStopSec (30 s) is the last word.
        var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(25)
        group.maximumCancellationDuration = .seconds(3)
        try await ServiceGroup(configuration: group).run()
        logger.notice("stopped")
    }
}

/// Brings the database's schema up to date and exits: a deployment runs it once before it
/// rolls out the new instances (`serve` also migrates when it has to).
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Bring the database schema up to date, then exit.")

    func run() async throws {
        let configuration = try loadConfiguration()
        var logger = Logger(label: "catalog-bff")
        logger.logLevel = configuration.logLevel
        do {
            let database = try await openDatabase(configuration.database, logger: logger)
            await database.close()
        } catch {
            FileHandle.standardError.write(Data("catalog-bff: migration failed: \(error)\n".utf8))
            throw ExitCode.failure
        }
        print("database schema is up to date")
    }
}

struct AmoCRMConnectURL: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "amocrm-connect-url",
        abstract: "Print the amoCRM authorization URL to open as an admin (valid for ten minutes).")

    func run() async throws {
        let configuration = try loadConfiguration()
        var logger = Logger(label: "catalog-bff")
        logger.logLevel = .warning
        guard let amo = configuration.amoCRM, amo.clientID != nil else {
            FileHandle.standardError.write(Data("catalog-bff: amoCRM is not configured: set AMOCRM_SUBDOMAIN, AMOCRM_CLIENT_ID, AMOCRM_CLIENT_SECRET\n".utf8))
            throw ExitCode(2)
        }
        print(try await ConnectLink.make(amo, database: configuration.database, logger: logger))
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
