import Foundation
import Testing
import TestSupport

@testable import Catalog

@Suite("Directus rows → site products")
struct CatalogNormalizerTests {
    static func record(_ path: String) throws -> ProductRecord {
        let data = try #require(try Fixtures.json(path)["data"])
        return try #require(ProductRecord(json: data))
    }

    let published = [1: Category(id: 1, slug: "tokarnye", name: "Токарные", parentID: nil, sort: 1)]

    @Test("an unexpanded item: category is a key, images are junction ids and are skipped")
    func unexpandedItem() throws {
        let record = try Self.record("directus/examples/item_product_1.json")
        #expect(record.categoryID == 1)
        #expect(record.category == nil)
        #expect(record.images.isEmpty)
        #expect(record.heroImage?.id == "9b1c2f4e-6a7d-4c1e-9f0a-2d3b00000001")
        let product = CatalogNormalizer.product(record, categories: published)
        #expect(product.price.text == "1\u{00A0}250\u{00A0}000\u{00A0}₽")
        #expect(product.category?.name == "Токарные")
        #expect(product.images.map(\.fileID) == ["9b1c2f4e-6a7d-4c1e-9f0a-2d3b00000001"])
        #expect(product.specs.count == 4)
        #expect(CatalogNormalizer.description(record).hasPrefix("<h2>Тяжёлый токарный станок с ЧПУ</h2>"))
        // The product keeps the text's start only; the HTML is read for its page.
        #expect(product.excerpt.hasPrefix("Тяжёлый токарный станок с ЧПУ"))
        #expect(product.excerpt.count <= Product.excerptLimit + 1)
    }

    @Test("an expanded item: category object and gallery files with sizes")
    func expandedItem() throws {
        let record = try Self.record("directus/examples/item_product_1_expanded.json")
        #expect(record.category?.slug == "tokarnye-stanki-chpu")
        #expect(record.images.map(\.width) == [2400, 2400])
        let product = CatalogNormalizer.product(record, categories: [:])
        #expect(product.category == nil)  // not among the published categories given
        #expect(product.images.count == 2)
        #expect(product.images[0].width == 2400)
        #expect(product.images[1].alt == "Токарный станок с ЧПУ CK6150, фото 2")
    }

    @Test("empty fields get their defaults")
    func emptyFields() throws {
        let record = try Self.record("directus/examples/item_product_6_empty_fields.json")
        let product = CatalogNormalizer.product(record, categories: published)
        #expect(product.specs.isEmpty)
        #expect(CatalogNormalizer.description(record).isEmpty)
        #expect(product.excerpt.isEmpty)
        #expect(product.availability == "Под заказ")
        #expect(product.category == nil)
        #expect(product.slug == nil)
        #expect(product.pathKey == "6")
    }

    @Test("a product without a name shows its SKU, without both its number")
    func nameFallbacks() {
        let withSKU = CatalogNormalizer.product(ProductRecord(id: 7, name: "  ", slug: "x", sku: "WC67Y"), categories: [:])
        #expect(withSKU.name == "WC67Y")
        let bare = CatalogNormalizer.product(ProductRecord(id: 8, name: nil, slug: nil, sku: ""), categories: [:])
        #expect(bare.name == "Товар №8")
        #expect(bare.sku == nil)
    }

    @Test("the hero image comes first and is not repeated from the gallery")
    func imageOrder() {
        let record = ProductRecord(
            id: 1, name: "A", slug: "a", heroImage: FileRecord(id: "h"),
            images: [FileRecord(id: "g1", width: 10, height: 5), FileRecord(id: "h", width: 30, height: 20)])
        let images = CatalogNormalizer.product(record, categories: [:]).images
        #expect(images.map(\.fileID) == ["h", "g1"])
        #expect(images[0].width == 30)
    }

    @Test("a draft category is not shown")
    func draftCategory() {
        #expect(CatalogNormalizer.category(CategoryRecord(id: 3, status: "draft", name: "Ч", slug: "c")) == nil)
        let nameless = CatalogNormalizer.category(CategoryRecord(id: 4, name: nil, slug: nil))
        #expect(nameless?.name == "Категория №4")
        #expect(nameless?.slug == "4")
    }

    @Test("Directus timestamps with and without a zone")
    func dates() {
        #expect(CatalogNormalizer.date("2025-02-14T09:12:44.000Z") == Date(timeIntervalSince1970: 1_739_524_364))
        #expect(CatalogNormalizer.date("2025-02-14T09:12:44") == Date(timeIntervalSince1970: 1_739_524_364))
        #expect(CatalogNormalizer.date("вчера") == nil)
    }

    @Test("search ignores case and treats ё as е")
    func search() {
        let products = [
            CatalogNormalizer.product(ProductRecord(id: 1, name: "Тяжёлый станок", slug: "a", sku: "CK-6150"), categories: [:]),
            CatalogNormalizer.product(ProductRecord(id: 2, name: "Пресс", slug: "b", sku: "Y41"), categories: [:]),
        ]
        let index = CatalogIndex(categories: [], products: products)
        #expect(index.search("ТЯЖЕЛЫЙ").map(\.id) == [1])
        #expect(index.search("тяжёлый ck-6150").map(\.id) == [1])
        #expect(index.search("y41").map(\.id) == [2])
        #expect(index.search("станок пресс").isEmpty)
        #expect(index.search("  ").count == 2)
    }
}
