import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import Web

@Suite("Site pages on the demo catalog")
struct PageTests {
    static let nbsp = "\u{00A0}"

    @Test("the home page lists categories and products")
    func home() async throws {
        try await withApp { client in
            let response = try await client.execute(uri: "/", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            #expect(response.text.contains("Токарные станки"))
            #expect(response.text.contains("Токарно-винторезные станки"))
            #expect(response.text.contains(#"class="card""#))
            #expect(response.text.contains(#"<html lang="ru">"#))
        }
    }

    @Test("a product page shows price, specs, gallery, breadcrumbs and the order form")
    func product() async throws {
        try await withApp { client in
            let response = try await client.execute(uri: "/product/tokarnyj-stanok-chpu-ck6150", method: .get)
            #expect(response.status == .ok)
            let html = response.text
            #expect(html.contains("<h1>Токарный станок с ЧПУ CK6150</h1>"))
            #expect(html.contains("1\(Self.nbsp)250\(Self.nbsp)000\(Self.nbsp)₽"))
            #expect(html.contains("<th scope=\"row\">Частота вращения шпинделя</th><td>45–1800 об/мин</td>"))
            #expect(html.contains("/assets/d3e10000-0000-4000-8000-000000000002?preset=thumb"))
            #expect(html.contains(#"<a href="/catalog/tokarnye-stanki">Токарные станки</a>"#))
            for field in ["product_id", "name", "phone", "email", "company", "quantity", "comment", "consent", "website",
                "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"]
            {
                #expect(html.contains("name=\"\(field)\""), "form field \(field)")
            }
            #expect(html.contains(#"<form class="order-form" id="order" action="/order" method="post""#))
            #expect(html.contains(#"href="/privacy""#))
            #expect(html.contains(#"<link rel="canonical" href="http://127.0.0.1:8080/product/tokarnyj-stanok-chpu-ck6150">"#))
        }
    }

    @Test("edge cases read sensibly: price on request, no specs, no image, no category, no availability")
    func edgeCases() async throws {
        try await withApp { client in
            let onRequest = try await client.execute(uri: "/product/tokarnyj-centr-tck46", method: .get).text
            #expect(onRequest.contains("Цена по запросу"))
            #expect(onRequest.contains("Запросить цену"))
            #expect(onRequest.contains("Под заказ"))
            let noSpecs = try await client.execute(uri: "/product/frezernyj-stanok-x6132", method: .get).text
            #expect(noSpecs.contains("Характеристики уточняйте у менеджера"))
            let noImage = try await client.execute(uri: "/product/radialno-sverlilnyj-stanok-2k52", method: .get).text
            #expect(noImage.contains("/img/placeholder.svg"))
            let noCategory = try await client.execute(uri: "/product/lentochnopilnyj-stanok-bs-315g", method: .get).text
            #expect(noCategory.contains("Без категории"))
            let sanitized = try await client.execute(uri: "/product/press-gidravlicheskij-y41-63", method: .get).text
            #expect(!sanitized.contains("alert('xss')"))
            #expect(!sanitized.contains("onclick"))
        }
    }

    @Test("no page shows null, NaN, a zero price or template leftovers")
    func noBlanks() async throws {
        let index = try await Catalog(source: DemoCatalogSource(), logger: .init(label: "t")).index()
        let paths = ["/", "/catalog"] + index.categories.map { SiteURL.category($0.slug) } + index.products.map(SiteURL.product)
        try await withApp { client in
            for path in paths {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok, "\(path)")
                let html = response.text
                for bad in ["null", "NaN", ">0\(Self.nbsp)₽", "{{", "Optional("] {
                    #expect(!html.contains(bad), "\(path) contains \(bad)")
                }
            }
        }
    }

    @Test("a numeric id redirects to the slug; a product without a slug lives at its id")
    func idRedirect() async throws {
        try await withApp { client in
            let redirect = try await client.execute(uri: "/product/1", method: .get)
            #expect(redirect.status == .movedPermanently)
            #expect(redirect.headers[.location] == "/product/tokarnyj-stanok-chpu-ck6150")
            let noSlug = try await client.execute(uri: "/product/21", method: .get)
            #expect(noSlug.status == .ok)
            #expect(noSlug.text.contains("Настольный токарный станок TL-250"))
            #expect(noSlug.text.contains("2\(Self.nbsp)150\(Self.nbsp)$"))
        }
    }

