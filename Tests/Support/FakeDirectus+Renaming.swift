import Catalog
import Foundation

extension FakeDirectus {
    /// The fixture catalog as a project that built it under its own names: other collection
    /// and field names, its own status values, and specs as rows of a one-to-many collection.
    public struct Renaming: Sendable {
        /// DESIGN's collection → the project's.
        public var collections: [String: String]
        /// DESIGN's collection → (DESIGN's field → the project's).
        public var fields: [String: [String: String]]
        /// The project's status values for `published` and `draft`.
        public var published: String
        public var draft: String
        /// Specs moved into rows of this collection (its item, name, value and unit fields).
        public var specRows: (collection: String, item: String, name: String, value: String, unit: String)?

        public init(
            collections: [String: String], fields: [String: [String: String]], published: String, draft: String,
            specRows: (collection: String, item: String, name: String, value: String, unit: String)?
        ) {
            self.collections = collections
            self.fields = fields
            self.published = published
            self.draft = draft
            self.specRows = specRows
        }

        /// A stock-keeping project: `catalog_items`, `sections`, `item_photos`, `item_params`.
        public static let stock = Renaming(
            collections: ["products": "catalog_items", "categories": "sections", "products_files": "item_photos"],
            fields: [
                "products": [
                    "status": "state", "name": "title", "slug": "url_key", "sku": "article", "price": "cost", "category": "section",
                    "hero_image": "main_photo", "images": "gallery", "specs": "characteristics",
                ],
                "categories": ["status": "state", "name": "title", "slug": "url_key", "parent": "parent_section"],
                "products_files": ["products_id": "item", "directus_files_id": "photo"],
            ],
            published: "active", draft: "hidden",
            specRows: (collection: "item_params", item: "item", name: "param_name", value: "param_value", unit: "param_unit"))

        /// The `CATALOG_MAPPING` file that describes this project.
        public var mappingFile: String {
            var lines: [String] = []
            for (ours, theirs) in collections.sorted(by: { $0.key < $1.key }) {
                lines.append("\(ours == "products_files" ? "images" : ours) = \(theirs)")
            }
            if let file = fields["products_files"]?["directus_files_id"] { lines.append("images.file = \(file)") }
            for (ours, theirs) in (fields["products"] ?? [:]).sorted(by: { $0.key < $1.key }) { lines.append("product.\(ours) = \(theirs)") }
            for (ours, theirs) in (fields["categories"] ?? [:]).sorted(by: { $0.key < $1.key }) { lines.append("category.\(ours) = \(theirs)") }
            if let rows = specRows {
                lines += ["specs.collection = \(rows.collection)", "specs.name = \(rows.name)", "specs.value = \(rows.value)", "specs.unit = \(rows.unit)"]
            }
            lines.append("status.published = \(published)  # the project's own status value")
            return lines.joined(separator: "\n") + "\n"
        }

        /// Runs `body` with this project on loopback and its `CATALOG_MAPPING` file written.
        public func run<Value: Sendable>(
            _ body: @Sendable (_ directus: FakeDirectus, _ baseURL: String, _ mappingFile: String) async throws -> Value
        ) async throws -> Value {
            let directus = try FakeDirectus(renamed: self)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("mapping-\(UUID().uuidString).conf").path
            try mappingFile.write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            return try await directus.run { (url: String) async throws in try await body(directus, url, file) }
        }

        func name(_ collection: String) -> String { collections[collection] ?? collection }
        func field(_ collection: String, _ field: String) -> String { fields[collection]?[field] ?? field }

