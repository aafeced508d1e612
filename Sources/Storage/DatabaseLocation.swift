import Basics
import Foundation

/// Where the database is: `DATABASE_URL`.
public enum DatabaseLocation: Equatable, Sendable {
    /// `sqlite://var/catalog-bff.sqlite` (relative to the working directory) or
    /// `sqlite:///abs/path.sqlite`.
    case sqlite(path: String)
    /// `postgres://user:pass@host:5432/db`
    case postgres(url: String)

    public struct InvalidURL: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// `DATABASE_URL`, or the SQLite file in `dataDirectory` (`DATA_DIR`).
    public init(environment env: Environment, dataDirectory: String) throws(ConfigurationError) {
        guard let url = env["DATABASE_URL"] else {
            self = .sqlite(path: dataDirectory + "/catalog-bff.sqlite")
            return
        }
        do {
            try self.init(url: url)
        } catch {
            throw ConfigurationError(variable: "DATABASE_URL", reason: error.reason)
        }
    }

    public init(url: String) throws(InvalidURL) {
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty, path != "/" else {
                throw InvalidURL(reason: "sqlite:// needs a file path, e.g. sqlite://var/catalog-bff.sqlite")
            }
            self = .sqlite(path: path)
        } else if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            guard let components = URLComponents(string: url), components.host?.isEmpty == false,
                components.path.count > 1
            else {
                throw InvalidURL(reason: "expected postgres://user:password@host:5432/database")
            }
            self = .postgres(url: url)
        } else {
            throw InvalidURL(reason: "must start with sqlite:// or postgres://")
        }
    }
}
