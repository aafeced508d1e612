import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// A loopback amoCRM following `Fixtures/amocrm`: the OAuth2 token endpoint with single-use,
/// rotating refresh tokens (reusing one revokes the connection, as amoCRM does), and an API
/// call that checks the Bearer token.
public final class FakeAmoCRM: Sendable {
    public static let clientID = "6a2d4741-1c2b-4d5e-8f90-92277723dcea"
    public static let clientSecret = "PZp1wm7VexampleSecretDoNotUse"

    struct State {
        var codes: Set<String> = []
        var access: String?
        var accessExpires = Date.distantPast
        var refresh: String?
        var usedRefreshTokens: Set<String> = []
        var refreshCalls = 0
        var exchangeCalls = 0
        var issued = 0
        var refreshDelay: Duration = .zero
        var expiresIn = 86_400
    }

    private let state = Mutex(State())
    public let redirectURI: String

    public init(redirectURI: String = "https://shop.example.ru/webhook/amocrm") {
        self.redirectURI = redirectURI
    }

    public func addCode(_ code: String) { state.withLock { _ = $0.codes.insert(code) } }
    public var refreshCalls: Int { state.withLock { $0.refreshCalls } }
    public var currentAccessToken: String? { state.withLock { $0.access } }
    public var currentRefreshToken: String? { state.withLock { $0.refresh } }
    public func setRefreshDelay(_ delay: Duration) { state.withLock { $0.refreshDelay = delay } }

    public func run<Value: Sendable>(_ body: @Sendable (_ baseURL: String) async throws -> Value) async throws -> Value {
        let router = Router()
        router.post("/oauth2/access_token") { request, context in try await self.token(request, context: context) }
        router.get("/api/v4/account") { request, _ in self.account(request) }
        return try await LoopbackServer.run(router, label: "fake-amocrm", body)
    }

    private func problem(_ status: Int, _ fields: [String: Any]) -> Response {
        var body = fields
        body["status"] = status
        let data = (try? JSONSerialization.data(withJSONObject: body)) ?? Data()
        return Response(
            status: .init(code: status), headers: [.contentType: "application/problem+json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private func token(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 1 << 16)
        var fields: [String: String] = [:]
        if request.headers[.contentType]?.hasPrefix("application/json") == true {
            fields = (try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: String]) ?? [:]
        } else {
            for pair in String(buffer: buffer).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                if parts.count == 2 { fields[parts[0]] = parts[1] }
            }
        }
        guard fields["client_id"] == Self.clientID, fields["client_secret"] == Self.clientSecret,
            fields["redirect_uri"] == redirectURI
        else {
            return problem(401, ["title": "Некорректный клиент", "detail": "Авторизация клиента не прошла", "type": "https://developers.amocrm.ru/v3/errors/OAuthProblemJson"])
        }
        switch fields["grant_type"] {
        case "authorization_code":
            let valid = state.withLock { state -> Bool in
                state.exchangeCalls += 1
                return state.codes.remove(fields["code"] ?? "") != nil
            }
            guard valid else {
                return problem(400, ["hint": "Authorization code has expired", "title": "Некорректный запрос", "detail": "В запросе отсутствует ряд параметров или параметры невалидны"])
            }
            return issue()
        case "refresh_token":
            let (delay, outcome) = state.withLock { state -> (Duration, Bool?) in
                state.refreshCalls += 1
                guard let presented = fields["refresh_token"] else { return (.zero, false) }
                if presented == state.refresh {
                    state.usedRefreshTokens.insert(presented)
                    return (state.refreshDelay, true)
                }
                if state.usedRefreshTokens.contains(presented) {
                    // Reuse of a refresh token: amoCRM revokes the connection.
                    state.access = nil
                    state.refresh = nil
                    return (.zero, nil)
                }
                return (.zero, false)
            }
            if delay > .zero { try await Task.sleep(for: delay) }
            switch outcome {
            case true: return issue()
            case nil: return problem(401, ["hint": "Token has been revoked", "title": "Некорректный запрос", "detail": "В запросе отсутствует ряд параметров или параметры невалидны"])
            default: return problem(400, ["hint": "Token is invalid", "title": "Некорректный запрос", "detail": "Невалидный токен"])
            }
        default:
            return problem(400, ["title": "Некорректный запрос", "detail": "grant_type"])
        }
    }

    private func issue() -> Response {
        let (access, refresh, expiresIn) = state.withLock { state -> (String, String, Int) in
            state.issued += 1
            state.access = "access-\(state.issued)-\(UUID().uuidString)"
            state.refresh = "def502-refresh-\(state.issued)-\(UUID().uuidString)"
            state.accessExpires = Date().addingTimeInterval(TimeInterval(state.expiresIn))
            return (state.access!, state.refresh!, state.expiresIn)
        }
        let body: [String: Any] = [
            "token_type": "Bearer", "expires_in": expiresIn, "access_token": access, "refresh_token": refresh,
            "server_time": Int(Date().timeIntervalSince1970),
        ]
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: body)) ?? Data())))
    }

    private func account(_ request: Request) -> Response {
        let valid = state.withLock { state in
            state.access != nil && request.headers[.authorization] == "Bearer \(state.access!)" && state.accessExpires > Date()
        }
        guard valid else {
            return problem(401, ["title": "Unauthorized", "type": "https://httpstatus.es/401", "detail": "Неверный логин или пароль"])
        }
        return Response(
            status: .ok, headers: [.contentType: "application/hal+json"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"id":31361463,"name":"Пример","subdomain":"example"}"#)))
    }
}
