import AmoCRM
import Foundation
import Hummingbird
import Logging
import Storage

/// Connecting amoCRM (DESIGN §3): the admin is sent to amoCRM's authorization page, and
/// amoCRM sends the browser back to `GET /webhook/amocrm` with a code to exchange.
struct AmoCRMController: Sendable {
    let site: Site
    let configuration: AmoCRMConfiguration?
    let tokens: TokenManager?
    let deliverer: AmoCRMDeliverer?
    /// Wakes the outbox workers: leads waiting for amoCRM can go now.
    let onConnected: @Sendable () -> Void
    let states: OAuthStates
    let guardian: AdminGuard
    /// The callback is public: a client that keeps trying codes or states is slowed down.
    let callbackLimiter = RateLimiter(RateLimit(count: 10, period: .seconds(60)))

    func addRoutes(to router: Router<AppRequestContext>) {
        router.group("admin/amocrm").add(middleware: guardian)
            .get("connect", use: connect)
        router.group("ingest").add(middleware: guardian)
            .get("test-crm", use: testLead)
        router.get("/webhook/amocrm", use: redirect)
    }

    struct TestLead: Encodable {
        var amoLeadID: Int
        enum CodingKeys: String, CodingKey { case amoLeadID = "amo_lead_id" }
    }

    /// `GET /ingest/test-crm`: creates a test lead in amoCRM now, or says what to fix.
    @Sendable func testLead(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let deliverer else {
            throw ProblemDetails(.serviceUnavailable, detail: "amoCRM не настроен: задайте AMOCRM_SUBDOMAIN и данные интеграции.")
        }
        do {
            let id = try await deliverer.createTestLead()
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(TestLead(amoLeadID: id)))))
        } catch let error as AmoCRMError {
            let detail: String
            switch error {
            case .needsReauthorization(let reason):
                detail = "Нужно переподключить amoCRM: откройте /admin/amocrm/connect (\(reason))."
            case .rejected(_, let reason):
                detail = "amoCRM отклонил тестовую сделку: \(reason). Проверьте AMOCRM_PIPELINE_ID, AMOCRM_STATUS_ID и AMOCRM_RESPONSIBLE_USER_ID."
            default:
                detail = "amoCRM недоступен (\(error)). Повторите позже."
            }
            throw ProblemDetails(.serviceUnavailable, detail: detail)
        }
    }

    /// amoCRM's authorization URL with this site's client id and a signed `state`.
    static func authorizationURL(_ configuration: AmoCRMConfiguration, state: String) -> String {
        var components = URLComponents(string: configuration.authURL)
        components?.queryItems = [
            URLQueryItem(name: "client_id", value: configuration.clientID ?? ""),
            URLQueryItem(name: "state", value: state),
            URLQueryItem(name: "mode", value: "post_message"),
        ]
        return components?.string ?? configuration.authURL
    }

    @Sendable func connect(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let configuration, configuration.clientID != nil else {
            return site.messagePage(
                .notFound, heading: "amoCRM не настроен",
                message: "Задайте AMOCRM_SUBDOMAIN, AMOCRM_CLIENT_ID и AMOCRM_CLIENT_SECRET и перезапустите сервер.", backURL: "/admin",
                backText: "К заявкам")
        }
        let state = try await states.issue()
        return Response(
            status: .found, headers: [.location: Self.authorizationURL(configuration, state: state), .cacheControl: "no-store"])
    }

    @Sendable func redirect(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let configuration, let tokens else {
            return site.messagePage(.notFound, heading: "amoCRM не настроен", message: "Интеграция с amoCRM выключена.")
        }
        let client = ClientInfo(request, context: context, trusted: site.configuration.trustedProxies)
        if let retryAfter = callbackLimiter.check(client.ip) {
            return site.messagePage(
                .tooManyRequests, heading: "Слишком много попыток",
                message: "Подождите немного и начните подключение amoCRM заново из админки.",
                backURL: "/admin/amocrm/connect", backText: "Подключить заново", headers: [.retryAfter: String(retryAfter)])
        }
        let query = request.queryFields
        guard let code = query["code"], !code.isEmpty else {
            let error = query["error"].map { " amoCRM ответил: \(String($0.prefix(200)))." } ?? ""
            return site.messagePage(
                .badRequest, heading: "Подключение не выполнено", message: "В ответе amoCRM нет кода авторизации.\(error)",
                backURL: "/admin/amocrm/connect", backText: "Подключить заново")
        }
        // The state proves the flow started here, from the admin or the command line, in the
        // last ten minutes. There is no exception for amoCRM's widget flow (`from_widget`):
        // it brings no state, so anyone holding a code could replace the stored tokens.
        guard try await states.consume(query["state"]) else {
            return site.messagePage(
                .forbidden, heading: "Подключение отклонено",
                message: "Ссылка подключения устарела или открыта не из админки. Начните подключение заново.",
                backURL: "/admin/amocrm/connect", backText: "Подключить заново")
        }
        if let referer = query["referer"], !Self.sameAccount(referer, configuration) {
            return site.messagePage(
                .forbidden, heading: "Подключение отклонено",
                message: "Код выдан для другого аккаунта amoCRM (\(String(referer.prefix(100)))), а настроен \(configuration.accountHost).",
                backURL: "/admin/amocrm/connect", backText: "Подключить заново")
        }
        do {
            try await tokens.connect(code: code)
            onConnected()
        } catch let error as AmoCRMError {
            site.logger.error("amoCRM code exchange failed", metadata: ["error": "\(error)"])
            return site.messagePage(
                .badGateway, heading: "amoCRM не подключён", message: Self.advice(error), backURL: "/admin/amocrm/connect", backText: "Подключить заново")
        }
        return site.messagePage(
            .ok, heading: "amoCRM подключён",
            message: "Токены сохранены; сервер будет обновлять их сам.", backURL: "/admin", backText: "К заявкам")
    }

    static func sameAccount(_ referer: String, _ configuration: AmoCRMConfiguration) -> Bool {
        let host = (URL(string: referer.contains("://") ? referer : "https://" + referer)?.host ?? referer).lowercased()
        let base = URL(string: configuration.baseURL)?.host?.lowercased()
        return host == configuration.accountHost.lowercased() || host == base
    }

    static func advice(_ error: AmoCRMError) -> String {
        switch error {
        case .badClient: "amoCRM не принял данные интеграции: проверьте AMOCRM_CLIENT_ID, AMOCRM_CLIENT_SECRET и AMOCRM_REDIRECT_URI."
        case .badCode: "Код авторизации устарел или уже использован. Начните подключение заново."
        case .unavailable, .rateLimited: "amoCRM сейчас недоступен. Попробуйте подключиться через несколько минут."
        default: "Не удалось получить токены amoCRM. Начните подключение заново."
        }
    }
}

/// The amoCRM authorization URL with a fresh `state`, for the command line
/// (`catalog-bff amocrm-connect-url`); the state is stored in the database the running
/// server reads, so the redirect is accepted within `OAuthStates.lifetime`.
public func amoCRMConnectURL(configuration: AppConfiguration, logger: Logger) async throws -> String? {
    guard let amo = configuration.amoCRM, amo.clientID != nil else { return nil }
    let database = try await openDatabase(configuration.database, logger: logger)
    let state: String
    do {
        state = try await OAuthStates(database: database).issue()
    } catch {
        await database.close()
        throw error
    }
    await database.close()
    return AmoCRMController.authorizationURL(amo, state: state)
}
