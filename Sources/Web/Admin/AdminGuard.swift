import Foundation
import HTTPTypes
import Hummingbird

/// `ADMIN_TOKEN` as a Bearer token or as the password of HTTP Basic (any user name).
/// Unset → 403 for everyone; missing or wrong → 401 with a Basic challenge (DESIGN §3).
struct AdminGuard<Context: RequestContext>: RouterMiddleware {
    let token: String?
    let site: Site

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token else {
            return refuse(.forbidden, request: request, message: "Администрирование выключено: ADMIN_TOKEN не задан.")
        }
        guard let presented = Self.credential(request.headers[.authorization]), Secrets.matches(presented, token) else {
            var response = refuse(.unauthorized, request: request, message: "Нужен пароль администратора.")
            response.headers[.wwwAuthenticate] = "Basic realm=\"catalog-bff admin\", charset=\"UTF-8\""
            return response
        }
        return try await next(request, context)
    }

    /// The secret from `Bearer …` or from the password part of `Basic …`.
    static func credential(_ header: String?) -> String? {
        guard let header else { return nil }
        if header.hasPrefix("Bearer ") { return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
        guard header.hasPrefix("Basic "), let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let decoded = String(data: data, encoding: .utf8), let colon = decoded.firstIndex(of: ":")
        else { return nil }
        return String(decoded[decoded.index(after: colon)...])
    }

    func refuse(_ status: HTTPResponse.Status, request: Request, message: String) -> Response {
        if ErrorPageMiddleware<Context>.isMachinePath(request.uri.path) {
            return ProblemDetails(status, detail: message).response()
        }
        return site.messagePage(status, heading: status == .forbidden ? "Доступ закрыт" : "Нужен вход", message: message)
    }
}
