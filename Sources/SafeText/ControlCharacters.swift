/// Control characters, judged on Unicode scalars.
///
/// C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F) have no place in a name, a
/// phone or an e-mail address: they forge log lines (`\n`), move a terminal's cursor or
/// change its title (ESC, the C1 CSI and OSC), and end CSV records. A `Character` check
/// misses them inside clusters (CR LF is one `Character`, equal to neither CR nor LF), so
/// every check here reads scalars.
public enum ControlCharacters {
    /// What a field may hold besides printable text.
    public enum Allowance: Sendable {
        /// One line: no control character at all.
        case singleLine
        /// Running text (a comment): line breaks (CR, LF) and tabs too.
        case multiline
    }

    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// Whether `text` holds a control character that `allowance` does not let through.
    public static func contains(in text: String, beyond allowance: Allowance = .singleLine) -> Bool {
        text.unicodeScalars.contains { scalar in
            guard isControl(scalar) else { return false }
            if case .multiline = allowance, scalar == "\n" || scalar == "\r" || scalar == "\t" { return false }
            return true
        }
    }
}

/// Text from outside printed on an operator's terminal (or in a log line).
///
/// Control characters are shown as `\u{1B}` instead of being sent, so an ESC or OSC sequence
/// in a customer's name cannot recolour, retitle or rewrite the operator's screen, and a line
/// break in it cannot start a forged line.
public enum PrintableText {
    public static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: ControlCharacters.isControl) else { return text }
        var output = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if ControlCharacters.isControl(scalar) {
                output.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                output.append(scalar)
            }
        }
        return String(output)
    }
}
