import Foundation

// Reading raw messages as a mail client would, for the tests of the mail and its delivery.

/// Decodes RFC 2047 `=?UTF-8?B?…?=` words (what a mail client shows).
public func decodeHeader(_ value: String) -> String {
    // White space between adjacent encoded words is not part of the text (RFC 2047 §6.2).
    value.replacingOccurrences(of: #"\?=\s+=\?"#, with: "?==?", options: .regularExpression)
        .components(separatedBy: "?=").map { part -> String in
        guard let start = part.range(of: "=?UTF-8?B?") else { return part }
        let prefix = part[..<start.lowerBound]
        let data = Data(base64Encoded: String(part[start.upperBound...])) ?? Data()
        return prefix + String(decoding: data, as: UTF8.self)
    }.joined()
}

/// A header's value from a raw message (folded lines joined).
public func header(_ name: String, in message: String) -> String? {
    let head = message.components(separatedBy: "\r\n\r\n").first ?? ""
    let unfolded = head.replacingOccurrences(of: "\r\n ", with: " ")
    return unfolded.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
        .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
}

/// The decoded text of each base64 part.
public func bodyParts(_ message: String) -> [String] {
    message.components(separatedBy: "Content-Transfer-Encoding: base64\r\n\r\n").dropFirst().map { chunk in
        let encoded = chunk.components(separatedBy: "\r\n--").first ?? ""
        let data = Data(base64Encoded: encoded.replacingOccurrences(of: "\r\n", with: "")) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
