import Assets
import AsyncHTTPClient
import Catalog
import CoreMetrics
import Logging
import ServiceLifecycle
import Storage

/// The catalog: its source (Directus or the demo), the cache, the image store and the purges
/// Directus sends.
struct CatalogFeature {
    let source: any CatalogSource
    let catalog: Catalog
    let assets: AssetStore
    let purges: CatalogPurges

    init(_ ground: Groundwork, source given: (any CatalogSource)?) throws {
        let configuration = ground.configuration
        source = try given ?? makeCatalogSource(configuration: configuration, metrics: ground.metrics, logger: ground.logger)
        let catalog = Catalog(
            source: source, policy: CachePolicy(fresh: configuration.catalog.fresh, stale: configuration.catalog.stale),
            clock: ground.clock, descriptionBytes: configuration.descriptionCacheBytes, metrics: ground.metrics, logger: ground.logger)
        self.catalog = catalog
        let assets = try AssetStore(
            source: source, directory: configuration.assets.directory, maxBytes: configuration.assets.maxBytes, logger: ground.logger)
        self.assets = assets
        purges = CatalogPurges(
            catalog: catalog, dropImages: { ids in for id in ids { await assets.remove(fileID: id) } },
            broadcast: DatabaseBroadcast(database: ground.database), instance: ground.instance, logger: ground.logger)
    }

    var services: [any Service] { [purges] }
}

/// The catalog source the configuration asks for: Directus, or the demo catalog.
public func makeCatalogSource(
    configuration: AppConfiguration, metrics: any MetricsFactory = NOOPMetricsHandler.instance, logger: Logger
) throws -> any CatalogSource {
    guard let directusURL = configuration.catalog.directusURL else {
        logger.notice("DIRECTUS_URL is not set: serving the built-in demo catalog")
        return try DemoCatalogSource()
    }
    return DirectusCatalogSource(
        configuration: .init(
            baseURL: directusURL, token: configuration.catalog.directusToken,
            timeout: .seconds(configuration.catalog.directusTimeout.components.seconds), mapping: configuration.catalog.mapping,
            maxResponseBytes: configuration.catalog.maxResponseBytes),
        httpClient: HTTPClient.shared, metrics: metrics, logger: logger)
}

/// The database's `LISTEN/NOTIFY` carries catalog purges to the other instances.
struct DatabaseBroadcast: PurgeBroadcast {
    let database: any Database
    func notify(_ channel: String, payload: String) async throws { try await database.notify(channel, payload: payload) }
    func listen(_ channel: String, receive: @escaping @Sendable (String) async -> Void) async throws {
        try await database.listen(channel, receive: receive)
    }
}
