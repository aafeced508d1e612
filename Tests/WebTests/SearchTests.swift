import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import Web

/// Search as visitors type: word forms, any order, lookalike letters in model codes, the wrong
/// keyboard layout, typos, and ranking – on a catalog made for it, through the JSON API and the
/// HTML page the search form leads to.
@Suite("Search")
struct SearchTests {
    static let lathes = CategoryRecord(id: 1, name: "Токарные станки", slug: "tokarnye")
    static let mills = CategoryRecord(id: 2, name: "Фрезерные станки", slug: "frezernye")
    static let drills = CategoryRecord(id: 3, name: "Сверлильные станки", slug: "sverlilnye")
    static let presses = CategoryRecord(id: 4, name: "Прессы", slug: "pressy")
    static let tools = CategoryRecord(id: 5, name: "Оснастка", slug: "osnastka")

    static func product(
        _ id: Int, _ name: String, sku: String, _ category: CategoryRecord, description: String = "", specs: [(String, String)] = []
    ) -> ProductRecord {
        ProductRecord(
            id: id, name: name, slug: "p\(id)", sku: sku, price: .string("100000"), category: category,
            description: description.isEmpty ? nil : "<p>\(description)</p>",
            specs: .array(specs.map { .object([("name", .string($0.0)), ("value", .string($0.1))]) }), sort: id)
    }

    static let source = StubCatalogSource(
        categories: [lathes, mills, drills, presses, tools],
        products: [
            // The accessory comes first in catalog order: ranking, not order, must put it last.
            product(1, "Люнет неподвижный", sku: "LN-100", tools, description: "Для токарного станка CK6150 и токарных центров."),
            product(2, "Токарный станок с ЧПУ CK6150", sku: "CK6150-1000", lathes),
            product(3, "Токарно-винторезный станок 16К20", sku: "16K20", lathes),
            product(4, "Токарный обрабатывающий центр TCK46", sku: "TCK46", lathes),
            product(5, "Станок фрезерный консольный 6Т12", sku: "6T12", mills),
            product(6, "Вертикально-фрезерный станок 6Р13", sku: "6P13", mills),
            product(7, "Настольно-сверлильный станок 2Н125", sku: "2H125", drills),
            product(8, "Радиально-сверлильный станок 2К52", sku: "2K52", drills),
            product(9, "Пресс гидравлический П6320", sku: "P6320", presses, specs: [("Усилие", "63 тс")]),
            product(10, "Заточной станок для свёрл", sku: "ZS-1", tools),
        ])

