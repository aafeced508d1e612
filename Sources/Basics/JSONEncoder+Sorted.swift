import Foundation

extension JSONEncoder {
    /// The one JSON output of the application (stored payloads, API answers, problem
    /// details, JSON-LD): sorted keys, so equal values give equal bytes (ETags), and
    /// unescaped slashes, so URLs stay readable.
    public static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
