import Foundation

/// An e-mail address with an optional display name.
public struct MailAddress: Sendable, Equatable {
    public var address: String
    public var name: String?

    public init(_ address: String, name: String? = nil) {
        self.address = address
        self.name = name
    }

    /// A mailbox on this machine (`orders@localhost`, the default): nobody reads it. Compared
    /// on bytes, as addresses are.
    public var isLocal: Bool {
        address.utf8.split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false).last.map { Array($0) == Array("localhost".utf8) } ?? false
    }

    /// The part after `@` (a Message-ID's right side); `localhost` for an address without one.
    public var domain: String { address.split(separator: "@").last.map(String.init) ?? "localhost" }

    /// The address as a 7-bit header can carry it: an internationalized domain in its
    /// `xn--` form; nil when the local part itself is not ASCII (only SMTPUTF8 could carry
    /// it, and mail servers that lack it refuse the whole message).
    public var asciiAddress: String? {
        guard let at = address.lastIndex(of: "@") else { return address.unicodeScalars.allSatisfy(\.isASCII) ? address : nil }
        let local = address[..<at]
        guard local.unicodeScalars.allSatisfy(\.isASCII), let domain = Punycode.asciiDomain(String(address[address.index(after: at)...]))
        else { return nil }
        return local + "@" + domain
    }
}

/// A message with a plain-text and an HTML part.
public struct MailMessage: Sendable, Equatable {
    public var from: MailAddress
    public var to: [MailAddress]
    public var replyTo: MailAddress?
    public var subject: String
    public var text: String
    public var html: String
    /// Without angle brackets: `lead-1f3a@example.ru`. Stable per lead, so that a re-sent
    /// message is recognizable as the same one.
    public var messageID: String
    public var date: Date

    public init(
        from: MailAddress, to: [MailAddress], replyTo: MailAddress? = nil, subject: String, text: String, html: String,
        messageID: String, date: Date
    ) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
        self.date = date
    }
}

/// RFC 5322 / MIME serialization: UTF-8 everywhere, RFC 2047 encoded words for headers,
/// base64 bodies, CRLF line ends.
public enum MIMEWriter {
    public static func render(_ message: MailMessage) -> [UInt8] {
        let boundary = "=_catalog-bff_" + String(UInt64(bitPattern: Int64(message.messageID.hashValue)), radix: 36)
            + "_" + String(message.messageID.utf8.count, radix: 36)
        var lines: [String] = []
        lines.append("From: " + mailbox(message.from, offset: 6))
        lines.append("To: " + message.to.map { mailbox($0, offset: 4) }.joined(separator: ",\r\n "))
        // A customer's address that a header cannot carry stays in the body only.
        if let replyTo = message.replyTo, replyTo.asciiAddress != nil { lines.append("Reply-To: " + mailbox(replyTo, offset: 10)) }
        lines.append("Subject: " + encodedWords(message.subject, offset: 9))
        lines.append("Date: " + rfc5322Date(message.date))
        lines.append("Message-ID: <\(message.messageID)>")
        lines.append("MIME-Version: 1.0")
        lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
        lines.append("")
        for (type, body) in [("text/plain", message.text), ("text/html", message.html)] {
            lines.append("--" + boundary)
            lines.append("Content-Type: \(type); charset=utf-8")
            lines.append("Content-Transfer-Encoding: base64")
            lines.append("")
            lines.append(Data(body.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed]))
        }
        lines.append("--" + boundary + "--")
        lines.append("")
        return Array(lines.joined(separator: "\r\n").utf8)
    }

    /// `"Имя" <a@b>` with the name as encoded words when it is not plain ASCII; the address
    /// goes on its own folded line when the line would be too long.
    static func mailbox(_ address: MailAddress, offset: Int) -> String {
        let cleanAddress = (address.asciiAddress ?? address.address).filter { !$0.isNewline && $0 != "<" && $0 != ">" }
        guard let name = address.name?.filter({ !$0.isNewline }), !name.isEmpty else { return cleanAddress }
        let isSafeASCII = name.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && !"\"\\()<>,;:@[]".unicodeScalars.contains($0) }
        let display = isSafeASCII ? "\"\(name)\"" : encodedWords(name, offset: offset)
        let lastLine = display.components(separatedBy: "\r\n").last ?? display
        let lastLineStart = display.contains("\r\n") ? 0 : offset
        let fits = lastLineStart + lastLine.utf8.count + cleanAddress.utf8.count + 3 <= 78
        return display + (fits ? " " : "\r\n ") + "<\(cleanAddress)>"
    }

    /// RFC 2047 `=?UTF-8?B?…?=` words, folded so that no line passes 78 characters (the
    /// first line starts `offset` characters in, after the header name); plain ASCII text is
    /// left as it is. Never splits a UTF-8 character; line breaks cannot get through.
    public static func encodedWords(_ text: String, offset: Int = 0) -> String {
        let singleLine = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if singleLine.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 }) && offset + singleLine.count <= 78 {
            return singleLine
        }
        // A word is "=?UTF-8?B?" + base64 + "?=": 12 characters plus 4 per 3 bytes.
        func capacity(_ start: Int) -> Int { max(3, (78 - start - 12) / 4 * 3) }
        var words: [String] = []
        var chunk: [UInt8] = []
        var limit = capacity(offset)
        for character in singleLine {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > limit, !chunk.isEmpty {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
                limit = capacity(1)
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words.joined(separator: "\r\n ")
    }

    static func rfc5322Date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(days[(parts.weekday ?? 1) - 1]), \(parts.day ?? 1) \(months[(parts.month ?? 1) - 1]) \(parts.year ?? 1970) "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) +0000"
    }
}
