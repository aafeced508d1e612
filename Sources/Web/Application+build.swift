import Assets
import Basics
import SafeText
import Alerts
import AmoCRM
import AsyncHTTPClient
import Catalog
import CoreMetrics
import Foundation
import Hummingbird
import Leads
import Logging
import Mail
import Mustache
import Passport
import Storage

/// Builds the whole application; `serve` runs it and tests drive the very same one.
///
/// This is the one place where the parts meet: each controller is handed the few
/// collaborators it uses, and nothing else (no secret it does not check).
public func buildApplication(
    configuration: AppConfiguration, catalogSource: (any CatalogSource)? = nil, clock: any WallClock = SystemClock(),
    logger: Logger
) async throws -> some ApplicationProtocol {
    // Every part counts into this application's own registry, served at /metrics.
    let telemetry = Telemetry()
    let metrics = telemetry.factory
    let source = try catalogSource ?? makeCatalogSource(configuration: configuration, metrics: metrics, logger: logger)
    let catalog = Catalog(
        source: source,
        policy: CachePolicy(fresh: configuration.catalogFresh, stale: configuration.catalogStale),
        descriptionBytes: configuration.descriptionCacheBytes, metrics: metrics, logger: logger)
    let renderer = try await SiteRenderer(directory: configuration.templatesDirectory)

    let database = try await openDatabase(configuration.database, logger: logger)
    // One secret per database, so that every instance signs form tokens the same way.
    let formSecret = try await Settings.value(FormTokens.secretKey, in: database) { RandomHex.make(bytes: 32) }
    let formTokens = FormTokens(secret: formSecret, clock: clock)
    let leads = LeadStore(database: database, clock: clock, logger: logger)
    // Personal data goes after LEAD_RETENTION_DAYS, or on a customer's request (the admin).
    let eraser = PersonalDataEraser(
        database: database, clock: clock, mailDirectory: configuration.smtp == nil ? configuration.mailDirectory : nil,
        contactKeys: { ContactDirectory.keys(phone: $0, email: $1) }, logger: logger)

    // Delivery: the outbox workers of both channels.
    let transport: any MailTransport =
        configuration.smtp.map { SMTPMailTransport(configuration: $0) } ?? FileMailTransport(directory: configuration.mailDirectory)
    // Work this instance held when it last stopped (killed, say) is due again at once.
    let instance = configuration.instance
    let instances = Instances(database: database, clock: clock)
    try await instances.heartbeat(instance)
    try await leads.releaseLeases(instance: instance)
    let workerConfiguration = OutboxWorker.Configuration(
        lease: configuration.outboxLease, retry: RetryPolicy(maxAttempts: configuration.outboxMaxAttempts), instance: instance)
    let mailTemplates = try MustacheLibrary(safeHTMLDirectory: configuration.templatesDirectory + "/mail")
    let email = OutboxWorker(
        store: leads,
        deliverer: EmailDeliverer(
            transport: MeteredMailTransport(transport, kind: "lead", metrics: metrics), from: configuration.mailFrom, to: configuration.mailTo,
            templates: mailTemplates),
        configuration: workerConfiguration, metrics: metrics, logger: logger)
    let amoTokens = configuration.amoCRM.map { amo in
        TokenManager(
            store: TokenStore(database: database, account: amo.subdomain),
            client: OAuthClient(configuration: amo, httpClient: HTTPClient.shared), longLivedToken: amo.longLivedToken,
            clock: clock, metrics: metrics, logger: logger)
    }
    // One API client, so one pace (7 requests per second) for everything this instance asks amoCRM.
    let amoAPI = configuration.amoCRM.flatMap { amo in
        amoTokens.map { AmoCRMAPI(configuration: amo, httpClient: HTTPClient.shared, tokens: $0, metrics: metrics) }
    }
    var amoDeliverer: AmoCRMDeliverer?
    if let amo = configuration.amoCRM, let amoTokens, let amoAPI {
        amoDeliverer = AmoCRMDeliverer(
            api: amoAPI, tokens: amoTokens, configuration: amo, contacts: ContactDirectory(database: database), logger: logger)
    }
    // Without amoCRM settings its rows wait in the outbox (visible on /admin, no attempts spent).
    // One instance at a time sends, at amoCRM's per-account pace (`AccountPace`).
    let amoWorkerConfiguration = AccountPace.workerConfiguration(workerConfiguration)
    let amoCRM = OutboxWorker(
        store: leads,
        deliverer: amoDeliverer.map { $0 as any LeadDeliverer }
            ?? UnconfiguredChannel(channel: .amocrm, reason: "amoCRM не подключён (AMOCRM_SUBDOMAIN не задан)"),
        configuration: amoWorkerConfiguration, metrics: metrics, logger: logger)
    let workers = [email, amoCRM]

    // The web layer's shared parts.
    let layout = SiteLayout(baseURL: configuration.publicBaseURL)

    // Digital passports of won deals: only with amoCRM, whose events they come from.
    let passports = PassportStore(database: database, clock: clock)
    let passportURL: @Sendable (String) -> String = { layout.absoluteURL(SiteURL.passport($0)) }
    let passportWorker: PassportWorker? = configuration.amoCRM.flatMap { amo -> PassportWorker? in
        guard let amoTokens, let amoAPI else { return nil }
        let deals = AmoCRMDeals(api: amoAPI)
        return PassportWorker(
            store: passports,
            issuer: PassportIssuer(
                deals: deals, fields: amo.fields, leads: leads, catalog: catalog, warrantyMonths: configuration.passportWarrantyMonths,
                productURL: { layout.absoluteURL(SiteURL.product($0)) }),
            deals: deals, tokens: amoTokens,
            mail: PassportMail(
                transport: MeteredMailTransport(transport, kind: "passport", metrics: metrics), from: configuration.mailFrom,
                to: configuration.mailTo, templates: mailTemplates, pageURL: passportURL),
            pageURL: passportURL, instance: instance, logger: logger)
    }
    let wakeWorkers: @Sendable () -> Void = { for worker in workers { worker.wake() } }
    let headers = PageHeaders(directusURL: configuration.directusURL)
    // A page's catalog inputs are looked at again at least this often.
    let pages = PageCache(
        rendered: RenderedCache(
            maxBytes: configuration.pageCacheBytes, recheckInterval: min(.seconds(1), configuration.catalogFresh), metrics: metrics),
        version: catalog.version,
        headers: headers, metrics: metrics)
    let messages = MessagePages(renderer: renderer, layout: layout, headers: headers, catalog: catalog)
    let models = CatalogPageModels(layout: layout, formTokens: formTokens)
    let assets = try AssetStore(
        source: source, directory: configuration.assetCacheDirectory, maxBytes: configuration.assetCacheMaxBytes, logger: logger)
    let intake = LeadIntake(
        store: leads, products: CatalogProductLookup(catalog: catalog, layout: layout), metrics: metrics, logger: logger,
        onAccepted: wakeWorkers)
    let orderLimiter = configuration.orderRateLimit.map { RateLimiter($0, name: "orders", metrics: metrics) }
    let adminGuard = AdminGuard(
        token: configuration.adminToken, messages: messages, trustedProxies: configuration.trustedProxies,
        failures: RateLimiter(AdminGuard.failureLimit, name: "admin_failures", metrics: metrics))
    // Wrong ingest keys, preview and webhook secrets, counted per client and endpoint.
    func guesses(_ name: String) -> SecretGuesses {
        SecretGuesses(name: name, trustedProxies: configuration.trustedProxies, metrics: metrics)
    }
    let operators = OperatorAccess(
        allow: configuration.metricsAllow, trustedProxies: configuration.trustedProxies, adminToken: configuration.adminToken,
        failures: adminGuard.failures)

    let router = Router(context: AppRequestContext.self)
    // Outermost: it sees the status every other middleware settled on.
    router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
    router.add(middleware: ErrorPageMiddleware(messages: messages, logger: logger))
    router.add(middleware: CrossSiteMiddleware(siteOrigin: configuration.publicBaseURL, messages: messages))
    router.add(middleware: StaticFilesMiddleware(directory: configuration.publicDirectory, logger: logger))
    let breakers = workers.filter { !$0.deliverer.switchedOff }.map(\.breaker)
    // Operator alerts: mailed once per incident and once when it clears (one instance mails).
    let alertLeader: @Sendable () async -> Bool =
        configuration.amoCRM != nil
        ? { @Sendable in amoCRM.holdsRole } : Alerter.roleLeader(instance: instance, database: database, clock: clock, duration: .seconds(30))
    let alerts = AlertStore(database: database, clock: clock)
    let operatorAlerts = OperatorAlerts(
        catalog: CatalogUpstream(catalog: catalog), crm: amoTokens, channelKeys: DeliveryChannel.allCases.map(\.rawValue), channels: breakers,
        deliveries: leads, after: configuration.alertAfter)
    let alerter = Alerter(
        store: alerts,
        mail: AlertMail(
            transport: MeteredMailTransport(transport, kind: "alert", metrics: metrics), from: configuration.mailFrom,
            to: configuration.alertTo ?? configuration.mailTo, templates: mailTemplates, adminURL: layout.absoluteURL(SiteURL.admin)),
        // The instance that sends to amoCRM looks: its breaker is the one that knows amoCRM.
        configuration: .init(leader: alertLeader), logger: logger, checks: operatorAlerts.checks)
    let amoEvents = AmoCRMEvents(database: database, clock: clock)
    HealthController(catalog: catalog, leads: leads, amoTokens: amoTokens, breakers: breakers, alerts: alerts, access: operators)
        .addRoutes(to: router)
    MetricsController(
        telemetry: telemetry, catalog: catalog, pages: pages, assets: assets, leads: leads, amoTokens: amoTokens, breakers: breakers,
        amoEvents: amoEvents, passports: passports, alerts: alerts, clock: clock, access: operators
    ).addRoutes(to: router)
    AmoCRMController(
        account: configuration.amoCRM?.account, tokens: amoTokens, deliverer: amoDeliverer,
        onConnected: {
            wakeWorkers()
            passportWorker?.wake()
        },
        states: OAuthStates(database: database, clock: clock), guardian: adminGuard, forms: AdminForms(tokens: formTokens),
        messages: messages, trustedProxies: configuration.trustedProxies, logger: logger
    ).addRoutes(to: router)
    PageController(catalog: catalog, pages: pages, renderer: renderer, layout: layout, models: models, formTokens: formTokens)
        .addRoutes(to: router)
    OrderController(
        catalog: catalog, pages: pages, renderer: renderer, layout: layout, models: models, formTokens: formTokens,
        messages: messages, intake: intake,
        leads: leads, limiter: orderLimiter, trustedProxies: configuration.trustedProxies
    ).addRoutes(to: router)
    AdminController(
        leads: leads, catalog: catalog, pages: pages, renderer: renderer, layout: layout, messages: messages, formTokens: formTokens,
        guardian: adminGuard,
        channelStatus: {
            var status: [DeliveryChannel: String] = [:]
            for worker in workers {
                let down = worker.breaker.open.map { "не работает с \(MoscowTime.format($0.since)): \($0.reason)" }
                status[worker.deliverer.channel] = await worker.deliverer.unavailableReason() ?? down
            }
            return status
        },
        alerts: alerts, amoTokens: amoTokens,
        amoCRMWebhookURL: configuration.amoCRMWebhookToken.map {
            layout.absoluteURL(SiteURL.amoCRMCallback) + "?token=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)
        },
        eraser: eraser, clock: clock, wakeWorkers: wakeWorkers, logger: logger
    ).addRoutes(to: router)
    PassportAdminController(
        passports: passports, catalog: catalog, pages: pages, renderer: renderer, layout: layout, messages: messages,
        forms: AdminForms(tokens: formTokens), guardian: adminGuard, wakeWorker: { passportWorker?.wake() }, logger: logger
    ).addRoutes(to: router)
    LeadsAPIController(
        intake: intake, ipLimiter: orderLimiter, keyLimiter: configuration.orderRateLimit.map { RateLimiter($0, name: "ingest", metrics: metrics) },
        ingestKeys: configuration.ingestKeys, guesses: guesses("ingest_key_failures"), trustedProxies: configuration.trustedProxies
    ).addRoutes(to: router)
    CatalogAPIController(catalog: catalog, pages: pages, layout: layout).addRoutes(to: router)
    SuggestController(catalog: catalog, layout: layout, answers: SuggestAnswers()).addRoutes(to: router)
    // Preview image links are signed with a key of their own, kept in the database (all
    // instances verify each other's links): PREVIEW_SECRET sits in every editor's preview URL.
    var previewImages: PreviewImages?
    if configuration.previewSecret != nil {
        let key = try await Settings.value(PreviewImages.keySetting, in: database) { RandomHex.make(bytes: 32) }
        previewImages = PreviewImages(secret: key, clock: clock)
    }
    AssetController(
        assets: assets, catalog: catalog, previewImages: previewImages, trustedProxies: configuration.trustedProxies, logger: logger
    ).addRoutes(to: router)
    let purges = CatalogPurges(
        catalog: catalog, dropImages: { ids in for id in ids { await assets.remove(fileID: id) } }, broadcast: DatabaseBroadcast(database: database),
        instance: instance, logger: logger)
    DirectusWebhookController(secret: configuration.directusWebhookSecret, purges: purges, guesses: guesses("directus_secret_failures"), logger: logger)
        .addRoutes(to: router)
    AmoCRMWebhookController(
        subdomain: configuration.amoCRM?.subdomain, token: configuration.amoCRM == nil ? nil : configuration.amoCRMWebhookToken,
        events: amoEvents, onRecorded: { passportWorker?.wake() }, guesses: guesses("amocrm_token_failures"),
        limiter: RateLimiter(AmoCRMWebhookController.limit, name: "amocrm_webhook", metrics: metrics),
        trustedProxies: configuration.trustedProxies, logger: logger
    ).addRoutes(to: router)
    PassportController<AppRequestContext>(
        passports: passports, catalog: catalog, renderer: renderer, layout: layout, pages: pages, clock: clock
    ).addRoutes(to: router)
    PreviewController(
        secret: configuration.previewSecret, images: previewImages, catalog: catalog, renderer: renderer, models: models, messages: messages,
        headers: headers, guesses: guesses("preview_secret_failures")
    ).addRoutes(to: router)
    FeedController(catalog: catalog, pages: pages, layout: layout, clock: clock).addRoutes(to: router)

    let limits = ConnectionLimits.Configuration(
        headTimeout: .seconds(configuration.requestHeadTimeout.components.seconds),
        idleTimeout: .seconds(configuration.keepAliveTimeout.components.seconds))
    let fastPages = FastPages(cache: pages.rendered, version: catalog.version, serverName: "catalog-bff")
    var app = Application(
        responder: HeadAsGetResponder(base: router.buildResponder()),
        server: .http1(
            configuration: .init(additionalChannelHandlers: [ConnectionLimits(configuration: limits), CachedPageHandler(pages: fastPages)])),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "catalog-bff"),
        logger: logger)
    app.addServices(DatabaseService(database: database))
    // Stops after the workers (services stop in reverse order): then nothing is in flight.
    app.addServices(
        InstanceHeartbeat(instances: instances, id: instance, logger: logger) {
            _ = try? await leads.releaseLeases(instance: instance)
        })
    app.addServices(purges)
    app.addServices(workers)
    if let passportWorker { app.addServices(passportWorker) }
    app.addServices(alerter)
    if let days = configuration.leadRetentionDays { app.addServices(RetentionWorker(eraser: eraser, days: days, logger: logger)) }
    if let amoTokens, configuration.amoCRM?.longLivedToken == nil {
        app.addServices(TokenKeeper(tokens: amoTokens, logger: logger))
    }
    return app
}

