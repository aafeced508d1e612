import Catalog
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TestSupport

@Suite("JSON API")
struct CatalogAPITests {
    func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    @Test("/api/categories lists categories with parents, URLs and counts")
    func categories() async throws {
        try await withApp { client in
            let response = try await client.execute(uri: "/api/categories", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            let items = try #require(try json(response)["items"] as? [[String: Any]])
            let cnc = try #require(items.first { $0["slug"] as? String == "tokarnye-stanki-chpu" })
            #expect(cnc["parent_slug"] as? String == "tokarnye-stanki")
            #expect(cnc["url"] as? String == "http://127.0.0.1:8080/catalog/tokarnye-stanki-chpu")
            #expect(cnc["product_count"] as? Int == 3)
            let root = try #require(items.first { $0["slug"] as? String == "tokarnye-stanki" })
            #expect(root["parent_slug"] is NSNull)
            #expect(root["product_count"] as? Int == 7)
        }
    }

    @Test("/api/products pages, filters by category and searches")
    func products() async throws {
        try await withApp { client in
            let page = try json(try await client.execute(uri: "/api/products?per_page=5&page=2", method: .get))
            #expect(page["page"] as? Int == 2)
            #expect(page["per_page"] as? Int == 5)
            #expect(page["total"] as? Int == 20)
            #expect((page["items"] as? [Any])?.count == 5)
            let pressy = try json(try await client.execute(uri: "/api/products?category=pressy", method: .get))
            #expect(pressy["total"] as? Int == 3)
            let search = try json(try await client.execute(uri: "/api/products?q=bs-", method: .get))
            #expect(search["total"] as? Int == 2)
        }
    }

    @Test("a product has the documented shape, with explicit nulls")
    func productShape() async throws {
        try await withApp { client in
            let product = try json(try await client.execute(uri: "/api/products/lentochnopilnyj-stanok-bs-315g", method: .get))
            #expect(Set(product.keys) == [
                "id", "slug", "url", "name", "sku", "category", "price", "availability", "images", "specs", "description_html",
                "updated_at",
            ])
            #expect(product["category"] is NSNull)
            let price = try #require(product["price"] as? [String: Any])
            #expect(price["amount"] as? String == "238500.00")
            #expect(price["currency"] as? String == "RUB")
            #expect(price["text"] as? String == "238\u{00A0}500\u{00A0}₽")
            #expect(price["on_request"] as? Bool == false)
            let image = try #require((product["images"] as? [[String: Any]])?.first)
            #expect((image["url"] as? String)?.hasPrefix("http://127.0.0.1:8080/assets/") == true)
            #expect(image["width"] as? Int == 800)
            let spec = try #require((product["specs"] as? [[String: Any]])?.first)
            #expect(spec["unit"] as? String == "мм")

            let onRequest = try json(try await client.execute(uri: "/api/products/tokarnyj-centr-tck46", method: .get))
            let quote = try #require(onRequest["price"] as? [String: Any])
            #expect(quote["amount"] is NSNull)
            #expect(quote["on_request"] as? Bool == true)
            #expect(quote["text"] as? String == "Цена по запросу")
        }
    }

    @Test("errors are problem+json", arguments: [
        ("/api/products/no-such", 404), ("/api/products?per_page=101", 400), ("/api/products?per_page=abc", 400),
        ("/api/products?category=nope", 404), ("/api/nothing", 404),
    ])
    func problems(path: String, status: Int) async throws {
        try await withApp { client in
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status.code == status)
            #expect(response.headers[.contentType] == "application/problem+json")
            let body = try json(response)
            #expect(body["status"] as? Int == status)
            #expect((body["detail"] as? String)?.isEmpty == false)
        }
    }
}
