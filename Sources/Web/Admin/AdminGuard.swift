import Foundation
import HTTPTypes
import Hummingbird

/// `ADMIN_TOKEN` as a Bearer token or as the password of HTTP Basic (any user name).
/// Unset → 403 for everyone; missing or wrong → 401 with a Basic challenge.
/// A client that keeps presenting wrong credentials is slowed down: after
/// `AdminGuard.failureLimit` failures it gets 429 until its bucket refills, without its
/// guesses being checked.
struct AdminGuard: RouterMiddleware {
    typealias Context = AppRequestContext
    /// Wrong credentials per client before it must wait: a person mistyping never gets there,
    /// a script guessing gets about one try in six seconds.
    static let failureLimit = RateLimit(count: 10, period: .seconds(60))

    let token: String?
    let messages: MessagePages
    let trustedProxies: [CIDR]
    /// Failed attempts per client address, shared by every admin route.
    let failures: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token else {
            return refuse(.forbidden, request: request, message: "Администрирование выключено: ADMIN_TOKEN не задан.")
        }
        let client = ClientAddress.rateKey(of: request, context: context, trusted: trustedProxies)
        if let retryAfter = failures.exhausted(client) {
            var response = refuse(.tooManyRequests, request: request, message: "Слишком много неверных паролей. Повторите через \(retryAfter) с.")
            response.headers[.retryAfter] = String(retryAfter)
            return response
        }
        guard let presented = Self.credential(request.headers[.authorization]), Secrets.matches(presented, token) else {
            // A request without any credential is a browser asking for the password prompt,
            // not a guess.
            if request.headers[.authorization] != nil { _ = failures.check(client) }
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
        if SiteURL.isMachinePath(request.uri.path) {
            return ProblemDetails(status, detail: message).response()
        }
        let heading = switch status {
        case .forbidden: "Доступ закрыт"
        case .tooManyRequests: "Подождите немного"
        default: "Нужен вход"
        }
        return messages.page(status, heading: heading, message: message)
    }
}
