import Foundation

/// Any JSON value, with object keys kept in document order.
///
/// Directus JSON fields (`specs`) may hold an array, an object, `null` or raw text, and
/// decimals arrive as strings or numbers, so responses are parsed into this type and
/// interpreted field by field. Foundation's decoders lose the key order of objects (and
/// Swift dictionaries are seeded per process), which would shuffle an editor's spec table
/// on every restart – hence `JSONParser`, which keeps it.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Decimal)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let value): hasher.combine(value)
        case .number(let value): hasher.combine(value)
        case .string(let value): hasher.combine(value)
        case .array(let value): hasher.combine(value)
        case .object(let pairs):
            for pair in pairs {
                hasher.combine(pair.key)
                hasher.combine(pair.value)
            }
        }
    }
}

extension JSONValue {
    public subscript(key: String) -> JSONValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.key == key }?.value
    }

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var array: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// An integer from a number or a string of digits (Directus sends keys both ways).
    public var int: Int? {
        switch self {
        case .number(let value):
            let rounded = PriceFormatter.rounded(value, scale: 0)
            return rounded == value ? Int(exactly: NSDecimalNumber(decimal: value).int64Value) : nil
        case .string(let value): return Int(value.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    /// Text as it would be printed: strings as they are, numbers in plain notation.
    public var scalarText: String? {
        switch self {
        case .string(let value): value
        case .number(let value): value.plainText
        case .bool(let value): value ? "да" : "нет"
        case .null, .array, .object: nil
        }
    }
}

extension Decimal {
    /// `1250000`, `1890.5` – no grouping, `.` as separator, independent of the locale.
    var plainText: String {
        var copy = self
        return NSDecimalString(&copy, nil)
    }
}
