import AmoCRM
import AsyncHTTPClient
import Leads
import Logging
import ServiceLifecycle

/// amoCRM, when it is configured: the tokens (OAuth2 or a long-lived token), one API client –
/// so one pace for everything this instance asks amoCRM – and the lead deliverer.
struct AmoCRMFeature {
    let configuration: AmoCRMConfiguration?
    let tokens: TokenManager?
    let api: AmoCRMAPI?
    let deliverer: AmoCRMDeliverer?
    let events: AmoCRMEvents
    let logger: Logger

    init(_ ground: Groundwork) {
        logger = ground.logger
        configuration = ground.configuration.amoCRM
        let tokens = configuration.map { amo in
            TokenManager.stored(for: amo, in: ground.database, clock: ground.clock, metrics: ground.metrics, logger: ground.logger)
        }
        self.tokens = tokens
        let api = configuration.flatMap { amo in
            tokens.map { AmoCRMAPI(configuration: amo, httpClient: HTTPClient.shared, tokens: $0, metrics: ground.metrics) }
        }
        self.api = api
        if let amo = configuration, let tokens, let api {
            deliverer = AmoCRMDeliverer(
                api: api, tokens: tokens, configuration: amo, contacts: ContactDirectory(database: ground.database, clock: ground.clock), logger: ground.logger)
        } else {
            deliverer = nil
        }
        events = AmoCRMEvents(database: ground.database, clock: ground.clock)
    }

    /// The `amocrm` channel's deliverer; without amoCRM settings its rows wait in the outbox
    /// (visible on /admin, no attempts spent).
    var channel: any LeadDeliverer {
        deliverer.map { $0 as any LeadDeliverer }
            ?? UnconfiguredChannel(channel: .amocrm, reason: "amoCRM не подключён (AMOCRM_SUBDOMAIN не задан)")
    }

    /// Keeps OAuth tokens fresh (a long-lived token needs nothing).
    var services: [any Service] {
        guard let tokens, configuration?.longLivedToken == nil else { return [] }
        return [TokenKeeper(tokens: tokens, logger: logger)]
    }
}
