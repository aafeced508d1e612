import Basics
import Foundation

/// Where a catalog that already lives in Directus keeps what catalog-bff reads: collection and
/// field names, the status value that means published, and how specs are stored (a JSON field,
/// a text field, or a one-to-many collection of name/value rows). `CATALOG_MAPPING` names a file
/// of `our.name = their_name` lines; whatever it does not name keeps DESIGN's name.
///
/// Rows are read under the project's names and turned into DESIGN's shape at once
/// (`canonicalProduct`), so the rest of the catalog knows one shape only.
public struct CatalogMapping: Sendable, Equatable {
    public var products = "products"
    public var categories = "categories"
    /// The junction collection of the product gallery (Flow, permissions).
    public var images = "products_files"
    /// The gallery junction's field that holds the file.
    public var imagesFile = "directus_files_id"
    /// Product fields: DESIGN's name → the project's.
    public var product: [String: String] = [:]
    /// Category fields: DESIGN's name → the project's.
    public var category: [String: String] = [:]
    /// The status value of a published item.
    public var published = "published"
    /// Specs as rows of another collection: its name and its name, value and unit fields.
    public var specRows: SpecRows?

    public struct SpecRows: Sendable, Equatable {
        public var collection: String
        public var name: String
        public var value: String
        public var unit: String?
    }

    public static let productFields = [
        "status", "name", "slug", "sku", "price", "currency", "category", "hero_image", "images", "specs", "description", "availability",
        "sort", "date_updated", "date_created",
    ]
    public static let categoryFields = ["status", "name", "slug", "parent", "sort"]

    public init() {}

    /// The project's name of a product field.
    public func productField(_ name: String) -> String { product[name] ?? name }
    public func categoryField(_ name: String) -> String { category[name] ?? name }

    /// Everything DESIGN's catalog has, under DESIGN's names.
    public var isDefault: Bool { self == CatalogMapping() }

    /// The `fields` of a product list: own columns by wildcard (a missing optional column must
    /// not turn into a 403), the category and images expanded so that one request gives a whole
    /// product, spec rows too.
    var productQuery: String {
        var fields = ["*", "\(productField("category")).*", "\(productField("hero_image")).*", "\(productField("images")).\(imagesFile).*"]
        if specRows != nil { fields.append("\(productField("specs")).*") }
        return fields.joined(separator: ",")
    }

    /// The filter that keeps published items.
    var publishedFilter: (String, String) { ("filter[\(productField("status"))][_eq]", published) }
    var publishedCategoryFilter: (String, String) { ("filter[\(categoryField("status"))][_eq]", published) }

    /// A product row under DESIGN's names; a status of `published` becomes `published`.
    public func canonicalProduct(_ row: JSONValue) -> JSONValue {
        guard !isDefault, case .object = row else { return row }
        var pairs: [(key: String, value: JSONValue)] = [("id", row["id"] ?? .null)]
        for name in Self.productFields {
            guard var value = row[productField(name)] else { continue }
            switch name {
            case "status": value = status(value)
            case "category": if case .object = value { value = canonicalCategory(value) }
            case "images":
                value = .array((value.array ?? []).map { junction in .object([("directus_files_id", junction[imagesFile] ?? junction)]) })
            case "specs":
                if let rows = specRows, let list = value.array {
                    value = .array(list.compactMap { row -> JSONValue? in
                        guard case .object = row else { return nil }
                        var spec: [(key: String, value: JSONValue)] = [("name", row[rows.name] ?? .null), ("value", row[rows.value] ?? .null)]
                        if let unit = rows.unit { spec.append(("unit", row[unit] ?? .null)) }
                        return .object(spec)
                    })
                }
            default: break
            }
            pairs.append((name, value))
        }
        return .object(pairs)
    }

    public func canonicalCategory(_ row: JSONValue) -> JSONValue {
        guard !isDefault, case .object = row else { return row }
        var pairs: [(key: String, value: JSONValue)] = [("id", row["id"] ?? .null)]
        for name in Self.categoryFields {
            guard var value = row[categoryField(name)] else { continue }
            if name == "status" { value = status(value) }
            pairs.append((name, value))
        }
        return .object(pairs)
    }

    private func status(_ value: JSONValue) -> JSONValue {
        value.string == published ? .string("published") : (value.string == "published" ? .string("unpublished") : value)
    }

    // MARK: - The file

    /// `CATALOG_MAPPING`'s file: `key = value` lines, `#` comments.
    ///
    ///     products = catalog_items          # collections
    ///     categories = sections
    ///     images = item_photos              # the gallery's junction collection
    ///     images.file = photo               # its field holding the file
    ///     product.name = title              # product fields
    ///     product.specs = characteristics   # JSON, text, or an o2m alias with:
    ///     specs.collection = item_params
    ///     specs.name = param_name
    ///     specs.value = param_value
    ///     specs.unit = param_unit
    ///     category.slug = url_key           # category fields
    ///     status.published = active
    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> CatalogMapping {
        var mapping = CatalogMapping()
        var specs: [String: String] = [:]
        // Lines, comments and `=` are cut on scalars: a file saved with CR LF has one `Character`
        // per line end, which a split on "\n" as a `Character` would never find.
        let scalars = text.unicodeScalars
        for (number, raw) in scalars.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? raw[raw.startIndex..<raw.startIndex]
            let line = String(String.UnicodeScalarView(content)).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !line.isEmpty else { continue }
            let parts = line.unicodeScalars.split(separator: "=", maxSplits: 1)
                .map { String(String.UnicodeScalarView($0)).trimmingCharacters(in: .whitespaces) }
            func fail(_ reason: String) -> ConfigurationError {
                ConfigurationError(variable: "CATALOG_MAPPING", reason: "\(file), line \(number + 1): \(reason)")
            }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw fail("expected «name = value», e.g. product.name = title") }
            let (key, value) = (parts[0], parts[1])
            guard value.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") }) else {
                throw fail("'\(value)': a Directus name is Latin letters, digits, _ and -")
            }
            switch key {
            case "products": mapping.products = value
            case "categories": mapping.categories = value
            case "images": mapping.images = value
            case "images.file": mapping.imagesFile = value
            case "status.published": mapping.published = value
            case "specs.collection", "specs.name", "specs.value", "specs.unit": specs[String(key.dropFirst("specs.".count))] = value
            default:
                if key.hasPrefix("product."), Self.productFields.contains(String(key.dropFirst(8))) {
                    mapping.product[String(key.dropFirst(8))] = value
                } else if key.hasPrefix("category."), Self.categoryFields.contains(String(key.dropFirst(9))) {
                    mapping.category[String(key.dropFirst(9))] = value
                } else {
                    throw fail("unknown name '\(key)': products, categories, images, images.file, product.<field>, category.<field>, specs.collection|name|value|unit, status.published")
                }
            }
        }
        if !specs.isEmpty {
            guard let collection = specs["collection"], let name = specs["name"], let value = specs["value"] else {
                throw ConfigurationError(variable: "CATALOG_MAPPING", reason: "\(file): specs as rows need specs.collection, specs.name and specs.value")
            }
            mapping.specRows = SpecRows(collection: collection, name: name, value: value, unit: specs["unit"])
        }
        return mapping
    }

    /// `CATALOG_MAPPING`: the file's path; nil (DESIGN's names) when not set.
    public static func read(_ env: Environment) throws(ConfigurationError) -> CatalogMapping {
        guard let path = env["CATALOG_MAPPING"] else { return CatalogMapping() }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(variable: "CATALOG_MAPPING", reason: "cannot read \(path)")
        }
        return try parse(text, file: path)
    }
}
