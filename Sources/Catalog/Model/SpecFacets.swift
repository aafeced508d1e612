import Foundation
import Synchronization

/// A spec most products of a list share, offered as a filter: numbers as a range
/// («Мощность, кВт от … до …»), text as choices («Система ЧПУ: Fanuc, Siemens»).
public struct SpecFacet: Sendable, Equatable {
    public struct Choice: Sendable, Equatable {
        /// The value with its unit, as the spec table prints it (and as the URL carries it).
        public var value: String
        /// Products of the list that have it.
        public var count: Int

        public init(value: String, count: Int) {
            self.value = value
            self.count = count
        }
    }

    public enum Kind: Sendable, Equatable {
        case range(min: Decimal, max: Decimal, unit: String?)
        case choices([Choice])
    }

    /// The URL name: the spec name in Latin letters (`moshchnost-kvt`).
    public var key: String
    /// The name as most products spell it.
    public var name: String
    /// Every spelling of the name that reads as this key («Мощность», «мощность»).
    public var names: Set<String>
    public var kind: Kind
    /// Products of the list that have a value.
    public var count: Int
}

/// Finds the specs a list of products shares and reads spec values as numbers.
public enum SpecFacets {
    /// At most this many facets per list: the ones most products have.
    public static let limit = 6
    /// A text spec with more distinct values than this is a description, not a choice.
    public static let maxChoices = 12
    static let maxChoiceLength = 60

    /// The facets of `products`: a spec is shared when at least two products and at least half
    /// of them have a value for it; numbers (one unit, not all equal) become a range, a few
    /// distinct short texts become choices, anything else is no filter.
    public static func facets(of products: [Product]) -> [SpecFacet] {
        guard products.count >= 2 else { return [] }
        struct Group {
            var order: Int
            var spellings: [String: Int] = [:]
            var rows: [Spec] = []
        }
        var groups: [String: Group] = [:]
        var nextOrder = 0
        for product in products {
            var seen: Set<String> = []
            for spec in product.specs where spec.value != SpecsNormalizer.emptyValue {
                let key = key(spec.name)
                guard seen.insert(key).inserted else { continue }
                // Taken out while it grows, so that its rows are not copied.
                var group = groups.removeValue(forKey: key) ?? Group(order: nextOrder)
                if group.order == nextOrder { nextOrder += 1 }
                group.spellings[spec.name, default: 0] += 1
                group.rows.append(spec)
                groups[key] = group
            }
        }
        let shared = groups.filter { $0.value.rows.count >= 2 && $0.value.rows.count * 2 >= products.count }
            .sorted { ($0.value.rows.count, -$0.value.order) > ($1.value.rows.count, -$1.value.order) }
        var facets: [SpecFacet] = []
        for (key, group) in shared {
            guard let kind = kind(of: group.rows) else { continue }
            let name = group.spellings.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key
            facets.append(SpecFacet(key: key, name: name, names: Set(group.spellings.keys), kind: kind, count: group.rows.count))
            if facets.count == limit { break }
        }
        return facets
    }

    private static func kind(of rows: [Spec]) -> SpecFacet.Kind? {
        let units = Set(rows.map(\.unit))
        if units.count == 1 {
            let numbers = rows.compactMap { number($0.value) }
            if numbers.count == rows.count, let low = numbers.min(), let high = numbers.max() {
                return low < high ? .range(min: low, max: high, unit: rows[0].unit) : nil
            }
        }
        var counts: [String: Int] = [:]
        for row in rows { counts[row.valueWithUnit, default: 0] += 1 }
        guard (2...maxChoices).contains(counts.count), counts.keys.allSatisfy({ $0.count <= maxChoiceLength }) else { return nil }
        let choices = counts.map { SpecFacet.Choice(value: $0.key, count: $0.value) }
            .sorted { $0.value.localizedStandardCompare($1.value) == .orderedAscending }
        return .choices(choices)
    }

