import Foundation

/// A product as the site shows it: every field is ready to print, nothing is empty.
public struct Product: Sendable, Hashable, Identifiable {
    public var id: Int
    /// The Directus slug; nil when the editor left it empty (the page is then `/product/{id}`).
    public var slug: String?
    public var name: String
    public var sku: String?
    public var category: CategoryRef?
    /// The category relation as Directus has it, even when that category is not public
    /// (an editor previewing a draft category sees the products already assigned to it).
    public var categoryID: Int?
    public var price: Price
    public var availability: String
    /// Gallery images, the hero image first; empty means "show the placeholder".
    public var images: [ProductImage]
    public var specs: [Spec]
    /// The start of the description as plain text, cut at a word to at most `excerptLimit`
    /// characters (feeds, meta descriptions, cards). The catalog keeps no more of it for every
    /// product: the whole, sanitized HTML is read when the product's page is built
    /// (`Catalog.description(of:)`).
    public var excerpt: String
    /// Catalog files shown inside the description.
    public var descriptionFileIDs: [String] = []
    /// A hash of the whole description as Directus has it: an edit the excerpt does not show
    /// (markup, text past it) still changes the product, so pages are built again and the
    /// kept description is read again.
    public var descriptionDigest: UInt64 = 0
    public var updatedAt: Date?
    public var sort: Int

    /// A one-line summary of the description (meta description, structured data).
    public var summary: String { CatalogNormalizer.summary(excerpt) }

    public static let excerptLimit = 500

    /// Every catalog file the product's page shows: gallery and description images.
    public var fileIDs: [String] { images.map(\.fileID) + descriptionFileIDs }

    /// The path segment of the product page: the slug, or the id when there is none.
    public var pathKey: String { slug ?? String(id) }

    /// Shown instead of an empty specs table.
    public static let noSpecsText = "Характеристики уточняйте у менеджера"
}

public struct CategoryRef: Sendable, Hashable {
    public var id: Int
    public var slug: String
    public var name: String
}

public struct ProductImage: Sendable, Hashable {
    /// Directus file id (a UUID); images are served through `/assets/{fileID}?preset=`.
    public var fileID: String
    public var width: Int?
    public var height: Int?
    public var alt: String
}

public struct Spec: Sendable, Hashable {
    public var name: String
    /// The value as printed: "—" when the editor left it empty.
    public var value: String
    public var unit: String?

    public init(name: String, value: String, unit: String?) {
        self.name = name
        self.value = value
        self.unit = unit
    }

    /// The value with its unit: `500 мм`, `45°` (degree and percent signs attach directly).
    public var valueWithUnit: String {
        guard let unit else { return value }
        return ["°", "%", "″", "′"].contains(unit) ? value + unit : "\(value) \(unit)"
    }
}

public struct Price: Sendable, Hashable {
    /// The amount, when there is a real one (nil: "on request").
    public var amount: Decimal?
    /// ISO code, `RUB` when Directus had none.
    public var currency: String
    /// `1 250 000 ₽` or `Цена по запросу`.
    public var text: String

    public var onRequest: Bool { amount == nil }

    /// `"1250000.00"`: two decimals, no grouping – the form other systems parse.
    public var amountText: String? {
        amount.map { PriceFormatter.fixed2($0) }
    }

    public static let onRequestText = "Цена по запросу"
}

/// A category as the site shows it.
public struct Category: Sendable, Hashable, Identifiable {
    public var id: Int
    public var slug: String
    public var name: String
    public var parentID: Int?
    public var sort: Int
}