/// The catalog source the configuration asks for: Directus, or the demo catalog.
public func makeCatalogSource(
    configuration: AppConfiguration, metrics: any MetricsFactory = NOOPMetricsHandler.instance, logger: Logger
) throws -> any CatalogSource {
    guard let directusURL = configuration.directusURL else {
        logger.notice("DIRECTUS_URL is not set: serving the built-in demo catalog")
        return try DemoCatalogSource()
    }
    return DirectusCatalogSource(
        configuration: .init(
            baseURL: directusURL, token: configuration.directusToken,
            timeout: .seconds(configuration.directusTimeout.components.seconds), maxResponseBytes: configuration.directusMaxResponseBytes),
        httpClient: HTTPClient.shared, metrics: metrics, logger: logger)
}

/// The catalog's source as the alert rules read it.
struct CatalogUpstream: CatalogUpstreamSignal {
    let catalog: Catalog
    var upstreamFailure: (servingStale: Bool, reason: String)? { catalog.upstreamFailure }
    var upstreamKnown: Bool { catalog.upstreamKnown }
}

/// The database's `LISTEN/NOTIFY` carries catalog purges to the other instances.
struct DatabaseBroadcast: PurgeBroadcast {
    let database: any Database
    func notify(_ channel: String, payload: String) async throws { try await database.notify(channel, payload: payload) }
    func listen(_ channel: String, receive: @escaping @Sendable (String) async -> Void) async throws {
        try await database.listen(channel, receive: receive)
    }
}
