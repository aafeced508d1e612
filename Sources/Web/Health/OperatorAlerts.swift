import Alerts
import AmoCRM
import Catalog
import Foundation
import Leads

/// The conditions the operators are mailed about (`ALERT_TO`), read from the parts that know
/// them: amoCRM's tokens, the outbox, the delivery channels' breakers, the catalog's source.
///
/// A condition this process knows nothing about yet (a channel it has not delivered on since
/// it started, a refresh it has not tried) is left out rather than called fine, so that an
/// instance taking over the look does not clear what another saw. A feature that is switched
/// off is fine: its old incidents close.
struct OperatorAlerts: Sendable {
    let catalog: Catalog
    let amoTokens: TokenManager?
    /// The channels that are switched on (a channel without settings is no outage).
    let breakers: [ChannelBreaker]
    let leads: LeadStore
    /// How long a channel or Directus may fail before it is an incident (`ALERT_AFTER`).
    let after: Duration
    /// Failed refreshes in a row that make "the refresh keeps failing".
    static let refreshFailures = 3
    static let connectGrace: Duration = .seconds(60)

    func checks() async -> [AlertCheck] {
        var checks: [AlertCheck] = []
        if let amoTokens {
            if let problem = await amoTokens.problem() {
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
            let failed = await amoTokens.failedRefreshes
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
        if let counts = try? await leads.outboxCounts() {
            for channel in DeliveryChannel.allCases {
                let key = "outbox.dead.\(channel.rawValue)"
                let dead = counts[channel]?[.dead] ?? 0
                guard dead > 0 else {
                    checks.append(.fine(key))
                    continue
                }
                checks.append(
                    .failing(
                        AlertSignal(
                            key: key, title: "Заявки не доставлены (\(channel.displayName))",
                            detail: "Доставка прекращена после всех попыток: \(dead) шт.\nПовторите или отмените их в админке (фильтр «не доставлены»).")))
            }
        }
        for channel in DeliveryChannel.allCases {
            let key = "channel.\(channel.rawValue)"
            guard let breaker = breakers.first(where: { $0.channel == channel }) else {
                checks.append(.fine(key))  // switched off
                continue
            }
            guard breaker.hasOutcome else { continue }
            guard let open = breaker.open else {
                checks.append(.fine(key))
                continue
            }
            let mail = breaker.channel == .email
            checks.append(
                .failing(
                    AlertSignal(
                        key: key, title: mail ? "Почта (SMTP) не работает" : "Доставка заявок в amoCRM не работает",
                        detail: "\(open.reason).\nЗаявки сохраняются, попытки не тратятся; всё уйдёт в течение секунд после восстановления.",
                        since: open.since, after: after, blocksMail: mail)))
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
