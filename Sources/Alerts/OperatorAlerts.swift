import Foundation

/// The conditions the operators are mailed about (`ALERT_TO`), read from the parts that know
/// them: amoCRM's tokens, the outbox, the delivery channels' breakers, the catalog's source.
///
/// A condition this process knows nothing about yet (a channel it has not delivered on since
/// it started, a refresh it has not tried) is left out rather than called fine, so that an
/// instance taking over the look does not clear what another saw. A feature that is switched
/// off is fine: its old incidents close.
public struct OperatorAlerts: Sendable {
    let catalog: any CatalogUpstreamSignal
    /// nil when amoCRM is not configured.
    let crm: (any CRMConnectionSignal)?
    /// Every delivery channel's key (`email`, `amocrm`): one without a signal is switched off.
    let channelKeys: [String]
    /// The channels that are switched on (a channel without settings is no outage).
    let channels: [any DeliveryChannelSignal]
    let deliveries: any DeadDeliveriesSignal
    /// How long a channel or Directus may fail before it is an incident (`ALERT_AFTER`).
    let after: Duration

    public init(
        catalog: any CatalogUpstreamSignal, crm: (any CRMConnectionSignal)?, channelKeys: [String], channels: [any DeliveryChannelSignal],
        deliveries: any DeadDeliveriesSignal, after: Duration
    ) {
        self.catalog = catalog
        self.crm = crm
        self.channelKeys = channelKeys
        self.channels = channels
        self.deliveries = deliveries
        self.after = after
    }
    /// Failed refreshes in a row that make "the refresh keeps failing".
    static let refreshFailures = 3
    static let connectGrace: Duration = .seconds(60)

    public func checks() async -> [AlertCheck] {
        var checks: [AlertCheck] = []
        if let crm {
            if let problem = await crm.connectionProblem() {
                checks.append(
                    .failing(
                        AlertSignal(
                            key: "amocrm.authorization", title: "amoCRM нужно подключить заново",
                            detail: "\(problem).\nЗаявки сохраняются и уйдут в amoCRM, как только его подключат: админка → «Подключить amoCRM».",
                            // A minute's grace: a new deployment is connected right after it starts.
                            after: Self.connectGrace)))
            } else {
                checks.append(.fine("amocrm.authorization"))
            }
            let failed = await crm.refreshFailureStreak()
            if let failed, failed.count >= Self.refreshFailures {
                checks.append(
                    .failing(
                        AlertSignal(
                            key: "amocrm.refresh", title: "Токен amoCRM не обновляется",
                            detail: "Не удались \(failed.count) попыток подряд. Последняя ошибка: \(failed.reason ?? "—").\n"
                                + "Пока действует нынешний токен, заявки уходят; когда он истечёт, они будут ждать.")))
            } else if failed != nil {
                checks.append(.fine("amocrm.refresh"))
            }
        } else {
            checks.append(contentsOf: [.fine("amocrm.authorization"), .fine("amocrm.refresh")])
        }
        if let dead = try? await deliveries.deadDeliveries() {
            for channel in dead {
                let key = "outbox.dead.\(channel.key)"
                guard channel.count > 0 else {
                    checks.append(.fine(key))
                    continue
                }
                checks.append(
                    .failing(
                        AlertSignal(
                            key: key, title: "Заявки не доставлены (\(channel.name))",
                            detail: "Доставка прекращена после всех попыток: \(channel.count) шт.\nПовторите или отмените их в админке (фильтр «не доставлены»).")))
            }
        }
        for channelKey in channelKeys {
            let key = "channel.\(channelKey)"
            guard let channel = channels.first(where: { $0.channelKey == channelKey }) else {
                checks.append(.fine(key))  // switched off
                continue
            }
            guard channel.hasOutcome else { continue }
            guard let outage = channel.outage else {
                checks.append(.fine(key))
                continue
            }
            checks.append(
                .failing(
                    AlertSignal(
                        key: key, title: channel.isMail ? "Почта (SMTP) не работает" : "Доставка заявок в amoCRM не работает",
                        detail: "\(outage.reason).\nЗаявки сохраняются, попытки не тратятся; всё уйдёт в течение секунд после восстановления.",
                        since: outage.since, after: after, blocksMail: channel.isMail)))
        }
        if let failure = catalog.upstreamFailure {
            checks.append(
                .failing(
                    AlertSignal(
                        key: "directus",
                        title: failure.servingStale ? "Directus не отвечает: сайт показывает прежний каталог" : "Directus не отвечает: каталог недоступен",
                        detail: failure.servingStale
                            ? "\(failure.reason).\nПравки в Directus не появятся на сайте, пока он не ответит."
                            : "\(failure.reason).\nСтраницы каталога отвечают «временно недоступен».",
                        after: after)))
        } else if catalog.upstreamKnown {
            checks.append(.fine("directus"))
        }
        return checks
    }
}
