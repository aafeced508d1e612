import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// What the web layer needs, built once at start-up.
struct Site: Sendable {
    let catalog: Catalog
    let renderer: SiteRenderer
    let cache: RenderedCache
    let configuration: AppConfiguration
    let logger: Logger
    /// Security headers for every HTML page.
    let pageHeaders: HTTPFields
    /// Editor previews: Directus shows them in an iframe, and nothing may keep them.
    let previewHeaders: HTTPFields
    let formTokens: FormTokens
    let assets: AssetStore

    init(
        catalog: Catalog, renderer: SiteRenderer, configuration: AppConfiguration, formTokens: FormTokens, assets: AssetStore,
        logger: Logger
    ) {
        self.catalog = catalog
        self.assets = assets
        self.formTokens = formTokens
        self.renderer = renderer
        self.configuration = configuration
        self.logger = logger
        // A page's catalog inputs are looked at again at least this often.
        cache = RenderedCache(recheckInterval: min(.seconds(1), configuration.catalogFresh))
        let policy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; base-uri 'self'"
        pageHeaders = [
            .contentSecurityPolicy: policy + "; frame-ancestors 'self'",
            .xContentTypeOptions: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "strict-origin-when-cross-origin",
        ]
        var preview = pageHeaders
        let directusOrigin = configuration.directusURL.flatMap(Self.origin)
        preview[.contentSecurityPolicy] = policy + "; frame-ancestors 'self'" + (directusOrigin.map { " " + $0 } ?? "")
        preview[.cacheControl] = "no-store"
        preview[HTTPField.Name("X-Robots-Tag")!] = "noindex, nofollow"
        // The preview URL carries the secret: not even this site's own access logs get it
        // as the Referer of the page's styles, images and links.
        preview[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        previewHeaders = preview
    }

    /// `https://cms.example.ru:8443` of a URL.
    static func origin(_ text: String) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme, let host = url.host else { return nil }
        return "\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")"
    }

    /// The order form token of the current window (pages with the form are cached per window).
    func formToken() -> String { formTokens.token() }

    func formWindow() -> Int64 { formTokens.currentWindow() }

    func absoluteURL(_ path: String) -> String {
        configuration.publicBaseURL + path
    }

    /// What a page handler found: data to render, or a response that is not cached (a redirect).
    enum Prepared<Input> {
        case input(Input)
        case response(Response)
    }

    /// Serves `key` from the rendered cache, or reads the page's data through the catalog
    /// (`prepare`) and renders it once for this catalog version. A nil key is never cached
    /// (search results: every query would be a new key).
    func cached<Input>(
        _ key: String?, request: Request, prepare: () async throws -> Prepared<Input>,
        render: (Input) throws -> RenderedResponse
    ) async throws -> Response {
        // The version is read before the data, so a change during the read is never
        // stored under the old version.
        let version = catalog.version.current
        let now = ContinuousClock.now
        var previous: RenderedResponse?
        if let key {
            switch cache.get(key, version: version, now: now) {
            case .fresh(let hit): return response(hit, for: request)
            case .recheck(let hit): previous = hit
            case .miss: break
            }
        }
        let input: Input
        switch try await prepare() {
        case .response(let response): return response
        case .input(let value): input = value
        }
        if let key, let previous, catalog.version.current == version {
            cache.touch(key, version: version, now: now)
            rememberTarget(request, key: key)
            return response(previous, for: request)
        }
        let rendered = finish(try render(input))
        if let key {
            cache.put(key, version: version, now: now, rendered)
            rememberTarget(request, key: key)
        }
        return response(rendered, for: request)
    }

    /// A plain GET of this exact target may be answered from the cache on the event loop
    /// from now on (`CachedPageHandler`).
    private func rememberTarget(_ request: Request, key: String) {
        guard request.method == .get, let target = request.head.path else { return }
        cache.remember(target: target, key: key)
    }

    /// Builds the full header set of a rendered response once.
    func finish(_ rendered: RenderedResponse, cacheControl: String = "no-cache") -> RenderedResponse {
        var finished = rendered
        var headers = rendered.contentType.hasPrefix("text/html") ? pageHeaders : [:]
        headers[.contentType] = rendered.contentType
        headers[.cacheControl] = cacheControl
        headers[.eTag] = rendered.etag
        finished.headers = headers
        return finished
    }

    /// A 200 from finished bytes, or 304 when the browser already has them.
    func response(_ rendered: RenderedResponse, for request: Request) -> Response {
        if let match = request.headers[.ifNoneMatch], match.contains(rendered.etag) {
            return Response(status: .notModified, headers: rendered.headers)
        }
        return Response(status: .ok, headers: rendered.headers, body: .init(byteBuffer: rendered.body))
    }

    /// Navigation for the layout: top-level categories.
    func layout(
        _ index: CatalogIndex?, title: String, description: String, canonicalPath: String?, activeCategoryID: Int? = nil,
        breadcrumbs: [Crumb] = [], query: String = "", noindex: Bool = false
    ) -> LayoutModel {
        let roots = index?.rootCategories ?? []
        let activeRoot = activeCategoryID.flatMap { id in index?.category(id: id) }.flatMap { index?.path(to: $0).first }
        let canonicalURL = canonicalPath.map(absoluteURL)
        return LayoutModel(
            title: title == LayoutModel.siteName ? title : "\(title) — \(LayoutModel.siteName)",
            metaDescription: description,
            canonicalURL: canonicalURL,
            nav: roots.map { NavItem(name: $0.name, url: SiteURL.category($0.slug), active: $0.id == activeRoot?.id) },
            noindex: noindex,
            query: query,
            breadcrumbs: breadcrumbs,
            openGraph: canonicalURL.map { OpenGraphModel(type: "website", title: title, description: description, url: $0) })
    }
}
