import AmoCRM
import Foundation
import Hummingbird
import Logging

/// `POST /webhook/amocrm`: amoCRM's events (a deal moved to another status), form-encoded,
/// several per body.
///
/// The webhook is unsigned, so its address is the secret: whenever amoCRM is configured a
/// request must bring `AMOCRM_WEBHOOK_TOKEN` (derived from the integration's secret when the
/// operator sets none) as `?token=`, or it is refused with 403 – and a client that keeps
/// guessing gets 429 (`SecretGuesses`; the right token always passes). A client with the token may send
/// `AmoCRMWebhookController.limit` bodies a minute. Events of another account (or of none:
/// amoCRM always names it in `account[subdomain]`) are answered 200 and dropped, as are all
/// events while amoCRM is not configured. Won events are stored before the answer, one waiting
/// row per deal (`AmoCRMEvents`), for the passport worker, which reads each deal again from
/// the API before acting on it: a forged event can at most make it look, once per deal.
struct AmoCRMWebhookController: Sendable {
    typealias Context = AppRequestContext
    /// Bodies per client a minute: amoCRM sends one per batch of status changes.
    static let limit = RateLimit(count: 120, period: .seconds(60))

    /// `AMOCRM_SUBDOMAIN`; nil: amoCRM is off and events are dropped.
    let subdomain: String?
    /// `AMOCRM_WEBHOOK_TOKEN` (set or derived); nil only while amoCRM is off.
    let token: String?
    let events: AmoCRMEvents
    /// Tells the passport worker that there is work.
    let onRecorded: @Sendable () -> Void
    let guesses: SecretGuesses
    let limiter: RateLimiter
    let trustedProxies: [CIDR]
    let logger: Logger

    func addRoutes(to router: Router<Context>) {
        router.post(SiteURL.Route.amoCRMCallback.pattern, use: receive)
    }

    @Sendable func receive(_ request: Request, context: Context) async throws -> Response {
        guard let subdomain, let token else {
            logger.notice("amoCRM webhook ignored", metadata: ["reason": "amoCRM is off"])
            return Response(status: .ok)
        }
        guard let presented = request.queryFields["token"], Secrets.matches(presented, token) else {
            if let retryAfter = guesses.wrong(request, context: context) { throw SecretGuesses.tooMany(retryAfter) }
            throw ProblemDetails(.forbidden, detail: "Неверный или отсутствующий token в адресе вебхука.")
        }
        if let retryAfter = limiter.check(ClientAddress.rateKey(of: request, context: context, trusted: trustedProxies)) {
            var problem = ProblemDetails(.tooManyRequests, detail: "Слишком много событий подряд. Повторите через \(retryAfter) с.")
            problem.retryAfter = retryAfter
            throw problem
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let read = AmoCRMWebhookBody(fields: FormURLEncoded.decode(String(buffer: body)))
        guard read.subdomain == subdomain.lowercased() else {
            logger.notice("amoCRM webhook ignored", metadata: ["reason": "another account"])
            return Response(status: .ok)
        }
        let stored: Int
        do {
            stored = try await events.record(read.events)
        } catch AmoCRMEvents.Full.full {
            // amoCRM delivers again later; nothing of a real account is lost meanwhile.
            logger.error("amoCRM events refused: too many wait already", metadata: ["limit": "\(AmoCRMEvents.maxPending)"])
            var problem = ProblemDetails(.serviceUnavailable, detail: "Слишком много необработанных событий. Повторите позже.")
            problem.retryAfter = 60
            throw problem
        }
        if stored > 0 {
            logger.info("amoCRM events recorded", metadata: ["count": "\(stored)"])
            onRecorded()
        }
        return Response(status: .ok)
    }
}
