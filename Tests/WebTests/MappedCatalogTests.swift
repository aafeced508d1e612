import Basics
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import Web

/// A catalog that already lives in Directus under its own names (`catalog_items`, `title`,
/// `cost`, status `active`, specs as rows of `item_params`), read through a `CATALOG_MAPPING`
/// file: every page, the purge webhook, the preview, the order flow and the doctor work.
@Suite("CATALOG_MAPPING")
struct MappedCatalogTests {
    static func withMappedSite(
        _ extra: [String: String] = [:], _ test: @Sendable (FakeDirectus, [String: String], any TestClientProtocol) async throws -> Void
    ) async throws {
        try await FakeDirectus.Renaming.stock.run { (directus: FakeDirectus, url: String, file: String) async throws in
            var environment = [
                "DIRECTUS_URL": url, "DIRECTUS_TOKEN": FakeDirectus.serviceToken, "CATALOG_MAPPING": file, "ORDER_RATE_LIMIT": "off",
                "DIRECTUS_WEBHOOK_SECRET": "hook-secret-for-tests-0001", "PREVIEW_SECRET": "preview-secret-for-tests-01",
            ]
            environment.merge(extra) { _, new in new }
            let settings = environment
            try await withApp(environment: settings) { client in try await test(directus, settings, client) }
        }
    }

    @Test("the mapping file: DESIGN's names by default, the project's where given, and one line naming a mistake")
    func parsing() throws {
        let mapping = try CatalogMapping.parse(FakeDirectus.Renaming.stock.mappingFile, file: "mapping.conf")
        #expect(mapping.products == "catalog_items" && mapping.categories == "sections" && mapping.images == "item_photos")
        #expect(mapping.productField("name") == "title" && mapping.productField("description") == "description")
        #expect(mapping.published == "active" && mapping.specRows?.collection == "item_params")
        #expect(CatalogMapping().isDefault)
        // A file saved on Windows: CR LF line ends are each one Character.
        let windows = try CatalogMapping.parse(FakeDirectus.Renaming.stock.mappingFile.replacingOccurrences(of: "\n", with: "\r\n"), file: "m.conf")
        #expect(windows == mapping)
        #expect(throws: ConfigurationError(variable: "CATALOG_MAPPING", reason: "m.conf, line 2: unknown name 'product.colour': products, categories, images, images.file, product.<field>, category.<field>, specs.collection|name|value|unit, status.published")) {
            try CatalogMapping.parse("products = items\nproduct.colour = tint\n", file: "m.conf")
        }
        #expect(throws: ConfigurationError.self) { try CatalogMapping.parse("product.name = title; DROP\n", file: "m.conf") }
        #expect(throws: ConfigurationError.self) { try CatalogMapping.parse("specs.collection = rows\n", file: "m.conf") }
    }

    @Test("every page of a catalog under other names: lists, categories, products with prices, specs from rows and images; drafts stay out")
    func pages() async throws {
        try await Self.withMappedSite { _, _, client in
            let catalog = try await client.execute(uri: "/catalog", method: .get)
            #expect(catalog.status == .ok)
            #expect(catalog.text.contains("Токарный станок с ЧПУ CK6150"))
            #expect(!catalog.text.contains("CK6180"))  // the hidden (draft) one

            let category = try await client.execute(uri: "/catalog/tokarnye-stanki-chpu", method: .get)
            #expect(category.status == .ok && category.text.contains("CK6140"))

            let product = try await client.execute(uri: "/product/tokarnyj-stanok-chpu-ck6150", method: .get)
            #expect(product.status == .ok)
            #expect(product.text.contains("Диаметр обработки над станиной"))  // a spec row
            #expect(product.text.contains("/assets/9b1c2f4e-6a7d-4c1e-9f0a-2d3b00000001"))  // a gallery image through the junction
            #expect(!product.text.contains("Цена по запросу") || product.text.contains("₽"))

            // A product whose specs were an object in DESIGN's shape: rows too.
            let object = try await client.execute(uri: "/product/universalnyj-frezernyj-stanok-6r82", method: .get)
            #expect(object.status == .ok && object.text.contains("Размер стола"))

            let home = try await client.execute(uri: "/", method: .get)
            #expect(home.status == .ok)
            #expect(try await client.execute(uri: "/product/tokarnyj-stanok-chpu-ck6180", method: .get).status == .notFound)
        }
    }

    @Test("an order for a product of the mapped catalog keeps its name and SKU; a webhook on catalog_items purges it; the preview opens under the project's collection name")
    func orderWebhookPreview() async throws {
        try await Self.withMappedSite { directus, environment, client in
            let order = #"{"name":"Пётр Сидоров","phone":"+79001112233","email":"petr@example.ru","product_id":1,"consent":true}"#
            let answer = try await client.execute(uri: "/api/leads", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: order))
            #expect(answer.status == .accepted)
            let admin = try await client.execute(uri: "/admin", method: .get, headers: operatorHeaders)
            #expect(admin.text.contains("Токарный станок с ЧПУ CK6150"))

            // An editor renames the product; Directus' Flow names the project's collection.
            _ = try await client.execute(uri: "/product/tokarnyj-stanok-chpu-ck6150", method: .get)
            directus.update("catalog_items", id: 1, field: "title", to: .string("CK6150 новое имя"))
            let hook = try await client.execute(
                uri: "/webhook/directus", method: .post,
                headers: [.contentType: "application/json", HTTPField.Name("X-Webhook-Secret")!: environment["DIRECTUS_WEBHOOK_SECRET"]!],
                body: ByteBuffer(string: #"{"event":"catalog_items.items.update","collection":"catalog_items","keys":["1"]}"#))
            #expect(hook.status == .ok && hook.text.contains("product"))
            let renamed = try await client.execute(uri: "/product/tokarnyj-stanok-chpu-ck6150", method: .get)
            #expect(renamed.text.contains("CK6150 новое имя"))

            let preview = try await client.execute(
                uri: "/preview/catalog_items/12?secret=\(environment["PREVIEW_SECRET"]!)", method: .get)
            #expect(preview.status == .ok && preview.text.contains("CK6180"))
        }
    }

    @Test("the doctor checks the project's names: all fields found; a missing mapped field is named with CATALOG_MAPPING")
    func doctor() async throws {
        try await FakeDirectus.Renaming.stock.run { (directus: FakeDirectus, url: String, file: String) async throws in
            let configuration = try AppConfiguration(environment: [
                "DIRECTUS_URL": url, "DIRECTUS_TOKEN": FakeDirectus.serviceToken, "CATALOG_MAPPING": file,
            ])
            let good = await Doctor(configuration: configuration, logger: quietLogger).directus()
            let fields = good.filter { $0.check == "directus.fields" }
            #expect(fields.count == 3 && fields.allSatisfy { $0.level == .ok }, "\(fields.map(\.line))")
            #expect(good.first { $0.check == "directus.published" }?.found.contains("11") == true)

            directus.removeField("catalog_items", "title")
            let broken = await Doctor(configuration: configuration, logger: quietLogger).directus()
            let line = try #require(broken.first { $0.check == "directus.fields" && $0.found.hasPrefix("catalog_items") })
            #expect(line.level == .failure && line.found.contains("нет поля title") && line.fix?.contains("CATALOG_MAPPING") == true)
        }
    }
}
