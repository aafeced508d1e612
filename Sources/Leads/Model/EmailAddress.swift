import SafeText

public enum EmailAddress {
    /// A pragmatic check: one `@`, a local part, a dotted domain, no spaces, brackets or
    /// control characters – judged on Unicode scalars (as `Character`s, CR LF equals neither
    /// CR nor LF, so a line break after the domain passed).
    public static func isValid(_ text: String) -> Bool {
        let scalars = text.unicodeScalars
        guard text.utf8.count <= 254,
            !scalars.contains(where: { forbidden.contains($0) || ControlCharacters.isControl($0) || $0.properties.isWhitespace })
        else { return false }
        let parts = scalars.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].count >= 3 else { return false }
        let domain = String(String.UnicodeScalarView(parts[1]))
        return domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".") && !domain.contains("..")
    }

    private static let forbidden: Set<Unicode.Scalar> = ["<", ">", "(", ")", "[", "]", "\\", ",", ";", ":", "\""]
}
