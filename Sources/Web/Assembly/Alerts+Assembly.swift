import Alerts
import Catalog
import Leads

/// Operator alerts: mailed once per incident and once when it clears, by one instance – the
/// one that sends to amoCRM (its breaker is the one that knows amoCRM), or a role of its own
/// without amoCRM.
struct AlertsFeature {
    let store: AlertStore
    let alerter: Alerter

    init(_ ground: Groundwork, catalog: Catalog, leads: LeadsFeature, amo: AmoCRMFeature, layout: SiteLayout) {
        let configuration = ground.configuration
        store = AlertStore(database: ground.database, clock: ground.clock)
        let amoCRMWorker = leads.amoCRM
        let leader: @Sendable () async -> Bool =
            amo.configuration != nil
            ? { @Sendable in amoCRMWorker.holdsRole }
            : Alerter.roleLeader(instance: ground.instance, database: ground.database, clock: ground.clock, duration: .seconds(30))
        let rules = OperatorAlerts(
            catalog: CatalogUpstream(catalog: catalog), crm: amo.tokens, channelKeys: DeliveryChannel.allCases.map(\.rawValue),
            channels: leads.breakers, deliveries: leads.store, after: configuration.alerts.after)
        alerter = Alerter(
            store: store,
            mail: AlertMail(
                transport: ground.mail("alert"), from: configuration.mail.from, to: configuration.alerts.to ?? configuration.mail.to,
                templates: ground.mailTemplates, adminURL: layout.absoluteURL(SiteURL.admin)),
            configuration: .init(leader: leader), logger: ground.logger, checks: rules.checks)
    }
}

/// The catalog's source as the alert rules read it.
struct CatalogUpstream: CatalogUpstreamSignal {
    let catalog: Catalog
    var upstreamFailure: (servingStale: Bool, reason: String)? { catalog.upstreamFailure }
    var upstreamKnown: Bool { catalog.upstreamKnown }
}
