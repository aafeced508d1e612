import AsyncHTTPClient
import Catalog
import Foundation
import Hummingbird
import Logging

/// Builds the whole application; `serve` runs it and tests drive the very same one.
public func buildApplication(
    configuration: AppConfiguration, catalogSource: (any CatalogSource)? = nil, logger: Logger
) async throws -> some ApplicationProtocol {
    let source = try catalogSource ?? makeCatalogSource(configuration: configuration, logger: logger)
    let catalog = Catalog(
        source: source,
        policy: CachePolicy(fresh: configuration.catalogFresh, stale: configuration.catalogStale),
        logger: logger)
    let renderer = try await SiteRenderer(directory: configuration.templatesDirectory)
    let site = Site(catalog: catalog, renderer: renderer, configuration: configuration, logger: logger)
    let router = buildRouter(site: site)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "catalog-bff"),
        logger: logger)
}

/// The catalog source the configuration asks for: Directus, or the demo catalog.
public func makeCatalogSource(configuration: AppConfiguration, logger: Logger) throws -> any CatalogSource {
    guard let directusURL = configuration.directusURL else {
        logger.notice("DIRECTUS_URL is not set: serving the built-in demo catalog")
        return try DemoCatalogSource()
    }
    return DirectusCatalogSource(
        configuration: .init(baseURL: directusURL, token: configuration.directusToken),
        httpClient: HTTPClient.shared, logger: logger)
}

func buildRouter(site: Site) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: ErrorPageMiddleware(site: site))
    router.add(middleware: StaticFilesMiddleware(directory: site.configuration.publicDirectory, logger: site.logger))
    HealthController(site: site).addRoutes(to: router)
    PageController(site: site).addRoutes(to: router)
    CatalogAPIController(site: site).addRoutes(to: router)
    AssetController(site: site).addRoutes(to: router)
    return router
}
