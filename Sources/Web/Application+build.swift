import AmoCRM
import Basics
import Catalog
import Foundation
import Hummingbird
import Leads
import Logging
import Storage

/// Builds the whole application; `serve` runs it and tests drive the very same one.
///
/// It reads as a table of contents: the groundwork, then each feature's parts (built in
/// `Assembly/`), the router that hands each controller its few collaborators (of the secrets
/// a visitor presents, only the ones it checks), and the services in the order they start
/// (they stop in reverse).
public func buildApplication(
    configuration: AppConfiguration, catalogSource: (any CatalogSource)? = nil, clock: any WallClock = SystemClock(),
    logger: Logger
) async throws -> some ApplicationProtocol {
    let ground = try await Groundwork(configuration: configuration, clock: clock, logger: logger)
    // Whatever fails after the database is open closes it again: start-up ends with the
    // error's one line, not a driver's assertion.
    do {
        let catalog = try CatalogFeature(ground, source: catalogSource)
        let site = try await SitePages(ground, catalog: catalog.catalog)
        let amo = AmoCRMFeature(ground)
        let leads = try await LeadsFeature(ground, catalog: catalog.catalog, layout: site.layout, amo: amo)
        let passports = PassportFeature(ground, catalog: catalog.catalog, leads: leads, amo: amo, layout: site.layout)
        let alerts = AlertsFeature(ground, catalog: catalog.catalog, leads: leads, amo: amo, layout: site.layout)
        let indexing = IndexingFeature(ground, catalog: catalog.catalog)
        let router = try await buildRouter(
            ground, site: site, catalog: catalog, leads: leads, amo: amo, passports: passports, alerts: alerts, indexing: indexing)

        let limits = ConnectionLimits.Configuration(
            headTimeout: .seconds(configuration.requestHeadTimeout.components.seconds),
            idleTimeout: .seconds(configuration.keepAliveTimeout.components.seconds))
        let fastPages = FastPages(cache: site.pages.rendered, version: catalog.catalog.version, serverName: "catalog-bff", clock: clock)
        var app = Application(
            responder: HeadAsGetResponder(base: router.buildResponder()),
            server: .http1(
                configuration: .init(additionalChannelHandlers: [ConnectionLimits(configuration: limits), CachedPageHandler(pages: fastPages)])),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "catalog-bff"),
            logger: logger)
        app.addServices(DatabaseService(database: ground.database))
        // Stops after the workers (services stop in reverse order): then nothing is in flight.
        app.addServices(
            InstanceHeartbeat(instances: ground.instances, id: ground.instance, logger: logger) {
                _ = try? await leads.store.releaseLeases(instance: ground.instance)
            })
        app.addServices(catalog.services)
        app.addServices(indexing.services)
        app.addServices(leads.workers)
        if let worker = passports.worker { app.addServices(worker) }
        app.addServices(alerts.alerter)
        app.addServices(leads.retention)
        app.addServices(amo.services)
        return app
    } catch {
        await ground.database.close()
        throw error
    }
}

