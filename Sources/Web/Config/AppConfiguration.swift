import Foundation
import Logging

/// A configuration value that cannot be used; start-up stops with this one line.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public var variable: String
    public var reason: String

    public var description: String { "\(variable): \(reason)" }
}

/// All settings, read once from the environment (DESIGN §2). Defaults live here only.
public struct AppConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Without a trailing slash: `http://127.0.0.1:8080`.
    public var publicBaseURL = "http://127.0.0.1:8080"
    public var directusURL: String?
    public var directusToken: String?
    public var catalogFresh: Duration = .seconds(60)
    public var catalogStale: Duration = .seconds(86_400)
    public var logLevel: Logger.Level = .info
    /// Where the Mustache templates and static files are; relative to the working directory.
    public var templatesDirectory = "templates"
    public var publicDirectory = "public"

    public init() {}

    public init(environment env: [String: String]) throws(ConfigurationError) {
        func value(_ name: String) -> String? {
            guard let raw = env[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        if let host = value("HOST") { self.host = host }
        if let port = value("PORT") {
            guard let number = Int(port), (1...65_535).contains(number) else {
                throw ConfigurationError(variable: "PORT", reason: "must be a port number from 1 to 65535, got '\(port)'")
            }
            self.port = number
        }
        publicBaseURL = try Self.httpURL(value("PUBLIC_BASE_URL") ?? "http://\(host):\(port)", variable: "PUBLIC_BASE_URL")
        if let directus = value("DIRECTUS_URL") {
            directusURL = try Self.httpURL(directus, variable: "DIRECTUS_URL")
        }
        directusToken = value("DIRECTUS_TOKEN")
        if let fresh = value("CATALOG_FRESH_SECONDS") {
            catalogFresh = .seconds(try Self.seconds(fresh, variable: "CATALOG_FRESH_SECONDS"))
        }
        if let stale = value("CATALOG_STALE_SECONDS") {
            catalogStale = .seconds(try Self.seconds(stale, variable: "CATALOG_STALE_SECONDS"))
        }
        guard catalogStale >= catalogFresh else {
            throw ConfigurationError(
                variable: "CATALOG_STALE_SECONDS", reason: "must not be shorter than CATALOG_FRESH_SECONDS")
        }
        if let level = value("LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError(variable: "LOG_LEVEL", reason: "must be one of \(names), got '\(level)'")
            }
            logLevel = parsed
        }
    }

    /// An absolute http(s) URL without a trailing slash.
    static func httpURL(_ raw: String, variable: String) throws(ConfigurationError) -> String {
        guard let url = URL(string: raw), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            throw ConfigurationError(variable: variable, reason: "must be an absolute http:// or https:// URL, got '\(raw)'")
        }
        var text = raw
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    static func seconds(_ raw: String, variable: String) throws(ConfigurationError) -> Int {
        guard let number = Int(raw), number >= 0 else {
            throw ConfigurationError(variable: variable, reason: "must be a whole number of seconds, got '\(raw)'")
        }
        return number
    }
}
