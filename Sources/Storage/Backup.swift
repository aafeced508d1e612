import Foundation
import Logging
import SQLKit

/// `catalog-bff backup PATH`: an online copy of the SQLite database, checked by opening it.
public enum Backup {
    public struct Report: Sendable {
        public var path: String
        public var bytes: Int
        public var schemaVersion: Int
        public var leads: Int
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Copies the database at `source` to `target` while the service may keep writing, then
    /// opens the copy: SQLite's integrity check must pass and the schema must be the source's.
    public static func sqlite(from source: String, to target: String, logger: Logger) async throws -> Report {
        let fileManager = FileManager.default
        guard !fileManager.fileExists(atPath: target) else { throw Failure(description: "\(target) exists already: choose a new file") }
        guard fileManager.fileExists(atPath: source) else { throw Failure(description: "there is no database at \(source)") }
        let folder = URL(fileURLWithPath: target).deletingLastPathComponent().path
        try fileManager.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // The copy holds every customer's data: readable by its owner only. VACUUM INTO writes
        // into an empty file it is given.
        guard fileManager.createFile(atPath: target, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw Failure(description: "cannot create \(target)")
        }
        let store = try await SQLiteStore.open(path: source, logger: logger)
        let version: Int
        do {
            version = try await schemaVersion(store)
            try await store.copy(to: target)
            await store.close()
        } catch {
            await store.close()
            try? fileManager.removeItem(atPath: target)
            throw error
        }
        // On disk before it is called a backup.
        if let handle = FileHandle(forUpdatingAtPath: target) {
            try? handle.synchronize()
            try? handle.close()
        }
        // The copy as a restore would see it.
        let copy = try await SQLiteStore.open(path: target, logger: logger)
        do {
            let check = try await copy.read { db in
                try await db.raw("PRAGMA integrity_check").all().map { try $0.decode(column: "integrity_check", as: String.self) }
            }
            guard check == ["ok"] else { throw Failure(description: "the copy fails SQLite's integrity check: \(check.prefix(3))") }
            let copied = try await schemaVersion(copy)
            guard copied == version else { throw Failure(description: "the copy has schema version \(copied), the database \(version)") }
            let leads = try await copy.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM leads").first()?.decode(column: "n", as: Int.self) ?? 0
            }
            await copy.close()
            let bytes = (try? fileManager.attributesOfItem(atPath: target)[.size] as? Int) ?? 0
            return Report(path: target, bytes: bytes, schemaVersion: version, leads: leads)
        } catch {
            await copy.close()
            for suffix in ["", "-wal", "-shm"] { try? fileManager.removeItem(atPath: target + suffix) }
            throw error
        }
    }

    static func schemaVersion(_ database: any Database) async throws -> Int {
        try await database.read { db in
            try await db.raw("SELECT MAX(version) AS v FROM schema_migrations").first()?.decode(column: "v", as: Int.self) ?? 0
        }
    }
}
