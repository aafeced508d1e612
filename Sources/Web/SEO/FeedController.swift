import Catalog
import Foundation
import Hummingbird
import Leads

/// What search engines and marketplaces read: `/robots.txt`, `/sitemap.xml` of published
/// categories and products, and the Yandex Market YML feed `/yml.xml`. The XML documents
/// are written with libxml2 and, like pages, built once per catalog version.
struct FeedController<Context: RequestContext>: Sendable {
    let site: Site
    let robotsTxt: RenderedResponse

    init(site: Site) {
        self.site = site
        let body = """
            User-agent: *
            Disallow: /admin
            Disallow: /preview/
            Disallow: /order/thanks/
            Disallow: /api/
            Disallow: /ingest/
            Disallow: /webhook/
            Disallow: /catalog?q=
            Clean-param: \(UTM.keys.joined(separator: "&"))

            Sitemap: \(site.absoluteURL("/sitemap.xml"))

            """
        robotsTxt = site.finish(RenderedResponse(body: ByteBuffer(string: body), contentType: "text/plain; charset=utf-8"))
    }

    func addRoutes(to router: Router<Context>) {
        router.get("/robots.txt", use: robots)
        router.get("/sitemap.xml", use: sitemap)
        router.get("/yml.xml", use: yml)
    }

    static var xmlType: String { "application/xml; charset=utf-8" }

    /// Depends on the settings only: built once.
    @Sendable func robots(_ request: Request, context: Context) async throws -> Response {
        site.response(robotsTxt, for: request)
    }

    @Sendable func sitemap(_ request: Request, context: Context) async throws -> Response {
        try await site.cached("feed:/sitemap.xml", request: request) {
            .input(try await site.catalog.index())
        } render: { index in
            RenderedResponse(body: ByteBuffer(bytes: try Feeds.sitemap(index, site: site)), contentType: Self.xmlType)
        }
    }

    @Sendable func yml(_ request: Request, context: Context) async throws -> Response {
        try await site.cached("feed:/yml.xml", request: request) {
            .input(try await site.catalog.index())
        } render: { index in
            RenderedResponse(body: ByteBuffer(bytes: try Feeds.yml(index, site: site, date: Date())), contentType: Self.xmlType)
        }
    }
}
