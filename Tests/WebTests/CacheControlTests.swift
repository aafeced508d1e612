import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import Web

/// What a shared cache in front (nginx, a CDN) may keep, and for how long.
@Suite("Cache-Control for shared caches")
struct CacheControlTests {
    @Test("public pages, the JSON catalog and feeds may be kept a minute and served stale two more; private answers are no-store")
    func publicAndPrivate() async throws {
        try await withApp { (client: any TestClientProtocol) async throws in
            for uri in [
                "/", "/catalog", "/catalog/tokarnye-stanki", "/product/tokarnyj-stanok-chpu-ck6150", "/order", "/privacy",
                "/api/products", "/api/categories", "/sitemap.xml",
            ] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .ok, "\(uri)")
                #expect(response.headers[.cacheControl] == "public, max-age=0, s-maxage=0, must-revalidate", "\(uri)")
                #expect(response.headers[.eTag] != nil, "\(uri) can be revalidated")
            }
            // The form token in a page kept that long is still accepted: windows of an hour, the
            // current and the previous one valid.
            #expect(60 + 120 < 3_600)

            let browser = Browser(client: client)
            let thanks = try await browser.post(validOrder(csrf: try await browser.csrf()))
            let privateURIs = [try #require(thanks.headers[.location]), "/admin", "/admin/leads/1", "/product/no-such-product"]
            for uri in privateURIs {
                let response = try await client.execute(uri: uri, method: .get, headers: operatorHeaders)
                #expect(response.headers[.cacheControl] == "no-store", "\(uri)")
            }
            var invalid = validOrder(csrf: try await browser.csrf())
            invalid[2] = ("phone", "12")
            #expect(try await browser.post(invalid).headers[.cacheControl] == "no-store")
        }
    }

    @Test("PAGE_CACHE_MB=0 keeps no pages: every request renders, the answers stay the same; by default the second is not rendered")
    func pageCacheOff() async throws {
        for (setting, renders) in [("0", 3.0), ("24", 1.0)] {
            try await withApp(environment: ["PAGE_CACHE_MB": setting]) { client in
                var bodies: Set<String> = []
                for _ in 0..<3 {
                    let page = try await client.execute(uri: "/catalog", method: .get)
                    #expect(page.status == .ok)
                    bodies.insert(page.text)
                }
                #expect(bodies.count == 1)
                #expect(try await scrape(client).value("pages_rendered_total") == renders, "PAGE_CACHE_MB=\(setting)")
            }
        }
    }
}
