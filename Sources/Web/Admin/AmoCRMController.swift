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
    static let statePurpose = "amocrm-oauth"

    func addRoutes(to router: Router<AppRequestContext>) {
        router.group("admin/amocrm").add(middleware: AdminGuard(token: site.configuration.adminToken, site: site))
            .get("connect", use: connect)
        router.group("ingest").add(middleware: AdminGuard(token: site.configuration.adminToken, site: site))
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
        let state = site.formTokens.token(purpose: Self.statePurpose)
        return Response(
            status: .found, headers: [.location: Self.authorizationURL(configuration, state: state), .cacheControl: "no-store"])
    }

    @Sendable func redirect(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let configuration, let tokens else {
            return site.messagePage(.notFound, heading: "amoCRM не настроен", message: "Интеграция с amoCRM выключена.")
        }
        let query = request.uri.queryParameters
        guard let code = query.get("code"), !code.isEmpty else {
            let error = query.get("error").map { " amoCRM ответил: \($0)." } ?? ""
            return site.messagePage(
                .badRequest, heading: "Подключение не выполнено", message: "В ответе amoCRM нет кода авторизации.\(error)",
                backURL: "/admin/amocrm/connect", backText: "Подключить заново")
        }
        // The state proves the flow started here; amoCRM's widget flow has none, and is
        // accepted only from this account.
        let fromWidget = query.get("from_widget") != nil
        guard fromWidget || site.formTokens.isValid(query.get("state"), purpose: Self.statePurpose) else {
            return site.messagePage(
                .forbidden, heading: "Подключение отклонено",
                message: "Ссылка подключения устарела или открыта не из админки. Начните подключение заново.",
                backURL: "/admin/amocrm/connect", backText: "Подключить заново")
        }
        if let referer = query.get("referer"), !Self.sameAccount(referer, configuration) {
            return site.messagePage(
                .forbidden, heading: "Подключение отклонено",
                message: "Код выдан для другого аккаунта amoCRM (\(referer)), а настроен \(configuration.accountHost).",
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
/// (`catalog-bff amocrm-connect-url`); the state is signed with the database's secret, so
/// the running server accepts the redirect.
public func amoCRMConnectURL(configuration: AppConfiguration, logger: Logger) async throws -> String? {
    guard let amo = configuration.amoCRM, amo.clientID != nil else { return nil }
    let database = try await openDatabase(configuration.database, logger: logger)
    let secret: String
    do {
        secret = try await Settings.value(FormTokens.secretKey, in: database) { FormTokens.randomSecret() }
    } catch {
        await database.close()
        throw error
    }
    await database.close()
    return AmoCRMController.authorizationURL(amo, state: FormTokens(secret: secret).token(purpose: AmoCRMController.statePurpose))
}
