import Foundation

/// Turns whatever an editor stored in the `specs` JSON field into printable rows.
///
/// Accepted shapes: `[{name, value, unit}]`, `{name: value}`, a string holding either of
/// those as JSON, or plain text with one `Name: value` per line. Rows without a name are
/// dropped; an empty value prints as "—".
public enum SpecsNormalizer {
    public static let emptyValue = "—"

    public static func specs(_ raw: JSONValue?) -> [Spec] {
        specs(raw, allowText: true)
    }

    private static func specs(_ raw: JSONValue?, allowText: Bool) -> [Spec] {
        switch raw {
        case .array(let items):
            return items.compactMap(row)
        case .object(let pairs):
            return pairs.compactMap { pair in
                if case .object = pair.value {
                    return make(name: pair.key, value: pair.value["value"], unit: pair.value["unit"]?.text)
                }
                return make(name: pair.key, value: pair.value, unit: nil)
            }
        case .string(let text) where allowText:
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            // Directus hands JSON back as raw text when it was stored as a string.
            if trimmed.first == "[" || trimmed.first == "{", let parsed = try? JSONParser.parse(trimmed) {
                return specs(parsed, allowText: false)
            }
            return lines(trimmed)
        default:
            return []
        }
    }

    /// One element of an array: `{name, value, unit}` (also `label`/`title`), or a text line.
    private static func row(_ item: JSONValue) -> Spec? {
        switch item {
        case .object:
            let name = item["name"] ?? item["label"] ?? item["title"]
            return make(name: name?.scalarText, value: item["value"], unit: item["unit"]?.scalarText)
        case .string(let line):
            return line.split(separator: "\n").lazy.compactMap { parse(line: String($0)) }.first
        default:
            return nil
        }
    }

    /// `Name: value` lines; also `Name<TAB>value` as pasted from a spreadsheet.
    private static func lines(_ text: String) -> [Spec] {
        text.split(whereSeparator: \.isNewline).compactMap { parse(line: String($0)) }
    }

    private static func parse(line: String) -> Spec? {
        let separator = line.firstIndex(of: ":") ?? line.firstIndex(of: "\t")
        guard let separator else { return nil }
        let name = String(line[..<separator])
        let value = String(line[line.index(after: separator)...])
        return make(name: name, value: .string(value), unit: nil)
    }

    private static func make(name rawName: String?, value rawValue: JSONValue?, unit rawUnit: String?) -> Spec? {
        let name = clean(rawName ?? "")
        guard !name.isEmpty else { return nil }
        let value = clean(valueText(rawValue))
        let unit = clean(rawUnit ?? "")
        return Spec(
            name: name,
            value: value.isEmpty ? emptyValue : value,
            unit: unit.isEmpty || value.isEmpty ? nil : unit)
    }

    private static func valueText(_ value: JSONValue?) -> String {
        switch value {
        case .number(let number):
            // Russian decimal comma: 7.5 → "7,5".
            return number.plainText.replacingOccurrences(of: ".", with: ",")
        case .array(let items):
            return items.compactMap { valueText($0).isEmpty ? nil : valueText($0) }.joined(separator: ", ")
        case .some(let scalar):
            return scalar.scalarText ?? ""
        case nil:
            return ""
        }
    }

    /// Trims and folds runs of white space into one space. On scalars, with an ASCII fast path:
    /// it runs over every product's excerpt on every page that shows one.
    public static func clean(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        var space = false
        for scalar in text.unicodeScalars {
            let white = scalar.isASCII ? scalar == " " || (0x09...0x0D).contains(scalar.value) : scalar.properties.isWhitespace
            if white {
                space = !result.isEmpty
                continue
            }
            if space {
                result.append(" ")
                space = false
            }
            result.append(scalar)
        }
        return String(result)
    }
}