    /// A spec value or a typed bound as a number: ASCII digits with an optional decimal comma or
    /// point (`7,5`, `0.75`) and spaces between groups of three (`1 250`, also no-break and thin
    /// spaces); at most 12 whole and 6 decimal digits. Nil for anything else (`45–1800`, `BT40`,
    /// `-5`, `1e6`, `5 6`, digits of other scripts or with combining marks).
    public static func number(_ text: String) -> Decimal? {
        guard text.utf8.count <= 64 else { return nil }
        var significand: UInt64 = 0
        var wholeDigits = 0
        var fractionDigits: Int?
        // Digits since the last group space (nil: no space seen yet).
        var group: Int?
        for scalar in text.unicodeScalars {
            switch scalar {
            case "0"..."9":
                if let count = fractionDigits {
                    guard count < 6 else { return nil }
                    fractionDigits = count + 1
                } else {
                    guard wholeDigits < 12 else { return nil }
                    wholeDigits += 1
                    if let count = group { group = count + 1 }
                }
                significand = significand * 10 + UInt64(scalar.value - 0x30)
            case " ", "\u{00A0}", "\u{202F}", "\u{2009}":
                // Only inside the whole part, after one to three digits, then three in each group.
                guard fractionDigits == nil, wholeDigits > 0, group.map({ $0 == 3 }) ?? (wholeDigits <= 3) else { return nil }
                group = 0
            case ",", ".":
                guard fractionDigits == nil, wholeDigits > 0, group.map({ $0 == 3 }) ?? true else { return nil }
                fractionDigits = 0
            default:
                return nil
            }
        }
        guard wholeDigits > 0, fractionDigits != 0, group.map({ $0 == 3 }) ?? true else { return nil }
        return Decimal(sign: .plus, exponent: -(fractionDigits ?? 0), significand: Decimal(significand))
    }

    /// A number as a URL carries it: `7.5`, `1250` (no grouping, a point).
    public static func urlText(_ number: Decimal) -> String {
        var number = number
        return NSDecimalString(&number, posix)
    }

    private static let posix = Locale(identifier: "en_US_POSIX")

    /// A number as a Russian reader writes it: `7,5`, `1250`.
    public static func displayText(_ number: Decimal) -> String {
        urlText(number).replacingOccurrences(of: ".", with: ",")
    }

    /// The spec name in Latin letters, lower case, words joined by `-`, at most 48 characters:
    /// «Мощность, кВт» → `moshchnost-kvt`. The same for every spelling that differs only in
    /// case, punctuation or spacing.
    public static func key(_ name: String) -> String {
        var key = ""
        var pendingDash = false
        for character in name.lowercased() {
            let latin: String
            if let mapped = transliteration[character] {
                latin = mapped
            } else if character.isASCII, character.isLetter || character.isNumber {
                latin = String(character)
            } else {
                pendingDash = !key.isEmpty
                continue
            }
            guard !latin.isEmpty else { continue }
            if pendingDash { key.append("-") }
            pendingDash = false
            key += latin
            if key.count >= 48 { break }
        }
        let cut = String(key.prefix(48))
        guard !cut.isEmpty else {
            // A name of symbols only («Ø», «№»): its code points, so that two such names stay two.
            return "spec-" + name.unicodeScalars.prefix(6).map { String($0.value, radix: 16) }.joined(separator: "-")
        }
        return cut.hasSuffix("-") ? String(cut.dropLast()) : cut
    }

    private static let transliteration: [Character: String] = [
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i", "й": "y",
        "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f",
        "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    ]
}

/// The facets of each category (and of the whole catalog), worked out on first use per catalog
/// version and kept with it: a category of thousands of products is not read again for every
/// filtered page. Two requests that come at once may both work them out; the result is the same.
final class FacetMemo: Sendable {
    private let byCategory = Mutex<[Int: [SpecFacet]]>([:])

    func facets(_ id: Int, _ make: () -> [SpecFacet]) -> [SpecFacet] {
        if let known = byCategory.withLock({ $0[id] }) { return known }
        let facets = make()
        byCategory.withLock { $0[id] = facets }
        return facets
    }
}
