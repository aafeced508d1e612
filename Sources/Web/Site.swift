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

    init(catalog: Catalog, renderer: SiteRenderer, configuration: AppConfiguration, logger: Logger) {
        self.catalog = catalog
        self.renderer = renderer
        self.configuration = configuration
        self.logger = logger
        cache = RenderedCache()
        // Images may be redirected to Directus' asset host; nothing else leaves this origin.
        var imageSources = "'self' data:"
        if let directus = configuration.directusURL, let url = URL(string: directus), let scheme = url.scheme, let host = url.host {
            imageSources += " \(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")"
        }
        pageHeaders = [
            .contentSecurityPolicy:
                "default-src 'self'; img-src \(imageSources); style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'self'",
            .xContentTypeOptions: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "strict-origin-when-cross-origin",
        ]
    }

    func absoluteURL(_ path: String) -> String {
        configuration.publicBaseURL + path
    }

    /// A response from rendered bytes; answers 304 when the browser already has them.
    func response(_ rendered: RenderedResponse, for request: Request, status: HTTPResponse.Status = .ok, cacheControl: String = "no-cache")
        -> Response
    {
        var headers = rendered.contentType.hasPrefix("text/html") ? pageHeaders : [:]
        headers[.contentType] = rendered.contentType
        headers[.cacheControl] = cacheControl
        guard status == .ok else {
            return Response(status: status, headers: headers, body: .init(byteBuffer: rendered.body))
        }
        headers[.eTag] = rendered.etag
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == rendered.etag }) {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: rendered.body))
    }

    /// Serves `key` from the rendered cache, or renders it once for this catalog version.
    /// `version` must be read before the data the page is built from.
    func cached(_ key: String?, version: UInt64, request: Request, render: () throws -> RenderedResponse) rethrows -> Response {
        if let key, let hit = cache.get(key, version: version) {
            return response(hit, for: request)
        }
        let rendered = try render()
        if let key { cache.put(key, version: version, rendered) }
        return response(rendered, for: request)
    }

    /// Navigation for the layout: top-level categories.
    func layout(
        _ index: CatalogIndex?, title: String, description: String, canonicalPath: String?, activeCategoryID: Int? = nil,
        breadcrumbs: [Crumb] = [], query: String = "", noindex: Bool = false
    ) -> LayoutModel {
        let roots = index?.rootCategories ?? []
        let activeRoot = activeCategoryID.flatMap { id in index?.category(id: id) }.flatMap { index?.path(to: $0).first }
        return LayoutModel(
            title: title == LayoutModel.siteName ? title : "\(title) — \(LayoutModel.siteName)",
            metaDescription: description,
            canonicalURL: canonicalPath.map(absoluteURL),
            nav: roots.map { NavItem(name: $0.name, url: SiteURL.category($0.slug), active: $0.id == activeRoot?.id) },
            noindex: noindex,
            query: query,
            breadcrumbs: breadcrumbs)
    }
}
