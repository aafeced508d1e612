import AmoCRM
import AsyncHTTPClient
import Catalog
import Foundation
import Hummingbird
import Leads
import Logging
import Mail
import Mustache
import Storage

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

    let database = try await openDatabase(configuration.database, logger: logger)
    // One secret per database, so that every instance signs form tokens the same way.
    let formSecret = try await Settings.value(FormTokens.secretKey, in: database) { FormTokens.randomSecret() }
    let store = LeadStore(database: database, logger: logger)
    let transport: any MailTransport =
        configuration.smtp.map { SMTPMailTransport(configuration: $0) } ?? FileMailTransport(directory: configuration.mailDirectory)
    let workerConfiguration = OutboxWorker.Configuration(
        lease: configuration.outboxLease, retry: RetryPolicy(maxAttempts: configuration.outboxMaxAttempts))
    let email = OutboxWorker(
        store: store,
        deliverer: EmailDeliverer(
            transport: transport, from: configuration.mailFrom, to: configuration.mailTo,
            templates: try await MustacheLibrary(directory: configuration.templatesDirectory + "/mail")),
        configuration: workerConfiguration, logger: logger)
    let amoTokens = configuration.amoCRM.map { amo in
        TokenManager(
            store: TokenStore(database: database, account: amo.subdomain),
            client: OAuthClient(configuration: amo, httpClient: HTTPClient.shared), longLivedToken: amo.longLivedToken,
            logger: logger)
    }
    var amoDeliverer: AmoCRMDeliverer?
    if let amo = configuration.amoCRM, let amoTokens {
        amoDeliverer = AmoCRMDeliverer(
            api: AmoCRMAPI(configuration: amo, httpClient: HTTPClient.shared, tokens: amoTokens), tokens: amoTokens,
            configuration: amo, contacts: ContactDirectory(database: database), logger: logger)
    }
    // Without amoCRM settings its rows wait in the outbox (visible on /admin, no attempts spent).
    var amoWorkerConfiguration = workerConfiguration
    amoWorkerConfiguration.batchSize = 50
    let amoCRM = OutboxWorker(
        store: store,
        deliverer: amoDeliverer.map { $0 as any LeadDeliverer }
            ?? UnconfiguredChannel(channel: "amocrm", reason: "amoCRM не подключён (AMOCRM_SUBDOMAIN не задан)"),
        configuration: amoWorkerConfiguration, logger: logger)
    let workers = [email, amoCRM]

    let assets = try AssetStore(
        source: source, directory: configuration.assetCacheDirectory, maxBytes: configuration.assetCacheMaxBytes, logger: logger)
    let site = Site(
        catalog: catalog, renderer: renderer, configuration: configuration, formTokens: FormTokens(secret: formSecret),
        assets: assets, logger: logger)
    let desk = OrderDesk(
        store: store, catalog: catalog, baseURL: configuration.publicBaseURL, rateLimit: configuration.orderRateLimit,
        logger: logger, wakeWorkers: { for worker in workers { worker.wake() } })
    let router = buildRouter(
        site: site, desk: desk, database: database, workers: workers, amoTokens: amoTokens, amoDeliverer: amoDeliverer)
    let fastPages = FastPages(cache: site.cache, version: catalog.version, serverName: "catalog-bff")
    var app = Application(
        responder: HeadAsGetResponder(base: router.buildResponder()),
        server: .http1(configuration: .init(additionalChannelHandlers: [CachedPageHandler(pages: fastPages)])),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "catalog-bff"),
        logger: logger)
    app.addServices(DatabaseService(database: database))
    app.addServices(workers)
    if let amoTokens, configuration.amoCRM?.longLivedToken == nil {
        app.addServices(TokenKeeper(tokens: amoTokens, logger: logger))
    }
    return app
}

/// The catalog source the configuration asks for: Directus, or the demo catalog.
public func makeCatalogSource(configuration: AppConfiguration, logger: Logger) throws -> any CatalogSource {
    guard let directusURL = configuration.directusURL else {
        logger.notice("DIRECTUS_URL is not set: serving the built-in demo catalog")
        return try DemoCatalogSource()
    }
    return DirectusCatalogSource(
        configuration: .init(
            baseURL: directusURL, token: configuration.directusToken,
            timeout: .seconds(configuration.directusTimeout.components.seconds)),
        httpClient: HTTPClient.shared, logger: logger)
}

func buildRouter(
    site: Site, desk: OrderDesk, database: any Database, workers: [OutboxWorker], amoTokens: TokenManager?,
    amoDeliverer: AmoCRMDeliverer?
) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: ErrorPageMiddleware(site: site))
    router.add(middleware: CrossSiteMiddleware(siteOrigin: site.configuration.publicBaseURL, site: site))
    router.add(middleware: StaticFilesMiddleware(directory: site.configuration.publicDirectory, logger: site.logger))
    let operators = OperatorAccess(configuration: site.configuration)
    let adminGuard = AdminGuard(
        token: site.configuration.adminToken, site: site, failures: RateLimiter(AdminGuard.failureLimit))
    HealthController(site: site, desk: desk, amoTokens: amoTokens, access: operators).addRoutes(to: router)
    MetricsController(site: site, desk: desk, amoTokens: amoTokens, access: operators).addRoutes(to: router)
    AmoCRMController(
        site: site, configuration: site.configuration.amoCRM, tokens: amoTokens, deliverer: amoDeliverer,
        onConnected: desk.wakeWorkers, states: OAuthStates(database: database), guardian: adminGuard
    ).addRoutes(to: router)
    PageController(site: site).addRoutes(to: router)
    OrderController(site: site, desk: desk).addRoutes(to: router)
    AdminController(site: site, desk: desk, guardian: adminGuard) {
        var status: [String: String?] = [:]
        for worker in workers { status[worker.deliverer.channel] = await worker.deliverer.unavailableReason() }
        return status
    }.addRoutes(to: router)
    LeadsAPIController(site: site, desk: desk).addRoutes(to: router)
    CatalogAPIController(site: site).addRoutes(to: router)
    AssetController(site: site).addRoutes(to: router)
    DirectusWebhookController(site: site).addRoutes(to: router)
    PreviewController(site: site).addRoutes(to: router)
    FeedController(site: site).addRoutes(to: router)
    return router
}