        func apply(to state: inout State, schema: inout JSONValue) {
            var rows: [String: [JSONValue]] = ["directus_files": state.rows["directus_files"] ?? []]
            var params: [JSONValue] = []
            for collection in ["products", "categories", "products_files"] {
                rows[name(collection)] = (state.rows[collection] ?? []).map { row in
                    guard case .object(let pairs) = row else { return row }
                    var renamed: [(key: String, value: JSONValue)] = []
                    for (key, value) in pairs {
                        if collection == "products", key == "specs", let specRows {
                            params += Self.specRows(value, item: row["id"] ?? .null, rows: specRows, firstID: params.count + 1)
                            continue
                        }
                        var value = value
                        if key == "status" { value = .string(value.string == "published" ? published : draft) }
                        renamed.append((field(collection, key), value))
                    }
                    return .object(renamed)
                }
            }
            if let specRows { rows[specRows.collection] = params }
            state.rows = rows
            state.listable = [name("products"), name("categories")]
            state.statusField = field("products", "status")
            state.publishedValue = published

            var fields: [String: [JSONValue]] = [:]
            for (collection, list) in FakeDirectus.initialFields {
                fields[name(collection)] = list.compactMap { entry in
                    guard let original = entry["field"]?.string else { return nil }
                    let type = original == "specs" && specRows != nil ? "alias" : entry["type"]?.string ?? "string"
                    return FakeDirectus.field(name(collection), field(collection, original), type)
                }
            }
            if let specRows {
                fields[specRows.collection] = [
                    FakeDirectus.field(specRows.collection, "id", "integer"), FakeDirectus.field(specRows.collection, specRows.item, "integer"),
                    FakeDirectus.field(specRows.collection, specRows.name, "string"), FakeDirectus.field(specRows.collection, specRows.value, "string"),
                    FakeDirectus.field(specRows.collection, specRows.unit, "string"), FakeDirectus.field(specRows.collection, "sort", "integer"),
                ]
            }
            state.fields = fields

            // Relations under the new names: m2o keys and o2m aliases.
            var renamedSchema: [(key: String, value: JSONValue)] = []
            for collection in ["products", "categories", "products_files", "directus_files"] {
                let entry = schema[collection]
                var m2o: [(key: String, value: JSONValue)] = []
                if case .object(let pairs)? = entry?["m2o"] {
                    for (key, target) in pairs { m2o.append((field(collection, key), .string(name(target.string ?? "")))) }
                }
                var o2m: [(key: String, value: JSONValue)] = []
                if case .object(let pairs)? = entry?["o2m"] {
                    for (key, alias) in pairs {
                        let junction = alias["collection"]?.string ?? ""
                        o2m.append((field(collection, key), .object([
                            ("collection", .string(name(junction))), ("field", .string(field(junction, alias["field"]?.string ?? ""))),
                            ("sort", alias["sort"] ?? .null),
                        ])))
                    }
                }
                if collection == "products", let specRows {
                    o2m.append((field("products", "specs"), .object([
                        ("collection", .string(specRows.collection)), ("field", .string(specRows.item)), ("sort", .string("sort")),
                    ])))
                }
                renamedSchema.append((name(collection), .object([("m2o", .object(m2o)), ("o2m", .object(o2m))])))
            }
            if let specRows {
                renamedSchema.append((specRows.collection, .object([("m2o", .object([(specRows.item, .string(name("products")))])), ("o2m", .object([]))])))
            }
            schema = .object(renamedSchema)
        }

        /// A product's specs as rows: a list of `{name, value, unit}` or an object of name → value.
        static func specRows(
            _ specs: JSONValue, item: JSONValue, rows: (collection: String, item: String, name: String, value: String, unit: String), firstID: Int
        ) -> [JSONValue] {
            var entries: [(String, JSONValue, JSONValue)] = []
            if let list = specs.array {
                entries = list.map { ($0["name"]?.string ?? "", $0["value"] ?? .null, $0["unit"] ?? .null) }
            } else if case .object(let pairs) = specs {
                entries = pairs.map { ($0.key, $0.value, .null) }
            }
            return entries.enumerated().map { offset, entry in
                .object([
                    ("id", .number(Decimal(firstID + offset))), (rows.item, item), (rows.name, .string(entry.0)), (rows.value, entry.1),
                    (rows.unit, entry.2), ("sort", .number(Decimal(offset + 1))),
                ])
            }
        }
    }
}
