import Foundation

/// Rows as Directus returns them, read leniently from `JSONValue`.
///
/// Every field is optional: Directus omits fields that were not requested and editors leave
/// columns empty. Reading is lenient (a number where text was expected is taken as its
/// text); interpreting the values is the normalizer's job.

/// File metadata from `directus_files` (only the columns the site uses).
public struct FileRecord: Hashable, Sendable {
    public var id: String
    public var width: Int?
    public var height: Int?
    public var title: String?
    public var description: String?
    public var type: String?
    public var filenameDisk: String?

    public init(id: String, width: Int? = nil, height: Int? = nil, title: String? = nil, type: String? = nil, filenameDisk: String? = nil) {
        self.id = id
        self.width = width
        self.height = height
        self.title = title
        self.type = type
        self.filenameDisk = filenameDisk
    }

    /// A file from an M2O value: an expanded object, or a bare file id.
    init?(json: JSONValue?) {
        switch json {
        case .string(let id) where !id.isEmpty:
            self.init(id: id)
        case .object:
            guard let json, let id = json["id"]?.string, !id.isEmpty else { return nil }
            self.init(
                id: id, width: json["width"]?.int, height: json["height"]?.int,
                title: json["title"]?.text, type: json["type"]?.text, filenameDisk: json["filename_disk"]?.text)
            description = json["description"]?.text
        default:
            return nil
        }
    }
}

/// A category row.
public struct CategoryRecord: Hashable, Sendable {
    public var id: Int
    public var status: String?
    public var name: String?
    public var slug: String?
    public var parentID: Int?
    public var sort: Int?

    public init(id: Int, status: String? = "published", name: String?, slug: String?, parentID: Int? = nil, sort: Int? = nil) {
        self.id = id
        self.status = status
        self.name = name
        self.slug = slug
        self.parentID = parentID
        self.sort = sort
    }

    public init?(json: JSONValue) {
        guard let id = json["id"]?.int else { return nil }
        self.init(
            id: id, status: json["status"]?.text, name: json["name"]?.text, slug: json["slug"]?.text,
            parentID: json["parent"].flatMap(Self.key), sort: json["sort"]?.int)
    }

    /// The key of an M2O value, expanded (`{"id": 1, …}`) or not (`1`).
    static func key(_ value: JSONValue) -> Int? {
        if case .object = value { return value["id"]?.int }
        return value.int
    }
}

/// A product row, relations expanded as the catalog asks for them.
public struct ProductRecord: Hashable, Sendable {
    public var id: Int
    public var status: String?
    public var name: String?
    public var slug: String?
    public var sku: String?
    /// A Directus decimal: a string (`"1250000.00"`), a number, null or garbage.
    public var price: JSONValue?
    public var currency: String?
    public var categoryID: Int?
    /// The category object when the `category` relation was expanded.
    public var category: CategoryRecord?
    public var heroImage: FileRecord?
    public var images: [FileRecord]
    public var description: String?
    /// A JSON field: an array, an object, null, or raw text.
    public var specs: JSONValue?
    public var availability: String?
    public var sort: Int?
    public var dateUpdated: String?
    public var dateCreated: String?

    public init(
        id: Int, status: String? = "published", name: String?, slug: String?, sku: String? = nil,
        price: JSONValue? = nil, currency: String? = "RUB", category: CategoryRecord? = nil,
        heroImage: FileRecord? = nil, images: [FileRecord] = [], description: String? = nil,
        specs: JSONValue? = nil, availability: String? = nil, sort: Int? = nil,
        dateUpdated: String? = nil, dateCreated: String? = nil
    ) {
        self.id = id
        self.status = status
        self.name = name
        self.slug = slug
        self.sku = sku
        self.price = price
        self.currency = currency
        self.categoryID = category?.id
        self.category = category
        self.heroImage = heroImage
        self.images = images
        self.description = description
        self.specs = specs
        self.availability = availability
        self.sort = sort
        self.dateUpdated = dateUpdated
        self.dateCreated = dateCreated
    }

    public init?(json: JSONValue) {
        guard let id = json["id"]?.int else { return nil }
        self.init(
            id: id, status: json["status"]?.text, name: json["name"]?.text, slug: json["slug"]?.text,
            sku: json["sku"]?.text, price: json["price"], currency: json["currency"]?.text,
            heroImage: FileRecord(json: json["hero_image"]), description: json["description"]?.text,
            specs: json["specs"], availability: json["availability"]?.text, sort: json["sort"]?.int,
            dateUpdated: json["date_updated"]?.text, dateCreated: json["date_created"]?.text)
        if let category = json["category"] {
            if case .object = category {
                self.category = CategoryRecord(json: category)
                categoryID = self.category?.id
            } else {
                categoryID = category.int
            }
        }
        // The `images` M2M field: junction rows expanded as `images.directus_files_id.*`.
        // Unexpanded elements are junction ids (`[10, 11]`) naming `products_files` rows,
        // not files, so they are skipped.
        images = (json["images"]?.array ?? []).compactMap { FileRecord(json: $0["directus_files_id"]) }
    }
}

extension JSONValue {
    /// A text column; a number in a text column (a numeric SKU) is taken as its text.
    var text: String? {
        switch self {
        case .string(let value): value
        case .number(let value): value.plainText
        default: nil
        }
    }
}
