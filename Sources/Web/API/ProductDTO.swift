import Catalog
import Foundation

/// The JSON shape of a product. Optional values are written as `null`, not left out.
struct ProductDTO: Encodable {
    var product: Product
    /// The whole sanitized description (`Catalog.descriptions(of:)`).
    var descriptionHTML: String
    var baseURL: String

    enum Keys: String, CodingKey {
        case id, slug, url, name, sku, category, price, availability, images, specs
        case descriptionHTML = "description_html"
        case updatedAt = "updated_at"
    }

    enum CategoryKeys: String, CodingKey { case slug, name }
    enum PriceKeys: String, CodingKey {
        case amount, currency, text
        case onRequest = "on_request"
    }
    enum ImageKeys: String, CodingKey { case url, width, height, alt }
    enum SpecKeys: String, CodingKey { case name, value, unit }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(product.id, forKey: .id)
        try container.encode(product.slug, forKey: .slug)
        try container.encode(baseURL + SiteURL.product(product), forKey: .url)
        try container.encode(product.name, forKey: .name)
        try container.encode(product.sku, forKey: .sku)
        if let category = product.category {
            var nested = container.nestedContainer(keyedBy: CategoryKeys.self, forKey: .category)
            try nested.encode(category.slug, forKey: .slug)
            try nested.encode(category.name, forKey: .name)
        } else {
            try container.encodeNil(forKey: .category)
        }
        var price = container.nestedContainer(keyedBy: PriceKeys.self, forKey: .price)
        try price.encode(product.price.amountText, forKey: .amount)
        try price.encode(product.price.currency, forKey: .currency)
        try price.encode(product.price.text, forKey: .text)
        try price.encode(product.price.onRequest, forKey: .onRequest)
        try container.encode(product.availability, forKey: .availability)
        var images = container.nestedUnkeyedContainer(forKey: .images)
        for image in product.images {
            var nested = images.nestedContainer(keyedBy: ImageKeys.self)
            try nested.encode(baseURL + SiteURL.asset(image.fileID, preset: .full), forKey: .url)
            try nested.encode(image.width, forKey: .width)
            try nested.encode(image.height, forKey: .height)
            try nested.encode(image.alt, forKey: .alt)
        }
        var specs = container.nestedUnkeyedContainer(forKey: .specs)
        for spec in product.specs {
            var nested = specs.nestedContainer(keyedBy: SpecKeys.self)
            try nested.encode(spec.name, forKey: .name)
            try nested.encode(spec.value, forKey: .value)
            try nested.encode(spec.unit, forKey: .unit)
        }
        try container.encode(descriptionHTML, forKey: .descriptionHTML)
        try container.encode(product.updatedAt.map { $0.formatted(.iso8601) }, forKey: .updatedAt)
    }
}

struct ProductListDTO: Encodable {
    var items: [ProductDTO]
    var page: Int
    var perPage: Int
    var total: Int
    /// The spec filters the list offers (the same as its page's form).
    var filters: [SpecFilterDTO] = []

    enum CodingKeys: String, CodingKey {
        case items, page, total, filters
        case perPage = "per_page"
    }
}

/// A shared spec as a filter: `param` takes a choice (repeatable), `param.from` / `param.to` a
/// range's bounds (numbers as text with a point, as a URL carries them).
struct SpecFilterDTO: Encodable {
    struct Choice: Encodable {
        var value: String
        var count: Int
    }

    var key: String
    var name: String
    var param: String
    /// `range` or `choice`.
    var kind: String
    var unit: String?
    var min: String?
    var max: String?
    var choices: [Choice]?

    init(_ facet: SpecFacet) {
        key = facet.key
        name = facet.name
        param = "spec." + facet.key
        switch facet.kind {
        case .range(let low, let high, let unit):
            kind = "range"
            self.unit = unit
            min = SpecFacets.urlText(low)
            max = SpecFacets.urlText(high)
        case .choices(let options):
            kind = "choice"
            choices = options.map { Choice(value: $0.value, count: $0.count) }
        }
    }
}

struct CategoryDTO: Encodable {
    var id: Int
    var slug: String
    var name: String
    var parentSlug: String?
    var url: String
    var productCount: Int

    enum CodingKeys: String, CodingKey {
        case id, slug, name, url
        case parentSlug = "parent_slug"
        case productCount = "product_count"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(slug, forKey: .slug)
        try container.encode(name, forKey: .name)
        try container.encode(parentSlug, forKey: .parentSlug)
        try container.encode(url, forKey: .url)
        try container.encode(productCount, forKey: .productCount)
    }
}

struct CategoryListDTO: Encodable {
    var items: [CategoryDTO]
}