/// The routes: middleware outermost first, then each controller with what it uses.
func buildRouter(
    _ ground: Groundwork, site: SitePages, catalog: CatalogFeature, leads: LeadsFeature, amo: AmoCRMFeature, passports: PassportFeature,
    alerts: AlertsFeature, indexing: IndexingFeature
) async throws -> Router<AppRequestContext> {
    let configuration = ground.configuration
    let (clock, logger, metrics) = (ground.clock, ground.logger, ground.metrics)
    let adminGuard = AdminGuard(
        token: configuration.adminToken, messages: site.messages, trustedProxies: configuration.trustedProxies,
        failures: RateLimiter(AdminGuard.failureLimit, name: "admin_failures", metrics: metrics))
    let operators = OperatorAccess(
        allow: configuration.metricsAllow, trustedProxies: configuration.trustedProxies, adminToken: configuration.adminToken,
        failures: adminGuard.failures)
    let adminForms = AdminForms(tokens: site.formTokens)

    let router = Router(context: AppRequestContext.self)
    // Outermost: it sees the status every other middleware settled on.
    router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
    router.add(middleware: ErrorPageMiddleware(messages: site.messages, logger: logger))
    router.add(middleware: CrossSiteMiddleware(siteOrigin: configuration.publicBaseURL, messages: site.messages))
    router.add(middleware: StaticFilesMiddleware(directory: configuration.publicDirectory, logger: logger))

    // Operators: health, metrics.
    HealthController(
        catalog: catalog.catalog, leads: leads.store, amoTokens: amo.tokens, breakers: leads.breakers, alerts: alerts.store, access: operators,
        clock: clock
    ).addRoutes(to: router)
    MetricsController(
        telemetry: ground.telemetry, catalog: catalog.catalog, pages: site.pages, assets: catalog.assets, leads: leads.store, amoTokens: amo.tokens,
        breakers: leads.breakers, amoEvents: amo.events, passports: passports.store, alerts: alerts.store,
        pageChanges: indexing.changes, indexNow: indexing.queue, clock: clock, access: operators
    ).addRoutes(to: router)

    // Visitors: pages, orders, the JSON API, images.
    PageController(catalog: catalog.catalog, site: site).addRoutes(to: router)
    OrderController(
        catalog: catalog.catalog, site: site, intake: leads.intake, leads: leads.store, limiter: leads.orderLimiter,
        trustedProxies: configuration.trustedProxies
    ).addRoutes(to: router)
    LeadsAPIController(
        intake: leads.intake, ipLimiter: leads.orderLimiter,
        keyLimiter: configuration.orderRateLimit.map { RateLimiter($0, name: "ingest", metrics: metrics) },
        ingestKeys: configuration.ingestKeys, guesses: ground.guesses("ingest_key_failures"), trustedProxies: configuration.trustedProxies
    ).addRoutes(to: router)
    CatalogAPIController(catalog: catalog.catalog, site: site).addRoutes(to: router)
    SuggestController(catalog: catalog.catalog, layout: site.layout, answers: SuggestAnswers()).addRoutes(to: router)
    FeedController(catalog: catalog.catalog, changes: indexing.changes, pages: site.pages, layout: site.layout, clock: clock).addRoutes(to: router)
    IndexNowKeyController<AppRequestContext>(key: configuration.indexNow.key).addRoutes(to: router)
    PassportController<AppRequestContext>(passports: passports.store, catalog: catalog.catalog, site: site, clock: clock).addRoutes(to: router)
    // Preview image links are signed with a key of their own, kept in the database (all
    // instances verify each other's links): PREVIEW_SECRET sits in every editor's preview URL.
    var previewImages: PreviewImages?
    if configuration.previewSecret != nil {
        let key = try await Settings.value(PreviewImages.keySetting, in: ground.database) { RandomHex.make(bytes: 32) }
        previewImages = PreviewImages(secret: key, clock: clock)
    }
    AssetController(
        assets: catalog.assets, catalog: catalog.catalog, previewImages: previewImages, trustedProxies: configuration.trustedProxies,
        logger: logger
    ).addRoutes(to: router)

    // Editors and other systems: previews, webhooks.
    PreviewController(
        secret: configuration.previewSecret, images: previewImages, catalog: catalog.catalog, site: site,
        guesses: ground.guesses("preview_secret_failures"), mapping: configuration.catalog.mapping
    ).addRoutes(to: router)
    DirectusWebhookController(
        secret: configuration.directusWebhookSecret, purges: catalog.purges, guesses: ground.guesses("directus_secret_failures"),
        mapping: configuration.catalog.mapping, logger: logger
    ).addRoutes(to: router)
    AmoCRMWebhookController(
        subdomain: amo.configuration?.subdomain, token: amo.configuration == nil ? nil : configuration.amoCRMWebhookToken,
        events: amo.events, onRecorded: { passports.wake() }, guesses: ground.guesses("amocrm_token_failures"),
        limiter: RateLimiter(AmoCRMWebhookController.limit, name: "amocrm_webhook", metrics: metrics),
        trustedProxies: configuration.trustedProxies, logger: logger
    ).addRoutes(to: router)

    // The admin: leads, amoCRM's connection, passports.
    AmoCRMController(
        account: amo.configuration?.account, tokens: amo.tokens, deliverer: amo.deliverer,
        onConnected: {
            leads.wakeWorkers()
            passports.wake()
        },
        states: OAuthStates(database: ground.database, clock: clock), guardian: adminGuard, forms: adminForms, messages: site.messages,
        trustedProxies: configuration.trustedProxies, clock: clock, logger: logger
    ).addRoutes(to: router)
    let workers = leads.workers
    AdminController(
        leads: leads.store, catalog: catalog.catalog, site: site, guardian: adminGuard,
        channelStatus: {
            var status: [DeliveryChannel: String] = [:]
            for worker in workers {
                let down = worker.breaker.open.map { "не работает с \(MoscowTime.format($0.since)): \($0.reason)" }
                status[worker.deliverer.channel] = await worker.deliverer.unavailableReason() ?? down
            }
            return status
        },
        alerts: alerts.store, amoTokens: amo.tokens,
        amoCRMWebhookURL: configuration.amoCRMWebhookURL,
        eraser: leads.eraser, clock: clock, wakeWorkers: { leads.wakeWorkers() }, logger: logger
    ).addRoutes(to: router)
    HealthAdminController(
        doctor: Doctor(configuration: configuration, logger: logger),
        running: Doctor.Running(database: ground.database, amoCRM: amo.api.flatMap { api in amo.tokens.map { (api, $0) } }),
        catalog: catalog.catalog, site: site, guardian: adminGuard, forms: adminForms, clock: clock
    ).addRoutes(to: router)
    PassportAdminController(
        passports: passports.store, catalog: catalog.catalog, site: site, forms: adminForms, guardian: adminGuard,
        wakeWorker: { passports.wake() }, logger: logger
    ).addRoutes(to: router)
    return router
}
