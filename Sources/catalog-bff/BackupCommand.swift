import ArgumentParser
import Foundation
import Logging
import Storage

/// `catalog-bff backup PATH`: a consistent copy of the SQLite database while the service runs,
/// checked by opening it. Restore: stop the service, put the copy in the database's place
/// (`DATA_DIR/catalog-bff.sqlite`), start it. PostgreSQL is backed up with `pg_dump`.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Copy the SQLite database to PATH while the service runs, and check the copy.")

    @Argument(help: "Where the copy goes (a new file).")
    var path: String

    func run() async throws {
        let configuration = try loadConfiguration()
        guard case .sqlite(let source) = configuration.database else {
            FileHandle.standardError.write(
                Data("catalog-bff: DATABASE_URL is PostgreSQL: back it up with pg_dump (see the README, \"Backups\")\n".utf8))
            throw ExitCode(2)
        }
        var logger = Logger(label: "catalog-bff")
        logger.logLevel = .warning
        do {
            let report = try await Backup.sqlite(from: source, to: path, logger: logger)
            print("backed up \(source) to \(report.path): \(report.bytes) bytes, schema version \(report.schemaVersion), \(report.leads) leads; the copy opens and passes SQLite's integrity check")
        } catch {
            FileHandle.standardError.write(Data("catalog-bff: backup failed: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
