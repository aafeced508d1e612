import Foundation
import HTTPTypes
import Hummingbird

/// Refuses state-changing requests from other sites without cookies or
/// per-visitor state, so pages stay cacheable: the browser's `Origin` (or, lacking it,
/// `Sec-Fetch-Site`) must name this site. Server-to-server endpoints (`/ingest/`,
/// `/webhook/`) authenticate with their own secrets instead.
struct CrossSiteMiddleware<Context: RequestContext>: RouterMiddleware {
    let siteOrigin: String
    let messages: MessagePages

    init(siteOrigin publicBaseURL: String, messages: MessagePages) {
        siteOrigin = (PageHeaders.origin(publicBaseURL) ?? publicBaseURL).lowercased()
        self.messages = messages
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard [.post, .put, .patch, .delete].contains(request.method),
            !SiteURL.authenticatesItself(request.uri.path),
            !isSameSite(request.headers)
        else {
            return try await next(request, context)
        }
        if SiteURL.isMachinePath(request.uri.path) {
            return ProblemDetails(.forbidden, detail: "Запрос отправлен с другого сайта и отклонён.").response()
        }
        return messages.page(
            .forbidden, heading: "Запрос отклонён",
            message: "Форма была отправлена не с нашего сайта. Откройте страницу заново и отправьте заявку ещё раз.",
            backURL: SiteURL.order)
    }

    func isSameSite(_ headers: HTTPFields) -> Bool {
        if let origin = headers[.origin] {
            return origin.lowercased() == siteOrigin
        }
        if let fetchSite = headers[HTTPField.Name("Sec-Fetch-Site")!] {
            return fetchSite == "same-origin" || fetchSite == "none"
        }
        return true  // not a browser that says where it comes from; the form token still applies
    }
}
