import AmoCRM
import Foundation
import Hummingbird
import Logging

/// `POST /webhook/amocrm`: amoCRM's events (a deal moved to another status), form-encoded,
/// several per body (DESIGN §3, §7).
///
/// The webhook is unsigned. With `AMOCRM_WEBHOOK_TOKEN` set, only a request that brings it as
/// `?token=` is read (403 otherwise). Events of another account (or of none: amoCRM always
/// names it in `account[subdomain]`) are answered 200 and dropped,
/// as are all events while amoCRM is not configured. The others are stored before the answer
/// (`AmoCRMEvents`), for the passport worker, which reads each lead again from the API before
/// acting on it: a forged event can at most make it look.
struct AmoCRMWebhookController<Context: RequestContext>: Sendable {
    /// `AMOCRM_SUBDOMAIN`; nil: amoCRM is off and events are dropped.
    let subdomain: String?
    /// `AMOCRM_WEBHOOK_TOKEN`.
    let token: String?
    let events: AmoCRMEvents
    /// Tells the passport worker that there is work.
    let onRecorded: @Sendable () -> Void
    let logger: Logger

    func addRoutes(to router: Router<Context>) {
        router.post(SiteURL.Route.amoCRMCallback.pattern, use: receive)
    }

    @Sendable func receive(_ request: Request, context: Context) async throws -> Response {
        if let token {
            guard let presented = request.queryFields["token"], Secrets.matches(presented, token) else {
                throw ProblemDetails(.forbidden, detail: "Неверный или отсутствующий token в адресе вебхука.")
            }
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let read = AmoCRMWebhookBody(fields: FormURLEncoded.decode(String(buffer: body)))
        guard let subdomain, read.subdomain == subdomain.lowercased() else {
            logger.notice("amoCRM webhook ignored", metadata: ["reason": "\(subdomain == nil ? "amoCRM is off" : "another account")"])
            return Response(status: .ok)
        }
        try await events.record(read.events)
        if !read.events.isEmpty {
            logger.info("amoCRM events recorded", metadata: ["count": "\(read.events.count)"])
            onRecorded()
        }
        return Response(status: .ok)
    }
}
