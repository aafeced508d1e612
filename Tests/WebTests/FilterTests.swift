import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import Web

/// Narrowing and ordering lists: in stock, a price range, an order – on catalog and category
/// pages (a GET form, one address per filtered list) and in the JSON API.
@Suite("Filters and sorting")
struct FilterTests {
    static let lathes = CategoryRecord(id: 1, name: "Токарные станки", slug: "tokarnye")

    static func product(_ id: Int, _ name: String, price: String?, stock: Bool) -> ProductRecord {
        ProductRecord(
            id: id, name: name, slug: "p\(id)", sku: "S-\(id)", price: price.map { .string($0) }, category: lathes,
            availability: stock ? "В наличии" : "Под заказ", sort: id)
    }

    static let source = StubCatalogSource(
        categories: [lathes],
        products: [
            product(1, "Станок Б", price: "1250000", stock: false),
            product(2, "Станок А", price: "500000", stock: true),
            product(3, "Станок В", price: nil, stock: true),
            product(4, "Станок Г", price: "2000000", stock: true),
        ])

    static func names(_ html: String) -> [String] {
        html.components(separatedBy: #"<span class="card-title">"#).dropFirst().map { $0.components(separatedBy: "</span>").first ?? "" }
    }

    @Test("in stock, a price range and an order, through the category page's GET form; pagination and canonical keep the filter")
    func categoryPage() async throws {
        try await withApp(source: Self.source) { (client: any TestClientProtocol) async throws in
            let all = try await client.execute(uri: "/catalog/tokarnye", method: .get).text
            #expect(Self.names(all) == ["Станок Б", "Станок А", "Станок В", "Станок Г"])
            #expect(all.contains(#"<form class="list-filter" method="get" action="/catalog/tokarnye""#))

            let stock = try await client.execute(uri: "/catalog/tokarnye?stock=1", method: .get)
            #expect(Self.names(stock.text) == ["Станок А", "Станок В", "Станок Г"])
            #expect(stock.headers[.cacheControl] == PageCache.publicCacheControl)
            #expect(stock.text.contains(#"<link rel="canonical" href="http://127.0.0.1:8080/catalog/tokarnye?stock=1">"#))
            #expect(!stock.text.contains(#"content="noindex""#))

            // A price range leaves out prices on request; the order by price puts them last.
            let range = try await client.execute(uri: "/catalog/tokarnye?price_from=400000&price_to=1500000&sort=price", method: .get).text
            #expect(Self.names(range) == ["Станок А", "Станок Б"])
            #expect(Self.names(try await client.execute(uri: "/catalog/tokarnye?sort=price", method: .get).text)
                == ["Станок А", "Станок Б", "Станок Г", "Станок В"])
            #expect(Self.names(try await client.execute(uri: "/catalog/tokarnye?sort=-price", method: .get).text)
                == ["Станок Г", "Станок Б", "Станок А", "Станок В"])
            #expect(Self.names(try await client.execute(uri: "/catalog/tokarnye?sort=name", method: .get).text)
                == ["Станок А", "Станок Б", "Станок В", "Станок Г"])
            // Two conditions: a page for visitors, not for search engines.
            let two = try await client.execute(uri: "/catalog/tokarnye?stock=1&price_to=900000", method: .get).text
            #expect(Self.names(two) == ["Станок А"])
            #expect(two.contains(#"<meta name="robots" content="noindex">"#))
            #expect(two.contains(#"name="price_to" value="900000""#) && two.contains("checked"))
            // Values that are not filters are no page.
            for bad in ["stock=yes", "price_from=-5", "price_to=99999999999999", "sort=random", "price_from=1e6"] {
                #expect(try await client.execute(uri: "/catalog/tokarnye?\(bad)", method: .get).status == .notFound, "\(bad)")
            }
        }
    }

    @Test("the catalog page and a search take the same filter; the JSON API too, with 400 for a bad value")
    func catalogAndAPI() async throws {
        try await withApp(source: Self.source) { (client: any TestClientProtocol) async throws in
            let search = try await client.execute(uri: "/catalog?q=%D1%81%D1%82%D0%B0%D0%BD%D0%BE%D0%BA&stock=1&sort=-price", method: .get).text
            #expect(Self.names(search).map { $0.replacingOccurrences(of: "<mark>", with: "").replacingOccurrences(of: "</mark>", with: "") }
                == ["Станок Г", "Станок А", "Станок В"])
            #expect(search.contains(#"<input type="hidden" name="q" value="станок">"#))
            let api = try await client.execute(uri: "/api/products?stock=1&price_from=1000000", method: .get)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: api.body)) as? [String: Any])
            #expect((json["items"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["Станок Г"])
            let bad = try await client.execute(uri: "/api/products?sort=cheap", method: .get)
            #expect(bad.status == .badRequest && bad.headers[.contentType] == "application/problem+json")
        }
    }

    static let presses = CategoryRecord(id: 2, name: "Прессы", slug: "pressy")

    static func press(_ id: Int, _ name: String, _ rows: [(String, String, String?)]) -> ProductRecord {
        let specs = JSONValue.array(rows.map { name, value, unit in
            .object([("name", .string(name)), ("value", .string(value)), ("unit", unit.map(JSONValue.string) ?? .null)])
        })
        return ProductRecord(id: id, name: name, slug: "p\(id)", sku: "S-\(id)", category: presses, specs: specs, availability: "В наличии", sort: id)
    }

    static let pressSource = StubCatalogSource(
        categories: [presses],
        products: [
            press(11, "Пресс А", [("Усилие", "630", "кН"), ("Привод", "гидравлический", nil)]),
            press(12, "Пресс Б", [("Усилие", "1 000", "кН"), ("Привод", "механический", nil)]),
            press(13, "Пресс В", [("усилие", "1600", "кН"), ("Привод", "гидравлический", nil)]),
            press(14, "Пресс Г", [("Привод", "пневматический", nil)]),
        ])

    @Test("spec filters: the category's shared specs in the form (ranges and choices), one address, noindex beyond one, 404 for others")
    func specFilters() async throws {
        try await withApp(source: Self.pressSource) { (client: any TestClientProtocol) async throws in
            let all = try await client.execute(uri: "/catalog/pressy", method: .get).text
            #expect(all.contains(#"<legend>Усилие, кН</legend>"#))
            #expect(all.contains(#"name="spec.usilie.from" value="" placeholder="630""#))
            #expect(all.contains(#"name="spec.usilie.to" value="" placeholder="1600""#))
            #expect(all.contains(#"<input type="checkbox" name="spec.privod" value="гидравлический"> гидравлический <span class="choice-count">(2)</span>"#))
            #expect(!all.contains("<details class=\"filter-specs\" open>"))

            // As the form sends it (empty fields and all, its own order, choices repeated): sent on
            // to the list's one address, which serves it.
            let sent = "/catalog/pressy?stock=&price_from=&spec.usilie.from=700&spec.usilie.to="
                + "&spec.privod=%D0%BC%D0%B5%D1%85%D0%B0%D0%BD%D0%B8%D1%87%D0%B5%D1%81%D0%BA%D0%B8%D0%B9"
                + "&spec.privod=%D0%B3%D0%B8%D0%B4%D1%80%D0%B0%D0%B2%D0%BB%D0%B8%D1%87%D0%B5%D1%81%D0%BA%D0%B8%D0%B9&sort="
            let address = "/catalog/pressy?spec.privod=%D0%B3%D0%B8%D0%B4%D1%80%D0%B0%D0%B2%D0%BB%D0%B8%D1%87%D0%B5%D1%81%D0%BA%D0%B8%D0%B9"
                + "&spec.privod=%D0%BC%D0%B5%D1%85%D0%B0%D0%BD%D0%B8%D1%87%D0%B5%D1%81%D0%BA%D0%B8%D0%B9&spec.usilie.from=700"
            let moved = try await client.execute(uri: sent, method: .get)
            #expect(moved.status == .movedPermanently && moved.headers[.location] == address)
            // A query with a parameter the list does not read (an ad's label) is served as it is.
            #expect(try await client.execute(uri: sent + "&utm_source=yandex", method: .get).status == .ok)
            let filtered = try await client.execute(uri: address, method: .get)
            #expect(Self.names(filtered.text) == ["Пресс Б", "Пресс В"])
            #expect(filtered.text.contains("<details class=\"filter-specs\" open>"))
            #expect(filtered.text.contains(#"name="spec.usilie.from" value="700""#))
            #expect(filtered.text.contains(#"value="механический" checked>"#) && !filtered.text.contains(#"value="пневматический" checked>"#))
            #expect(filtered.text.contains(#"<meta name="robots" content="noindex">"#))
            let canonical = address.replacingOccurrences(of: "&", with: "&amp;")
            #expect(filtered.text.contains(#"<link rel="canonical" href="http://127.0.0.1:8080"# + canonical + #"">"#))

            let one = try await client.execute(uri: "/catalog/pressy?spec.usilie.to=1000", method: .get).text
            #expect(Self.names(one) == ["Пресс А", "Пресс Б"])
            #expect(!one.contains(#"content="noindex""#))

            // Not a filter of this category, a choice it does not offer, the wrong kind: no page.
            for bad in [
                "spec.massa.from=1", "spec.privod=%D1%80%D1%83%D1%87%D0%BD%D0%BE%D0%B9", "spec.privod.from=1", "spec.usilie=630",
                "spec.usilie.from=abc", "spec.usilie.to.from=700",
            ] {
                #expect(try await client.execute(uri: "/catalog/pressy?\(bad)", method: .get).status == .notFound, "\(bad)")
            }

            // The JSON API: the same parameters, the filters the list offers, 400 for the others.
            let api = try await client.execute(uri: "/api/products?category=pressy&spec.usilie.from=1000", method: .get)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: api.body)) as? [String: Any])
            #expect((json["items"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["Пресс Б", "Пресс В"])
            let filters = try #require(json["filters"] as? [[String: Any]])
            #expect(filters.compactMap { $0["param"] as? String } == ["spec.privod", "spec.usilie"])
            #expect(filters.last?["min"] as? String == "630" && filters.last?["max"] as? String == "1600" && filters.last?["unit"] as? String == "кН")
            let unknown = try await client.execute(uri: "/api/products?category=pressy&spec.massa.from=1", method: .get)
            #expect(unknown.status == .badRequest && unknown.headers[.contentType] == "application/problem+json")
            #expect(String(buffer: unknown.body).contains("spec.usilie"))
        }
    }

    @Test("lists narrowed by typed numbers have a cache of their own: any number of them leaves the site's pages where they are")
    func boundedListsKeptApart() async throws {
        try await withApp(source: Self.pressSource) { (client: any TestClientProtocol) async throws in
            for path in ["/catalog/pressy", "/catalog/pressy?stock=1", "/catalog/pressy?sort=name"] {
                #expect(try await client.execute(uri: path, method: .get).status == .ok)
            }
            let before = try await scrape(client)
            let pages = try #require(before.value("page_cache_entries"))
            #expect(pages >= 3)
            for bound in 1...40 {
                let path = bound.isMultiple(of: 2) ? "/catalog/pressy?price_from=\(bound)" : "/catalog/pressy?spec.usilie.from=\(bound)"
                #expect(try await client.execute(uri: path, method: .get).status == .ok, "\(path)")
            }
            let after = try await scrape(client)
            #expect(after.value("page_cache_entries") == pages)
            // Still cached, in their own place: a second request is a hit.
            let hits = after.value("page_cache_hits_total") ?? 0
            #expect(try await client.execute(uri: "/catalog/pressy?spec.usilie.from=7", method: .get).status == .ok)
            #expect(try await scrape(client).value("page_cache_hits_total") == hits + 1)
        }
    }

    @Test("lists narrowed by spec choices, with stock and order, sit on the same shelf: a crawler walking them leaves the site's pages")
    func choiceListsKeptApart() async throws {
        try await withApp(source: Self.pressSource) { (client: any TestClientProtocol) async throws in
            for path in ["/catalog/pressy", "/catalog/pressy?stock=1", "/catalog/pressy?sort=name"] {
                #expect(try await client.execute(uri: path, method: .get).status == .ok)
            }
            let pages = try #require(try await scrape(client).value("page_cache_entries"))
            // Every combination of the three drives with stock and each order: valid addresses all.
            let drives = ["гидравлический", "механический", "пневматический"].map { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }
            var walked = 0
            for mask in 1..<8 {
                let choices = drives.enumerated().filter { mask & (1 << $0.offset) != 0 }.map { "spec.privod=" + $0.element }
                for stock in ["", "stock=1&"] {
                    for sort in ["", "&sort=price", "&sort=-price", "&sort=name", "&sort=new"] {
                        let path = "/catalog/pressy?" + stock + choices.joined(separator: "&") + sort
                        let status = try await client.execute(uri: path, method: .get).status
                        #expect(status == .ok || status == .movedPermanently, "\(path)")
                        walked += 1
                    }
                }
            }
            #expect(walked == 70)
            #expect(try await scrape(client).value("page_cache_entries") == pages)
        }
    }

    @Test("the filter's own rules: stable order for ties, on-request prices last both ways, bounds inclusive")
    func rules() {
        let filter = ProductFilter(query: ["price_from": "500 000", "price_to": "500000"])
        #expect(filter?.priceFrom == 500_000 && filter?.priceTo == 500_000)
        #expect(ProductFilter(query: ["price_from": "12345678901234"]) == nil)
        #expect(ProductFilter(query: [:])?.isEmpty == true)
        #expect(ProductFilter(inStock: true, priceTo: 1, sort: .name).queryItems.map(\.name) == ["stock", "price_to", "sort"])
        #expect(ProductFilter(inStock: true, sort: .price).conditionCount == 1)
    }
}
