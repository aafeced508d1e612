import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import Web

@Suite("SEO: sitemap, YML feed, robots.txt, OpenGraph and JSON-LD")
struct SEOTests {
    static let base = "https://stanki.example.ru"
    static let sitemapNS = ["sm": "http://www.sitemaps.org/schemas/sitemap/0.9"]

    @Test("sitemap.xml is valid sitemaps.org XML and lists published categories and products only")
    func sitemap() async throws {
        try await withDirectusApp(environment: ["PUBLIC_BASE_URL": Self.base]) { client, directus, url in
            let response = try await client.execute(uri: "/sitemap.xml", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/xml; charset=utf-8")
            let xml = try XMLCheck(response.body.readableBytesView)
            #expect(try xml.validate(schema: Fixtures.data("xml/sitemap.xsd")) == [])
            let locations = xml.strings("/sm:urlset/sm:url/sm:loc", ns: Self.sitemapNS)
            #expect(locations.count == 2 + 4 + 11)
            #expect(locations.contains("\(Self.base)/product/tokarnyj-stanok-chpu-ck6150"))
            #expect(locations.contains("\(Self.base)/catalog/pressy"))
            #expect(!locations.contains { $0.contains("ck6180") })  // the draft
            #expect(locations.allSatisfy { $0.hasPrefix(Self.base + "/") })
            let lastmod = xml.strings("/sm:urlset/sm:url[sm:loc='\(Self.base)/product/tokarnyj-stanok-chpu-ck6150']/sm:lastmod", ns: Self.sitemapNS)
            #expect(lastmod.count == 1)
            // Revalidation: the same bytes until the catalog changes.
            let etag = try #require(response.headers[.eTag])
            #expect(try await client.execute(uri: "/sitemap.xml", method: .get, headers: [.ifNoneMatch: etag]).status == .notModified)
        }
    }

    @Test("yml.xml is a valid Yandex YML feed: published products with a price, categories, params")
    func yml() async throws {
        try await withDirectusApp(environment: ["PUBLIC_BASE_URL": Self.base]) { client, directus, url in
            directus.update("products", id: 2, field: "name", to: .string("Станок <CK6140> & \u{1}«оснастка»"))
            let paragraphs = (1...25).map { "<p>Абзац \($0): станок поставляется с оснасткой и документацией на русском языке.</p>" }
            directus.update("products", id: 4, field: "description", to: .string(paragraphs.joined()))
            let response = try await client.execute(uri: "/yml.xml", method: .get)
            #expect(response.status == .ok)
            let xml = try XMLCheck(response.body.readableBytesView)
            #expect(try xml.validate(dtd: Fixtures.data("xml/yml.dtd")) == nil)

            let offers = Set(xml.strings("/yml_catalog/shop/offers/offer/@id"))
            // Published, with a price: not 3 (null), not 5 ("0.00"), not 12 (draft).
            #expect(offers == Set(["1", "2", "4", "6", "7", "8", "9", "10", "11"]))
            #expect(xml.strings("/yml_catalog/shop/offers/offer[@id='1']/price") == ["1250000.00"])
            #expect(xml.strings("/yml_catalog/shop/offers/offer[@id='1']/currencyId") == ["RUR"])
            #expect(xml.strings("/yml_catalog/shop/offers/offer[@id='1']/url") == ["\(Self.base)/product/tokarnyj-stanok-chpu-ck6150"])
            #expect(xml.strings("/yml_catalog/shop/offers/offer[@id='1']/picture").first?.hasPrefix("\(Self.base)/assets/") == true)
            #expect(!xml.strings("/yml_catalog/shop/offers/offer[@id='1']/param").isEmpty)
            #expect(xml.strings("/yml_catalog/shop/offers/offer[@id='2']/name") == ["Станок <CK6140> & «оснастка»"])
            // The description's excerpt the catalog keeps for every product (500 characters, cut at
            // a word), longer than the page's one-line summary; YML takes up to 3,000.
            let description = try #require(xml.strings("/yml_catalog/shop/offers/offer[@id='4']/description").first)
            #expect(description.hasPrefix("Абзац 1: станок"))
            #expect(description.contains("Абзац 5:"))
            #expect(description.hasSuffix("…") && description.count <= 501)
            // Every offer's category exists, including the one for products without a category.
            let categories = Set(xml.strings("/yml_catalog/shop/categories/category/@id"))
            let used = Set(xml.strings("/yml_catalog/shop/offers/offer/categoryId"))
            #expect(used.isSubset(of: categories))
            #expect(xml.strings("/yml_catalog/shop/categories/category[@id=/yml_catalog/shop/offers/offer[@id='9']/categoryId]") == ["Без категории"])
            #expect(xml.strings("/yml_catalog/shop/currencies/currency/@id").contains("RUR"))
        }
    }

    @Test("robots.txt keeps crawlers out of private routes and points at the sitemap")
    func robots() async throws {
        try await withApp(environment: ["PUBLIC_BASE_URL": Self.base]) { (client: any TestClientProtocol) async throws in
            let response = try await client.execute(uri: "/robots.txt", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
            let lines = response.text.split(separator: "\n").map(String.init)
            for path in ["/admin", "/preview/", "/api/", "/order/thanks/"] { #expect(lines.contains("Disallow: \(path)")) }
            #expect(lines.contains("Sitemap: \(Self.base)/sitemap.xml"))
        }
    }

    @Test("product pages carry OpenGraph and JSON-LD Product; an Offer only when there is a price")
    func structuredData() async throws {
        try await withDirectusApp(environment: ["PUBLIC_BASE_URL": Self.base]) { client, directus, url in
            let priced = try await client.execute(uri: "/product/tokarnyj-stanok-chpu-ck6150", method: .get).text
            #expect(priced.contains(#"<meta property="og:type" content="product">"#))
            #expect(priced.contains(#"<meta property="og:url" content="\#(Self.base)/product/tokarnyj-stanok-chpu-ck6150">"#))
            #expect(priced.contains(#"<meta property="og:image" content="\#(Self.base)/assets/"#))
            #expect(priced.contains(#"<link rel="canonical" href="\#(Self.base)/product/tokarnyj-stanok-chpu-ck6150">"#))
            let product = try Self.jsonLD(priced)
            #expect(product["@type"] as? String == "Product")
            #expect(product["sku"] as? String == "CK6150-1000")
            let offer = try #require(product["offers"] as? [String: Any])
            #expect(offer["price"] as? String == "1250000.00")
            #expect(offer["priceCurrency"] as? String == "RUB")

            let onRequest = try await client.execute(uri: "/product/tokarnyj-centr-tck46", method: .get).text
            let quote = try Self.jsonLD(onRequest)
            #expect(quote["name"] != nil)
            #expect(quote["offers"] == nil)
        }
    }

    @Test("JSON-LD cannot close its script element, whatever an editor types")
    func scriptSafe() throws {
        let json = try #require(StructuredData.scriptSafe(["name": "</script><script>alert(1)</script> & co"]))
        #expect(!json.contains("<") && !json.contains(">") && !json.contains("&"))
        let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String]
        #expect(decoded?["name"] == "</script><script>alert(1)</script> & co")
    }

    @Test("the checks above can fail: the schema and the DTD reject broken documents")
    func validatorsBite() throws {
        let badSitemap = #"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><lastmod>вчера</lastmod></url><url><loc>/relative</loc></url></urlset>"#
        #expect(try XMLCheck(Array(badSitemap.utf8)).validate(schema: Fixtures.data("xml/sitemap.xsd")).count >= 2)
        let badYML = #"<yml_catalog date="x"><shop><name>a</name><company>b</company><url>c</url><currencies><currency id="RUR"/></currencies><categories><category id="1">x</category></categories><offers><offer id="1"><name>n</name><url>u</url><currencyId>RUR</currencyId><categoryId>1</categoryId></offer></offers></shop></yml_catalog>"#
        #expect(try XMLCheck(Array(badYML.utf8)).validate(dtd: Fixtures.data("xml/yml.dtd")) != nil)
        #expect(throws: XMLCheck.Invalid.self) { try XMLCheck(Array("<a><b></a>".utf8)) }
    }

    static func jsonLD(_ page: String) throws -> [String: Any] {
        let start = try #require(page.range(of: #"<script type="application/ld+json">"#))
        let end = try #require(page.range(of: "</script>", range: start.upperBound..<page.endIndex))
        let json = String(page[start.upperBound..<end.lowerBound])
        return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }
}
