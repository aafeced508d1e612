import Foundation

/// A configuration value that cannot be used; start-up stops with this one line.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public var variable: String
    public var reason: String

    public init(variable: String, reason: String) {
        self.variable = variable
        self.reason = reason
    }

    public var description: String { "\(variable): \(reason)" }
}

/// The process's settings as each module reads its own: a value is trimmed, and empty counts
/// as unset. The readers below give every module the same rules and one-line errors.
public struct Environment: Sendable {
    public let values: [String: String]

    public init(_ values: [String: String]) {
        self.values = values
    }

    public subscript(_ name: String) -> String? {
        guard let raw = values[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        return raw
    }

    /// Secrets shorter than this stop start-up: a short one can be guessed.
    public static let minimumSecretLength = 16

    /// A whole number of `unit` within `range` (nil when the variable is not set).
    public func number(_ name: String, in range: ClosedRange<Int>, unit: String) throws(ConfigurationError) -> Int? {
        guard let raw = self[name] else { return nil }
        guard let number = Int(raw), range.contains(number) else {
            throw ConfigurationError(
                variable: name, reason: "must be a number of \(unit) from \(range.lowerBound) to \(range.upperBound), got '\(raw)'")
        }
        return number
    }

    /// A whole number of seconds, 0 or more (nil when not set).
    public func seconds(_ name: String) throws(ConfigurationError) -> Int? {
        guard let raw = self[name] else { return nil }
        guard let number = Int(raw), number >= 0 else {
            throw ConfigurationError(variable: name, reason: "must be a whole number of seconds, got '\(raw)'")
        }
        return number
    }

    /// `90`, `90s`, `10m`, `2h`: a duration within `range` seconds (nil when not set).
    public func duration(_ name: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Duration? {
        guard let raw = self[name] else { return nil }
        let text = raw.lowercased()
        let units: [(suffix: String, seconds: Int)] = [("h", 3_600), ("m", 60), ("s", 1)]
        let unit = units.first { text.hasSuffix($0.suffix) }
        let digits = unit.map { String(text.dropLast($0.suffix.count)) } ?? text
        guard digits.count <= 6, let number = Int(digits), number >= 0, range.contains(number * (unit?.seconds ?? 1)) else {
            throw ConfigurationError(
                variable: name, reason: "must be a duration such as 90s, 10m or 2h, at most \(range.upperBound / 3_600) h, got '\(raw)'")
        }
        return .seconds(number * (unit?.seconds ?? 1))
    }

    /// An absolute http(s) URL without a trailing slash.
    public static func httpURL(_ raw: String, variable: String) throws(ConfigurationError) -> String {
        guard let url = URL(string: raw), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            throw ConfigurationError(variable: variable, reason: "must be an absolute http:// or https:// URL, got '\(raw)'")
        }
        var text = raw
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// The variable's absolute http(s) URL (nil when not set).
    public func httpURL(_ name: String) throws(ConfigurationError) -> String? {
        guard let raw = self[name] else { return nil }
        return try Self.httpURL(raw, variable: name)
    }

    /// A secret a visitor presents (admin token, preview and webhook secrets): long enough
    /// not to be guessed. The value itself is never part of the error.
    public func secret(_ name: String) throws(ConfigurationError) -> String? {
        guard let raw = self[name] else { return nil }
        guard raw.count >= Self.minimumSecretLength else {
            throw ConfigurationError(
                variable: name,
                reason: "must be at least \(Self.minimumSecretLength) characters long (it has \(raw.count)); generate one with: openssl rand -hex 24")
        }
        return raw
    }
}
