import Catalog
import Foundation
import Hummingbird

/// `application/x-www-form-urlencoded`: how browsers send form bodies and GET forms' query
/// strings (`q=токарный+станок`): `+` is a space, then percent-escapes are decoded once.
enum FormURLEncoded {
    /// Field → value; the last value of a repeated name wins. Names and values that are not
    /// valid percent-encoded UTF-8 are kept as they came (they then match nothing).
    static func decode(_ text: some StringProtocol) -> [String: String] {
        fields(pairs(text))
    }

    /// Field → value of decoded pairs; the last value of a repeated name wins.
    static func fields(_ pairs: [(name: String, value: String)]) -> [String: String] {
        Dictionary(pairs, uniquingKeysWith: { _, last in last })
    }

    /// Every field in order, repeated names as often as they come (`spec.x=A&spec.x=B`).
    static func pairs(_ text: some StringProtocol) -> [(name: String, value: String)] {
        text.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let first = parts.first else { return nil }
            let name = component(first)
            guard !name.isEmpty else { return nil }
            return (name, parts.count > 1 ? component(parts[1]) : "")
        }
    }

    static func component(_ part: some StringProtocol) -> String {
        let spaced = part.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

extension Request {
    /// The query string read as a GET form sends it (Hummingbird's `queryParameters` leaves
    /// `+` alone, so «токарный+станок» would be searched for literally).
    var queryFields: [String: String] { FormURLEncoded.decode(uri.query ?? "") }

    /// The query's fields in order, with repeated names kept.
    var queryPairs: [(name: String, value: String)] { FormURLEncoded.pairs(uri.query ?? "") }
}

extension Parameters {
    /// A path parameter percent-decoded once (`/product/%D1%81…` → the slug `с…`), so that it
    /// matches what Directus and the index hold. Malformed escapes name nothing: 404.
    func decoded(_ name: String) throws -> String {
        guard let raw = get(name), let value = raw.removingPercentEncoding, !value.isEmpty else {
            throw HTTPError(.notFound)
        }
        return value
    }
}

/// Whole numbers from a request (`page`, ids): range-checked before any arithmetic.
enum RequestNumber {
    /// The highest list page any page or API will serve; beyond it there is nothing to show.
    static let pages = 1...100_000

    /// `page`: absent or empty is the first page; anything that is not a number in `pages` is nil.
    static func page(_ raw: String?) -> Int? {
        guard let raw, !raw.isEmpty else { return 1 }
        return integer(raw, in: pages)
    }

    /// Plain decimal digits (no sign, no leading zero, at most 19 of them) within `range`;
    /// nil for anything else, so each number has one spelling in a URL.
    static func integer(_ raw: String, in range: ClosedRange<Int>) -> Int? {
        let digits = raw.utf8
        guard (1...19).contains(digits.count), digits.allSatisfy({ (48...57).contains($0) }), digits.first != 48 || digits.count == 1,
            let number = Int(raw), range.contains(number)
        else { return nil }
        return number
    }
}
