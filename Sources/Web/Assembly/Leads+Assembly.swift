import AmoCRM
import Catalog
import Leads
import Logging
import ServiceLifecycle
import Storage

/// Leads: the store, intake for every source, the outbox workers of both channels, and the
/// eraser of personal data.
struct LeadsFeature {
    let store: LeadStore
    let intake: LeadIntake
    let email: OutboxWorker
    let amoCRM: OutboxWorker
    let eraser: PersonalDataEraser
    /// Orders per client (`ORDER_RATE_LIMIT`); nil when off.
    let orderLimiter: RateLimiter?
    let retentionDays: Int?
    let logger: Logger

    var workers: [OutboxWorker] { [email, amoCRM] }
    /// The breakers of the channels that are switched on.
    var breakers: [ChannelBreaker] { workers.filter { !$0.deliverer.switchedOff }.map(\.breaker) }

    init(_ ground: Groundwork, catalog: Catalog, layout: SiteLayout, amo: AmoCRMFeature) async throws {
        let configuration = ground.configuration
        logger = ground.logger
        store = LeadStore(database: ground.database, clock: ground.clock, logger: ground.logger)
        // Work this instance held when it last stopped (killed, say) is due again at once.
        try await store.releaseLeases(instance: ground.instance)
        // Personal data goes after LEAD_RETENTION_DAYS, or on a customer's request (the admin).
        eraser = PersonalDataEraser(
            database: ground.database, clock: ground.clock, mailDirectory: configuration.mail.smtp == nil ? configuration.mail.directory : nil,
            contactKeys: { ContactDirectory.keys(phone: $0, email: $1) }, logger: ground.logger)
        let workerConfiguration = OutboxWorker.Configuration(
            lease: configuration.leads.lease, retry: RetryPolicy(maxAttempts: configuration.leads.maxAttempts), instance: ground.instance)
        email = OutboxWorker(
            store: store,
            deliverer: EmailDeliverer(
                transport: ground.mail("lead"), from: configuration.mail.from, to: configuration.mail.to, templates: ground.mailTemplates),
            configuration: workerConfiguration, metrics: ground.metrics, logger: ground.logger)
        // One instance at a time sends, at amoCRM's per-account pace (`AccountPace`).
        amoCRM = OutboxWorker(
            store: store, deliverer: amo.channel, configuration: AccountPace.workerConfiguration(workerConfiguration), metrics: ground.metrics,
            logger: ground.logger)
        let workers = [email, amoCRM]
        intake = LeadIntake(
            store: store, products: CatalogProductLookup(catalog: catalog, layout: layout), metrics: ground.metrics, logger: ground.logger,
            onAccepted: { for worker in workers { worker.wake() } })
        orderLimiter = configuration.orderRateLimit.map { RateLimiter($0, name: "orders", metrics: ground.metrics) }
        retentionDays = configuration.leads.retentionDays
    }

    /// Deliveries put back in the queue, or a channel reconnected: look now.
    func wakeWorkers() {
        for worker in workers { worker.wake() }
    }

    /// Erases personal data after `LEAD_RETENTION_DAYS`, when set.
    var retention: [any Service] {
        retentionDays.map { [RetentionWorker(eraser: eraser, days: $0, logger: logger)] } ?? []
    }
}
