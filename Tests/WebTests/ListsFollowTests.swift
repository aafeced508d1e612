import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// A product changed in Directus is changed everywhere it shows once the webhook came: its
/// page, its category, the home page's newest products, search results, the Yandex Market feed,
/// and the sitemap's `lastmod` – none of them keeps a page rendered from the old data.
@Suite("Lists follow a purged product")
struct ListsFollowTests {
    static let oldPrice = "1\u{00A0}250\u{00A0}000\u{00A0}₽"
    static let newPrice = "1\u{00A0}390\u{00A0}000\u{00A0}₽"
    static let secret = "hook-secret-for-tests"

    @Test("after the webhook the old price is gone from the product, its category and search, home lists it anew, yml.xml has the new price, the sitemap's lastmod moves")
    func everyList() async throws {
        try await withDirectusApp(environment: ["DIRECTUS_WEBHOOK_SECRET": Self.secret]) {
            (client: any TestClientProtocol, directus: FakeDirectus, _: String) async throws in
            let pages = ["/product/tokarnyj-stanok-chpu-ck6150", "/catalog/tokarnye-stanki-chpu", "/catalog?q=CK6150"]
            // Warm: every page is rendered and kept, with the old price; the home page lists the
            // recently updated products, this one not among them yet.
            for path in pages {
                #expect(try await client.execute(uri: path, method: .get).text.contains(Self.oldPrice), "\(path)")
            }
            #expect(!(try await client.execute(uri: "/", method: .get).text.contains("Токарный станок с ЧПУ CK6150")))
            #expect(try await client.execute(uri: "/yml.xml", method: .get).text.contains("<price>1250000.00</price>"))
            let sitemapBefore = try await client.execute(uri: "/sitemap.xml", method: .get).text
            #expect(sitemapBefore.contains("<lastmod>2025-02-14"))

            directus.update("products", id: 1, field: "price", to: .string("1390000.00"))
            directus.update("products", id: 1, field: "date_updated", to: .string("2026-12-04T10:00:00.000Z"))
            let event = #"{"event":"products.items.update","collection":"products","keys":["1"],"payload":{"price":"1390000.00"}}"#
            let hook = try await client.execute(
                uri: "/webhook/directus", method: .post,
                headers: [.contentType: "application/json", HTTPField.Name("X-Webhook-Secret")!: Self.secret], body: ByteBuffer(string: event))
            #expect(hook.status == .ok)

            // The home page now lists it first, at its new price.
            for path in pages + ["/"] {
                let page = try await client.execute(uri: path, method: .get).text
                #expect(page.contains(Self.newPrice) && !page.contains(Self.oldPrice), "\(path)")
            }
            let yml = try await client.execute(uri: "/yml.xml", method: .get).text
            #expect(yml.contains("<price>1390000.00</price>") && !yml.contains("<price>1250000.00</price>"))
            let sitemap = try await client.execute(uri: "/sitemap.xml", method: .get).text
            #expect(sitemap.contains("<lastmod>2026-12-04") && !sitemap.contains("<lastmod>2025-02-14"))
        }
    }
}
