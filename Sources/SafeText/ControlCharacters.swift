/// Control characters, judged on Unicode scalars.
///
/// C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F) have no place in a name, a
/// phone or an e-mail address: they forge log lines (`\n`), move a terminal's cursor or
/// change its title (ESC, the C1 CSI and OSC), and end CSV records. A `Character` check
/// misses them inside clusters (CR LF is one `Character`, equal to neither CR nor LF), so
/// every check here reads scalars.
///
/// The Unicode line and paragraph separators (U+2028, U+2029) count as line breaks, and the
/// bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) are refused in every
/// field: invisible, they reorder a name or a phone number in the admin, the CSV and a
/// terminal.
public enum ControlCharacters {
    /// What a field may hold besides printable text.
    public enum Allowance: Sendable {
        /// One line: no control character at all.
        case singleLine
        /// Running text (a comment): line breaks (CR, LF) and tabs too.
        case multiline
    }

    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
            || isDirectionOverride(scalar)
    }

    /// The bidirectional embeddings, overrides and isolates.
    public static func isDirectionOverride(_ scalar: Unicode.Scalar) -> Bool {
        (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
    }

    /// Whether `text` holds a control character that `allowance` does not let through.
    public static func contains(in text: String, beyond allowance: Allowance = .singleLine) -> Bool {
        text.unicodeScalars.contains { scalar in
            guard isControl(scalar) else { return false }
            if case .multiline = allowance, ["\n", "\r", "\t", "\u{2028}", "\u{2029}"].contains(scalar) { return false }
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
