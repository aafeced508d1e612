import Foundation

/// Reads a `.env` file: `KEY=value` lines, `#` comments, optional `export ` and quotes.
public enum DotEnv {
    public static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
                if first == "\"" {
                    value = value.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\\"", with: "\"")
                }
            } else if let hash = value.range(of: " #") {
                value = value[..<hash.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            guard !key.isEmpty else { continue }
            values[key] = value
        }
        return values
    }

    /// The process environment over the `.env` file in `directory` (the environment wins).
    public static func environment(directory: String = FileManager.default.currentDirectoryPath) -> [String: String] {
        let path = URL(fileURLWithPath: directory).appendingPathComponent(".env").path
        let file = (try? String(contentsOfFile: path, encoding: .utf8)).map(parse) ?? [:]
        return file.merging(ProcessInfo.processInfo.environment) { _, environment in environment }
    }
}
