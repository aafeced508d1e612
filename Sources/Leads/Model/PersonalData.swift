import SafeText

/// Customers' contact data as logs may show it (152-ФЗ): enough for an operator to tell two
/// orders apart, not enough to call or write to anyone.
public enum PersonalData {
    /// `+79001234567` → `+7 9** ***-45-67`; other countries keep their first two digits.
    public static func mask(phone: String) -> String {
        let digits = Array(phone.filter(\.isNumber))
        guard digits.count >= 8 else { return "***" }
        let tail = String(digits[(digits.count - 4)..<(digits.count - 2)]) + "-" + String(digits[(digits.count - 2)...])
        if digits.count == 11, digits[0] == "7" {
            return "+7 \(digits[1])** ***-" + tail
        }
        return "+\(String(digits[..<2])) " + String(repeating: "*", count: digits.count - 6) + "-" + tail
    }

    /// `petrov@example.com` → `p***@example.com`.
    public static func mask(email: String) -> String {
        guard let at = email.lastIndex(of: "@"), let first = email.first, at != email.startIndex else { return "***" }
        // Escaped as well: a stored address is valid, but this is what reaches the log.
        return PrintableText.escape("\(first)***" + email[at...])
    }
}
