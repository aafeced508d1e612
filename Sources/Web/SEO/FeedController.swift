import Basics
import Catalog
import Foundation
import Hummingbird
import Indexing
import Storage
import Leads

/// What search engines and marketplaces read: `/robots.txt`, `/sitemap.xml` of published
/// categories and products, and the Yandex Market YML feed `/yml.xml`. The XML documents
/// are written with libxml2 and, like pages, built once per catalog version.
struct FeedController<Context: RequestContext>: Sendable {
    let catalog: Catalog
    /// When each page last changed: the sitemap's `lastmod`.
    let changes: PageChanges
    let pages: PageCache
    let layout: SiteLayout
    let clock: any WallClock
    let robotsTxt: RenderedResponse

    init(catalog: Catalog, changes: PageChanges, pages: PageCache, layout: SiteLayout, clock: any WallClock) {
        self.catalog = catalog
        self.changes = changes
        self.pages = pages
        self.layout = layout
        self.clock = clock
        let closed = [SiteURL.admin, SiteURL.previewPrefix, SiteURL.thanksPrefix] + SiteURL.machinePrefixes + [SiteURL.catalog + "?q="]
        let body = """
            User-agent: *
            \(closed.map { "Disallow: " + $0 }.joined(separator: "\n"))
            Clean-param: \(UTM.keys.joined(separator: "&"))

            Sitemap: \(layout.absoluteURL(SiteURL.Route.sitemap.rawValue))

            """
        robotsTxt = pages.finish(RenderedResponse(body: ByteBuffer(string: body), contentType: "text/plain; charset=utf-8"))
    }

    func addRoutes(to router: Router<Context>) {
        router.get(SiteURL.Route.robots.pattern, use: robots)
        router.get(SiteURL.Route.sitemap.pattern, use: sitemap)
        router.get(SiteURL.Route.yml.pattern, use: yml)
    }

    static var xmlType: String { "application/xml; charset=utf-8" }

    /// Depends on the settings only: built once.
    @Sendable func robots(_ request: Request, context: Context) async throws -> Response {
        pages.response(robotsTxt, for: request)
    }

    /// Built again when the catalog or a page's recorded time changed. Not answered on the
    /// event loop, which knows the catalog's version only; crawlers read it now and then.
    @Sendable func sitemap(_ request: Request, context: Context) async throws -> Response {
        try await pages.cached("feed:/sitemap.xml#\(changes.generation)", canonical: nil, request: request) {
            .input(try await catalog.index())
        } render: { [changes] index in
            RenderedResponse(body: ByteBuffer(bytes: try Feeds.sitemap(index, layout: layout, modified: changes.modified)), contentType: Self.xmlType)
        }
    }

    @Sendable func yml(_ request: Request, context: Context) async throws -> Response {
        try await pages.cached("feed:/yml.xml", canonical: SiteURL.Route.yml.rawValue, request: request) {
            .input(try await catalog.index())
        } render: { index in
            RenderedResponse(body: ByteBuffer(bytes: try Feeds.yml(index, layout: layout, date: clock.now())), contentType: Self.xmlType)
        }
    }
}