    @Test("unknown pages, drafts and out-of-range pages answer with the 404 page")
    func notFound() async throws {
        try await withApp { client in
            for path in ["/product/no-such-thing", "/product/tokarnyj-stanok-chpu-ck6180", "/product/20", "/catalog/nope",
                "/catalog?page=99", "/nothing/here"]
            {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .notFound, "\(path)")
                #expect(response.text.contains("Страница не найдена"), "\(path)")
                #expect(response.text.contains(#"<meta name="robots" content="noindex">"#))
            }
        }
    }

    @Test("a category lists its subcategories' products; search folds case and ё")
    func categoryAndSearch() async throws {
        try await withApp { client in
            let category = try await client.execute(uri: "/catalog/tokarnye-stanki", method: .get).text
            #expect(category.contains("Токарно-винторезный станок 16К20"))
            #expect(category.contains("Токарный станок с ЧПУ CK6150"))
            #expect(category.contains(#"href="/catalog/tokarnye-stanki-chpu""#))
            let search = try await client.execute(uri: "/catalog?q=%D0%9F%D0%A0%D0%95%D0%A1%D0%A1", method: .get).text
            #expect(search.contains("Пресс гидравлический Y41-63"))
            #expect(!search.contains("Токарный станок с ЧПУ CK6150"))
            #expect(search.contains(#"value="ПРЕСС""#))
            let saw = try await client.execute(uri: "/catalog?q=%D0%BB%D0%B5%D0%BD%D1%82%D0%BE%D1%87%D0%BD%D0%BE%D0%BF%D0%B8%D0%BB%D1%8C%D0%BD%D1%8B%D0%B9", method: .get).text
            #expect(saw.contains("BS-712N"))
        }
    }

    @Test("while Directus cannot give a product's description its page shows the excerpt and is not kept; the API answers 503")
    func descriptionOutage() async throws {
        let text = (1...40).map { "Абзац \($0): станок с оснасткой." }.joined(separator: " ")
        let source = StubCatalogSource(products: [ProductRecord(id: 1, name: "Станок", slug: "s", description: "<h3>Описание</h3><p>\(text)</p>")])
        try await withApp(source: source) { client in
            #expect(try await client.execute(uri: "/catalog", method: .get).status == .ok)  // the lists are read
            source.setFailing(true)
            let page = try await client.execute(uri: "/product/s", method: .get)
            #expect(page.status == .ok)
            #expect(page.text.contains("<p>Описание. Абзац 1: станок с оснасткой."))
            #expect(page.text.contains("…</p>") && !page.text.contains("<h3>Описание</h3>"))
            #expect(page.headers[.cacheControl] == "no-store")
            let api = try await client.execute(uri: "/api/products/s", method: .get)
            #expect(api.status == .serviceUnavailable)
            #expect(api.headers[.contentType] == "application/problem+json" && api.headers[.retryAfter] == "5")
            // Directus is back: within the wait after the failure (1 s) the whole page comes, and is kept.
            source.setFailing(false)
            #expect(try await eventually { try await client.execute(uri: "/product/s", method: .get).text.contains("<h3>Описание</h3>") })
            let kept = try await client.execute(uri: "/product/s", method: .get)
            #expect(kept.headers[.cacheControl] == PageCache.publicCacheControl && kept.headers[.eTag] != nil)
            #expect(try await client.execute(uri: "/api/products/s", method: .get).text.contains("Абзац 40"))
        }
    }

    @Test("editor text is escaped in pages")
    func escaping() async throws {
        let source = StubCatalogSource(
            categories: [CategoryRecord(id: 1, name: "<b>Кат</b>", slug: "kat")],
            products: [
                ProductRecord(
                    id: 1, name: "Станок <script>alert(1)</script> «Тёма»", slug: "s", sku: "\"><img src=x>",
                    price: .string("100"), category: CategoryRecord(id: 1, name: "<b>Кат</b>", slug: "kat"),
                    specs: .array([.object([("name", .string("<i>имя</i>")), ("value", .string("a&b"))])]))
            ])
        try await withApp(source: source) { client in
            let html = try await client.execute(uri: "/product/s", method: .get).text
            #expect(!html.contains("<script>alert(1)"))
            #expect(html.contains("Станок &lt;script&gt;alert(1)&lt;/script&gt; «Тёма»"))
            #expect(!html.contains("<img src=x>"))
            #expect(html.contains("&lt;i&gt;имя&lt;/i&gt;"))
            #expect(html.contains("a&amp;b"))
            #expect(!html.contains("<b>Кат</b>"))
            let search = try await client.execute(uri: "/catalog?q=%22%3E%3Cscript%3E", method: .get).text
            #expect(!search.contains("\"><script>"))
        }
    }

    @Test("a warm page makes no upstream call and is served from rendered bytes")
    func warm() async throws {
        let demo = try DemoCatalogSource()
        let source = StubCatalogSource(
            categories: try await demo.fetchCategories(), products: try await demo.fetchProducts())
        try await withApp(source: source) { client in
            let first = try await client.execute(uri: "/product/tokarnyj-stanok-chpu-ck6150", method: .get)
            let callsAfterFirst = source.calls
            for _ in 0..<10 {
                let again = try await client.execute(uri: "/product/tokarnyj-stanok-chpu-ck6150", method: .get)
                #expect(again.body == first.body)
            }
            _ = try await client.execute(uri: "/", method: .get)
            _ = try await client.execute(uri: "/", method: .get)
            #expect(source.calls == callsAfterFirst)
        }
    }

    @Test("a price changed in Directus shows up once the cached copy is stale and refreshed")
    func refreshAfterStale() async throws {
        let category = CategoryRecord(id: 1, name: "Прессы", slug: "pressy")
        let product: @Sendable (String) -> ProductRecord = { price in
            ProductRecord(id: 1, name: "Пресс", slug: "press", price: .string(price), category: category)
        }
        let source = StubCatalogSource(categories: [category], products: [product("100000")])
        try await withApp(source: source, environment: ["CATALOG_FRESH_SECONDS": "0"]) { (client: any TestClientProtocol) async throws in
            #expect(try await client.execute(uri: "/product/press", method: .get).text.contains("100\u{00A0}000\u{00A0}₽"))
            source.setProducts([product("120000")])
            // Served stale once while the background refresh runs, then the new price.
            #expect(try await eventually {
                try await client.execute(uri: "/product/press", method: .get).text.contains("120\u{00A0}000\u{00A0}₽")
            })
        }
    }

    @Test("an unchanged page answers 304 to If-None-Match")
    func etag() async throws {
        try await withApp { client in
            let first = try await client.execute(uri: "/catalog", method: .get)
            let etag = try #require(first.headers[.eTag])
            let second = try await client.execute(uri: "/catalog", method: .get, headers: [.ifNoneMatch: etag])
            #expect(second.status == .notModified)
            #expect(second.body.readableBytes == 0)
        }
    }

    @Test("Directus down with nothing cached gives the 503 page; with a cached copy the page still works")
    func upstreamFailure() async throws {
        let source = StubCatalogSource(categories: [CategoryRecord(id: 1, name: "Прессы", slug: "pressy")])
        source.setFailing(true)
        try await withApp(source: source) { client in
            let down = try await client.execute(uri: "/", method: .get)
            #expect(down.status == .serviceUnavailable)
            #expect(down.text.contains("Каталог временно недоступен"))
            #expect(!down.text.contains("stub is failing"))
            source.setFailing(false)
            // Directus is asked again a second after the failure, not by every request meanwhile.
            #expect(try await eventually { try await client.execute(uri: "/", method: .get).status == .ok })
            source.setFailing(true)
            #expect(try await client.execute(uri: "/", method: .get).status == .ok)
            let ready = try await client.execute(uri: "/readyz", method: .get, headers: operatorHeaders)
            #expect(ready.status == .ok)
        }
    }

    @Test("security headers are set on pages, static files are served from public/")
    func headersAndStatic() async throws {
        try await withApp { client in
            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'self'") == true)
            #expect(page.headers[.xContentTypeOptions] == "nosniff")
            let css = try await client.execute(uri: "/css/site.css", method: .get)
            #expect(css.status == .ok)
            #expect(css.headers[.contentType]?.hasPrefix("text/css") == true)
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
        }
    }

    @Test("demo images come through /assets with named presets only")
    func assets() async throws {
        try await withApp { client in
            let image = try await client.execute(uri: "/assets/d3e10000-0000-4000-8000-000000000001?preset=card", method: .get)
            #expect(image.status == .ok)
            #expect(image.headers[.contentType] == "image/svg+xml")
            #expect(try await client.execute(uri: "/assets/d3e10000-0000-4000-8000-000000000001?preset=huge", method: .get).status == .notFound)
            let missing = try await client.execute(uri: "/assets/d3e10000-0000-4000-8000-00000000ffff?preset=card", method: .get)
            #expect(missing.status == .found)
            #expect(missing.headers[.location] == "/img/placeholder.svg")
        }
    }

    @Test("HEAD answers like GET without the body: pages, static files, the 404 page")
    func head() async throws {
        try await withApp(mode: .live) { (client: any TestClientProtocol) async throws in
            for uri in ["/", "/product/tokarnyj-stanok-chpu-ck6150", "/css/site.css", "/sitemap.xml", "/product/nope"] {
                let get = try await client.execute(uri: uri, method: .get)
                let head = try await client.execute(uri: uri, method: .head)
                #expect(head.status == get.status, "\(uri)")
                #expect(head.headers[.contentType] == get.headers[.contentType], "\(uri)")
                #expect(head.headers[.contentLength] == String(get.body.readableBytes), "\(uri)")
                #expect(head.body.readableBytes == 0, "\(uri)")
            }
        }
    }
}
