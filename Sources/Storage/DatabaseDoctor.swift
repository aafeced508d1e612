import Basics
import Foundation
import Logging
import SQLKit

extension DatabaseLocation {
    /// The address to show: a PostgreSQL password masked.
    public var shown: String {
        switch self {
        case .sqlite(let path): return "sqlite://\(path)"
        case .postgres(let url):
            guard var components = URLComponents(string: url) else { return "postgres://…" }
            if components.password != nil { components.password = "***" }
            return components.string ?? "postgres://…"
        }
    }

    /// `doctor`'s check of the database: it opens it without migrating (a check changes
    /// nothing) and tells which migrations it lacks. The database, when it opened and is up to
    /// date, is handed back for the checks that read it (amoCRM's tokens).
    public func diagnose(logger: Logger) async -> (Diagnosis, (any Database)?) {
        let check = "database"
        if case .sqlite(let path) = self, !FileManager.default.fileExists(atPath: path) {
            return (
                .warning(check, "файла базы \(path) ещё нет", fix: "он будет создан при первом запуске: catalog-bff migrate или catalog-bff serve"),
                nil
            )
        }
        let database: any Database
        do {
            switch self {
            case .sqlite(let path): database = try await SQLiteStore.open(path: path, logger: logger)
            case .postgres(let url): database = try await PostgresStore.open(url: url, logger: logger)
            }
        } catch {
            return (
                .failure(check, "база \(shown) не открывается: \(describe(error))", fix: "проверьте DATABASE_URL, доступ к серверу и права на файл"),
                nil
            )
        }
        let diagnosis = await diagnose(database)
        guard diagnosis.level == .ok else {
            await database.close()
            return (diagnosis, nil)
        }
        return (diagnosis, database)
    }

    /// The check of a database that is open (the running service's): which migrations it lacks.
    public func diagnose(_ database: any Database) async -> Diagnosis {
        let check = "database"
        do {
            let applied = try await database.read { db in
                try await db.raw("SELECT version FROM schema_migrations").all().map { try $0.decode(column: "version", as: Int.self) }
            }
            let missing = Migrations.all.filter { !applied.contains($0.version) }
            guard missing.isEmpty else {
                let names = missing.map { "\($0.version) «\($0.name)»" }.joined(separator: ", ")
                return .failure(check, "в базе \(shown) не хватает миграций: \(names)", fix: "выполните catalog-bff migrate")
            }
            return .ok(check, "база \(shown) открыта, схема актуальна (версия \(Migrations.all.last?.version ?? 0))")
        } catch {
            return .failure(check, "база \(shown): схема не читается (\(describe(error)))", fix: "выполните catalog-bff migrate")
        }
    }

    /// A driver's error without the URL (which could carry the password).
    func describe(_ error: any Error) -> String {
        var text = String(describing: error)
        if case .postgres(let url) = self, let password = URLComponents(string: url)?.password, !password.isEmpty {
            text = text.replacingOccurrences(of: password, with: "***")
        }
        if text.unicodeScalars.count > 200 { text = String(String.UnicodeScalarView(text.unicodeScalars.prefix(200))) + "…" }
        return text
    }
}