    /// Names of `/api/products?q=` in the order given.
    static func api(_ client: any TestClientProtocol, _ query: String) async throws -> [String] {
        let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
        let response = try await client.execute(uri: "/api/products?per_page=50&q=\(encoded)", method: .get)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
        return (json["items"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    /// The search page as the form sends it (`+` for spaces), and the names of its cards in order.
    static func page(_ client: any TestClientProtocol, _ query: String) async throws -> (html: String, names: [String]) {
        let encoded = query.split(separator: " ").map { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? String($0) }
            .joined(separator: "+")
        let html = try await client.execute(uri: "/catalog?q=\(encoded)", method: .get).text
        let names = html.components(separatedBy: #"<span class="card-title">"#).dropFirst().map { card in
            (card.components(separatedBy: "</span>").first ?? "").replacingOccurrences(of: "<mark>", with: "")
                .replacingOccurrences(of: "</mark>", with: "")
        }
        return (html, names)
    }

    /// The first result of both, which must agree.
    static func first(_ client: any TestClientProtocol, _ query: String) async throws -> String? {
        let fromAPI = try await api(client, query).first
        let fromPage = try await page(client, query).names.first
        #expect(fromPage == fromAPI, "the page and the API agree on «\(query)»")
        return fromAPI
    }

    @Test("word forms match: «токарные» finds every lathe, names before the accessory that only mentions one")
    func morphology() async throws {
        try await withApp(source: Self.source) { (client: any TestClientProtocol) async throws in
            let names = try await Self.api(client, "токарные")
            #expect(Set(names.prefix(3)) == ["Токарный станок с ЧПУ CK6150", "Токарно-винторезный станок 16К20", "Токарный обрабатывающий центр TCK46"])
            #expect(names.last == "Люнет неподвижный")
            #expect(try await Self.api(client, "токарного").first != "Люнет неподвижный")
            #expect(try await Self.first(client, "сверлильный") == "Настольно-сверлильный станок 2Н125")
        }
    }

    @Test("any word order, and a multi-word query from the form (with +) finds the same first result")
    func wordOrder() async throws {
        try await withApp(source: Self.source) { (client: any TestClientProtocol) async throws in
            #expect(try await Self.first(client, "станок токарный") == "Токарный станок с ЧПУ CK6150")
            #expect(try await Self.first(client, "токарный станок") == "Токарный станок с ЧПУ CK6150")
            #expect(try await Self.page(client, "станок токарный").names.first == "Токарный станок с ЧПУ CK6150")
            #expect(try await Self.first(client, "фрезерного станка 6т12") == "Станок фрезерный консольный 6Т12")
            #expect(try await Self.first(client, "гидравлический пресс") == "Пресс гидравлический П6320")
        }
    }

    @Test("model codes with Cyrillic lookalikes, a whole SKU first, ё as е")
    func codes() async throws {
        try await withApp(source: Self.source) { (client: any TestClientProtocol) async throws in
            // «СК6150» typed with Cyrillic С and К.
            #expect(try await Self.first(client, "СК6150") == "Токарный станок с ЧПУ CK6150")
            #expect(try await Self.first(client, "ck6150-1000") == "Токарный станок с ЧПУ CK6150")
            #expect(try await Self.first(client, "2н125") == "Настольно-сверлильный станок 2Н125")
            #expect(try await Self.first(client, "16k20") == "Токарно-винторезный станок 16К20")
            #expect(try await Self.first(client, "сверл заточной") == "Заточной станок для свёрл")
        }
    }

    @Test("the wrong keyboard layout is read the other way, and the page says so")
    func layout() async throws {
        try await withApp(source: Self.source) { (client: any TestClientProtocol) async throws in
            #expect(try await Self.first(client, "njrfhysq") == "Токарный станок с ЧПУ CK6150")
            let page = try await Self.page(client, "njrfhysq")
            #expect(page.html.contains("Показаны результаты по запросу «токарный»"))
            #expect(page.names.first == "Токарный станок с ЧПУ CK6150")
            #expect(page.html.contains("<mark>Токарный</mark>"))
        }
    }

    @Test("typos in names are forgiven by word length: «сверлилный», «фрезерынй»; short words are not guessed")
    func typos() async throws {
        try await withApp(source: Self.source) { (client: any TestClientProtocol) async throws in
            #expect(try await Self.first(client, "сверлилный") == "Настольно-сверлильный станок 2Н125")
            #expect(try await Self.first(client, "фрезерынй станок") != nil)
            #expect(try await Self.api(client, "прес").first == "Пресс гидравлический П6320")
            #expect(try await Self.api(client, "зщзщ").isEmpty)
        }
    }

    @Test("no product has every word: those missing one are shown, and the page says so")
    func partial() async throws {
        try await withApp(source: Self.source) { (client: any TestClientProtocol) async throws in
            let page = try await Self.page(client, "фрезерного станка 6т15")
            #expect(Set(page.names) == ["Станок фрезерный консольный 6Т12", "Вертикально-фрезерный станок 6Р13"])
            #expect(page.html.contains("Показаны те, где не хватает одного слова"))
            // Two words: both must match; nothing is guessed from one of them.
            #expect(try await Self.api(client, "фрезерный экскаватор").isEmpty)
        }
    }

    @Test("nothing found: the page says what was searched and offers the catalog's sections")
    func nothingFound() async throws {
        try await withApp(source: Self.source) { (client: any TestClientProtocol) async throws in
            let page = try await Self.page(client, "экскаватор")
            #expect(page.names.isEmpty)
            #expect(page.html.contains("По запросу «экскаватор» ничего не найдено"))
            #expect(page.html.contains("Посмотрите разделы каталога") && page.html.contains(#"href="/catalog/tokarnye""#))
            // Marks are only ever the server's: a query is escaped like everything else.
            let hostile = try await Self.page(client, "<b>токарный</b>")
            #expect(!hostile.html.contains("<b>токарный</b>"))
        }
    }

    @Test("/api/suggest: the best few products and the sections for what is typed so far; kept per normalized query")
    func suggest() async throws {
        try await withApp(source: Self.source) { (client: any TestClientProtocol) async throws in
            func answer(_ query: String) async throws -> (products: [String], categories: [String], raw: TestResponse) {
                let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
                let response = try await client.execute(uri: "/api/suggest?q=\(encoded)", method: .get)
                let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                let names: (String) -> [String] = { key in (json[key] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } }
                return (names("products"), names("categories"), response)
            }
            let typing = try await answer("ток")
            #expect(typing.categories == ["Токарные станки"])
            #expect(typing.products.first?.hasPrefix("Токарн") == true && typing.products.count <= 5)
            #expect(typing.raw.headers[.contentType] == "application/json; charset=utf-8")
            #expect(typing.raw.headers[.cacheControl] == PageCache.publicCacheControl)
            let code = try await answer("СК61")
            #expect(code.products.first == "Токарный станок с ЧПУ CK6150")
            #expect(try await answer("фрезерн").categories == ["Фрезерные станки"])
            // The other keyboard layout, punctuation included («;» is «ж»).
            #expect(try await answer("njrfhysq").products.first?.hasPrefix("Токарн") == true)
            #expect(try await answer("").products.isEmpty)
            // The same search spelt otherwise is the same answer, byte for byte.
            let spaced = try await answer("  ТОК ").raw
            #expect(Data(buffer: spaced.body) == Data(buffer: typing.raw.body))
        }
    }
}
