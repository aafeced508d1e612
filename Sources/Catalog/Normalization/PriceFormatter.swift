import Foundation

/// Russian price formatting: `1 250 000 ₽`, `1 890,50 ₽`.
///
/// Digits are grouped by three with a no-break space (U+00A0), the decimal separator is a
/// comma, kopecks are shown only when they are not zero. Written by hand rather than with
/// `NumberFormatter` so that the output does not depend on the ICU data of the machine.
public enum PriceFormatter {
    static let noBreakSpace = "\u{00A0}"

    /// The normalized price: an amount > 0 in a known currency, or "on request".
    public static func price(raw: JSONValue?, currency rawCurrency: String?) -> Price {
        let currency = currencyCode(rawCurrency)
        guard let amount = amount(raw) else {
            return Price(amount: nil, currency: currency, text: Price.onRequestText)
        }
        return Price(amount: amount, currency: currency, text: format(amount, currency: currency))
    }

    /// A positive amount from a Directus decimal (string or number); nil for null, "",
    /// zero, negative or unparsable values.
    public static func amount(_ raw: JSONValue?) -> Decimal? {
        let value: Decimal?
        switch raw {
        case .number(let number):
            value = number
        case .string(let text):
            value = parse(text)
        default:
            value = nil
        }
        guard let value, value.isFinite, value > 0 else { return nil }
        return rounded(value, scale: 2)
    }

    /// Accepts `1250000.00`, `1 250 000,50`, `1250000`; rejects anything else.
    static func parse(_ text: String) -> Decimal? {
        var cleaned = text.trimmingCharacters(in: .whitespacesAndNewlines)
        cleaned.removeAll { $0 == " " || $0 == "\u{00A0}" || $0 == "\u{202F}" }
        if cleaned.contains(","), !cleaned.contains(".") {
            cleaned = cleaned.replacingOccurrences(of: ",", with: ".")
        }
        guard !cleaned.isEmpty,
            cleaned.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-" || $0 == "+") }),
            cleaned.filter({ $0 == "." }).count <= 1
        else { return nil }
        return Decimal(string: cleaned, locale: Locale(identifier: "en_US_POSIX"))
    }

    public static func currencyCode(_ raw: String?) -> String {
        let code = (raw ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        return code.isEmpty ? "RUB" : code
    }

    public static func symbol(for currency: String) -> String {
        switch currency {
        case "RUB", "RUR": "₽"
        case "EUR": "€"
        case "USD": "$"
        default: currency
        }
    }

    public static func format(_ amount: Decimal, currency: String) -> String {
        let cents = rounded(amount, scale: 2)
        let text = fixed2(cents)
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let integer = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : "00"
        var grouped = ""
        for (index, digit) in integer.enumerated() {
            if index > 0, (integer.count - index) % 3 == 0 { grouped += noBreakSpace }
            grouped.append(digit)
        }
        if fraction != "00" { grouped += "," + fraction }
        return grouped + noBreakSpace + symbol(for: currency)
    }

    /// `1250000.00`
    static func fixed2(_ amount: Decimal) -> String {
        let value = rounded(amount, scale: 2)
        let plain = value.plainText
        let parts = plain.split(separator: ".", omittingEmptySubsequences: false)
        let integer = parts[0]
        var fraction = parts.count > 1 ? String(parts[1]) : ""
        while fraction.count < 2 { fraction += "0" }
        return "\(integer).\(fraction.prefix(2))"
    }

    static func rounded(_ value: Decimal, scale: Int) -> Decimal {
        var input = value
        var output = Decimal()
        NSDecimalRound(&output, &input, scale, .plain)
        return output
    }
}
