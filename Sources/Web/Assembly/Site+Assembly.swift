import Basics
import Catalog
import Storage

/// What turns a page model into an answer, handed together to the controllers that render:
/// the templates, the layout, the page cache, the message pages, the security headers, the
/// catalog pages' models and the order form's tokens.
struct SitePages: Sendable {
    let renderer: SiteRenderer
    let layout: SiteLayout
    let pages: PageCache
    let messages: MessagePages
    let headers: PageHeaders
    let models: CatalogPageModels
    let formTokens: FormTokens

    init(_ ground: Groundwork, catalog: Catalog) async throws {
        let configuration = ground.configuration
        renderer = try await SiteRenderer(directory: configuration.templatesDirectory)
        layout = SiteLayout(baseURL: configuration.publicBaseURL, clock: ground.clock)
        // One secret per database, so that every instance signs form tokens the same way.
        let formSecret = try await Settings.value(FormTokens.secretKey, in: ground.database) { RandomHex.make(bytes: 32) }
        formTokens = FormTokens(secret: formSecret, clock: ground.clock)
        headers = PageHeaders(directusURL: configuration.catalog.directusURL)
        // A page's catalog inputs are looked at again at least this often.
        pages = PageCache(
            rendered: RenderedCache(
                maxBytes: max(1, configuration.pageCacheBytes), recheckInterval: min(.seconds(1), configuration.catalog.fresh), metrics: ground.metrics),
            version: catalog.version, headers: headers, clock: ground.clock, keeps: configuration.pageCacheBytes > 0, metrics: ground.metrics)
        messages = MessagePages(renderer: renderer, layout: layout, headers: headers, catalog: catalog)
        models = CatalogPageModels(layout: layout, formTokens: formTokens)
    }
}
