import Foundation

public enum PhoneNumber {
    /// Russian numbers become `+7XXXXXXXXXX` (from `8 (900) 123-45-67`, `+7 900 …`,
    /// `9001234567`); other international numbers keep `+` and their digits; anything
    /// else is nil.
    public static func normalize(_ raw: String) -> String? {
        let allowed = Set("0123456789+-() .")
        guard raw.allSatisfy({ allowed.contains($0) }) else { return nil }
        let digits = raw.filter(\.isNumber)
        let international = raw.trimmingCharacters(in: .whitespaces).hasPrefix("+")
        if digits.count == 11, digits.first == "7" || (digits.first == "8" && !international) {
            return "+7" + digits.dropFirst()
        }
        if digits.count == 10, !international, digits.first == "9" || digits.first == "4" || digits.first == "8" || digits.first == "3" {
            return "+7" + digits
        }
        if international, (8...15).contains(digits.count), digits.first != "0" {
            return "+" + digits
        }
        return nil
    }
}
