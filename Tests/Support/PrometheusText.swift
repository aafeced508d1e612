import Foundation

/// The Prometheus text format (0.0.4) as a scraper reads it: families with their TYPE and
/// HELP, samples with labels and values. Strict: a line it cannot read is an error, so a test
/// that parses `/metrics` fails on output Prometheus would refuse. (`promtool check metrics`
/// is the second opinion, in `MetricsTests`.)
public struct PrometheusText: Sendable {
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var line: String
        public var description: String { "not a Prometheus text line: \(line)" }
    }

    public private(set) var samples: [Sample] = []
    public private(set) var types: [String: String] = [:]
    public private(set) var help: [String: String] = [:]

    public init(_ text: String) throws {
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = String(raw)
            if line.hasPrefix("# ") {
                let parts = line.dropFirst(2).split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
                guard parts.count >= 2 else { throw ParseError(line: line) }
                if parts[0] == "TYPE" {
                    guard parts.count == 3, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[2]) else {
                        throw ParseError(line: line)
                    }
                    guard types[parts[1]] == nil else { throw ParseError(line: line + " (second TYPE)") }
                    types[parts[1]] = parts[2]
                } else if parts[0] == "HELP" {
                    help[parts[1]] = parts.count == 3 ? parts[2] : ""
                }
                continue
            }
            samples.append(try Self.sample(line))
        }
    }

    /// The value of the one sample with exactly these labels.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// The sum over the samples whose labels include `labels` (0 when there is none).
    public func sum(_ name: String, where labels: [String: String] = [:]) -> Double {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }.reduce(0) { $0 + $1.value }
    }

    /// Family names as a scraper groups them (`x_bucket`, `x_sum` and `x_count` under `x`).
    public var familyNames: Set<String> { Set(types.keys) }

    private static func sample(_ line: String) throws -> Sample {
        var rest = Substring(line)
        let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }
        guard !name.isEmpty, !(name.first?.isNumber ?? true) else { throw ParseError(line: line) }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let key = rest.prefix { $0 != "=" }
                rest = rest.dropFirst(key.count)
                guard rest.hasPrefix("=\"") else { throw ParseError(line: line) }
                rest = rest.dropFirst(2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\" {
                        guard let escaped = rest.first else { throw ParseError(line: line) }
                        rest = rest.dropFirst()
                        switch escaped {
                        case "n": value.append("\n")
                        case "\\", "\"": value.append(escaped)
                        default: throw ParseError(line: line)
                        }
                    } else {
                        value.append(character)
                    }
                }
                guard rest.first == "\"" else { throw ParseError(line: line) }
                rest = rest.dropFirst()
                labels[String(key)] = value
                if rest.first == "," { rest = rest.dropFirst() }
            }
            rest = rest.dropFirst()
        }
        let fields = rest.split(separator: " ")
        guard (1...2).contains(fields.count) else { throw ParseError(line: line) }
        let text = String(fields[0])
        let value: Double? =
            switch text {
            case "+Inf": .infinity
            case "-Inf": -.infinity
            case "NaN": .nan
            default: Double(text)
            }
        guard let value else { throw ParseError(line: line) }
        return Sample(name: String(name), labels: labels, value: value)
    }
}
