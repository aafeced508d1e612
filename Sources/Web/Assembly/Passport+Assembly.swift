import AmoCRM
import Catalog
import Passport

/// Digital passports of won deals: the store always (their pages outlive a switched-off
/// amoCRM), the worker only with amoCRM, whose events they come from.
struct PassportFeature {
    let store: PassportStore
    let worker: PassportWorker?

    init(_ ground: Groundwork, catalog: Catalog, leads: LeadsFeature, amo: AmoCRMFeature, layout: SiteLayout) {
        let configuration = ground.configuration
        store = PassportStore(database: ground.database, clock: ground.clock)
        let pageURL: @Sendable (String) -> String = { layout.absoluteURL(SiteURL.passport($0)) }
        if let fields = amo.configuration?.fields, let tokens = amo.tokens, let api = amo.api {
            let deals = AmoCRMDeals(api: api)
            worker = PassportWorker(
                store: store,
                issuer: PassportIssuer(
                    deals: deals, fields: fields, leads: leads.store, catalog: catalog, warrantyMonths: configuration.passports.warrantyMonths,
                    productURL: { layout.absoluteURL(SiteURL.product($0)) }),
                deals: deals, tokens: tokens,
                mail: PassportMail(
                    transport: ground.mail("passport"), from: configuration.mail.from, to: configuration.mail.to, templates: ground.mailTemplates,
                    pageURL: pageURL),
                pageURL: pageURL, instance: ground.instance, logger: ground.logger)
        } else {
            worker = nil
        }
    }

    /// New events were stored, or amoCRM was reconnected.
    func wake() { worker?.wake() }
}
