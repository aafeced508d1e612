import Logging
import Testing

@testable import Catalog

@Suite("Built-in demo catalog")
struct DemoCatalogTests {
    @Test("about twenty published products in several categories, drafts hidden")
    func contents() async throws {
        let catalog = Catalog(source: try DemoCatalogSource(), logger: Logger(label: "test"))
        let index = try await catalog.index()
        #expect(index.products.count >= 18)
        #expect(index.rootCategories.count >= 4)
        #expect(index.category(slug: "shlifovalnye-stanki") == nil)
        #expect(!index.products.contains { $0.name.contains("черновик") })
        #expect(try await catalog.product(.slug("tokarnyj-stanok-chpu-ck6180")) == nil)
    }

    @Test("every demo product prints without blanks, null, NaN or a zero price")
    func noBlanks() async throws {
        let catalog = Catalog(source: try DemoCatalogSource(), logger: Logger(label: "test"))
        let index = try await catalog.index()
        // Every published demo product is looked at (the draft is not among them).
        #expect(index.products.count >= 15)
        for product in index.products {
            let printed = [product.name, product.price.text, product.availability] + product.specs.flatMap { [$0.name, $0.value] }
            for text in printed {
                #expect(!text.trimmingCharacters(in: .whitespaces).isEmpty, "\(product.id)")
                #expect(!text.contains("null") && !text.contains("NaN"), "\(product.id): \(text)")
            }
            #expect(!product.price.text.hasPrefix("0\u{00A0}"), "\(product.id)")
        }
        let descriptions = try await catalog.descriptions(of: index.products)
        for product in index.products {
            #expect(!(descriptions[product.id] ?? "").contains("<script"), "\(product.id)")
        }
    }

    @Test("subcategory products count towards their parent")
    func tree() async throws {
        let index = try await Catalog(source: try DemoCatalogSource(), logger: Logger(label: "test")).index()
        let parent = try #require(index.category(slug: "tokarnye-stanki"))
        let children = index.children(of: parent)
        #expect(children.count == 2)
        #expect(index.productCount(parent) == children.map(index.productCount).reduce(0, +))
        #expect(index.path(to: children[0]).map(\.slug) == ["tokarnye-stanki", children[0].slug])
    }

    @Test("demo images are served locally; unknown files are not found")
    func assets() async throws {
        let source = try DemoCatalogSource()
        let product = try #require(try await source.fetchProducts(ids: [1]).first)
        let asset = try #require(try await source.asset(fileID: product.heroImage!.id, preset: .card, format: .webp))
        #expect(asset.contentType == "image/svg+xml")
        #expect(!asset.worthCaching)
        #expect(String(decoding: asset.bytes.prefix(4), as: UTF8.self) == "<svg")
        #expect(try await source.asset(fileID: "missing", preset: .card, format: .original) == nil)
    }
}
