import Basics
import AmoCRM
import Foundation
import Hummingbird
import Logging
import Storage

/// Connecting amoCRM: the admin is sent to amoCRM's authorization page, and
/// amoCRM sends the browser back to `GET /webhook/amocrm` with a code to exchange.
struct AmoCRMController: Sendable {
    /// Where to send the admin and which account to expect; nil when amoCRM is off.
    let account: AmoCRMAccount?
    let tokens: TokenManager?
    let deliverer: AmoCRMDeliverer?
    /// Wakes the outbox workers: leads waiting for amoCRM can go now.
    let onConnected: @Sendable () -> Void
    let states: OAuthStates
    let guardian: AdminGuard
    /// The admin page's form tokens: the test deal's button posts one.
    let forms: AdminForms
    let messages: MessagePages
    let trustedProxies: [CIDR]
    let clock: any WallClock
    let logger: Logger
    /// The callback is public: a client that keeps trying codes or states is slowed down.
    let callbackLimiter = RateLimiter(RateLimit(count: 10, period: .seconds(60)))

    func addRoutes(to router: Router<AppRequestContext>) {
        let admin = router.group().add(middleware: guardian)
        admin.get(SiteURL.Route.amoCRMConnect.pattern, use: connect)
        admin.get(SiteURL.Route.amoCRMTestLead.pattern, use: testLeadForScripts)
        admin.post(SiteURL.Route.amoCRMTestLead.pattern, use: testLeadFromAdmin)
        router.get(SiteURL.Route.amoCRMCallback.pattern, use: redirect)
    }

    struct TestLead: Encodable {
        var amoLeadID: Int
        enum CodingKeys: String, CodingKey { case amoLeadID = "amo_lead_id" }
    }

    /// `GET /ingest/test-crm` for scripts: creates a test deal in amoCRM now, or says what to
    /// fix. Only with `Authorization: Bearer`: a browser sends an admin's Basic credentials by
    /// itself with any request, so an `<img src=…/ingest/test-crm>` on another site would
    /// otherwise create deals; Bearer is never sent unasked.
    @Sendable func testLeadForScripts(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard request.headers[.authorization]?.hasPrefix("Bearer ") == true else {
            throw ProblemDetails(
                .forbidden,
                detail: "GET создаёт тестовую сделку только с Authorization: Bearer <ADMIN_TOKEN>; из браузера — кнопкой «Создать тестовую сделку» в /admin.")
        }
        do {
            let id = try await createTestLead()
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder.sorted.encode(TestLead(amoLeadID: id)))))
        } catch let failure as TestLeadFailure {
            throw ProblemDetails(.serviceUnavailable, detail: failure.detail)
        }
    }

    /// `POST /ingest/test-crm` from the admin page's button, with its form token (or from a
    /// script with a Bearer token): the outcome as a page.
    @Sendable func testLeadFromAdmin(_ request: Request, context: AppRequestContext) async throws -> Response {
        let bearer = request.headers[.authorization]?.hasPrefix("Bearer ") == true
        guard try await forms.isValidPost(request, context: context) || bearer else {
            return messages.page(
                .forbidden, heading: "Форма устарела", message: "Обновите страницу и нажмите кнопку ещё раз.", backURL: SiteURL.admin,
                backText: "К заявкам")
        }
        do {
            let id = try await createTestLead()
            logger.notice("amoCRM test deal created by admin", metadata: ["amo_lead_id": "\(id)"])
            return messages.page(
                .ok, heading: "Тестовая сделка создана", message: "amoCRM принял тестовую сделку № \(id). Её можно удалить в amoCRM.",
                backURL: SiteURL.admin, backText: "К заявкам")
        } catch let failure as TestLeadFailure {
            return messages.page(
                .serviceUnavailable, heading: "Тестовая сделка не создана", message: failure.detail, backURL: SiteURL.admin, backText: "К заявкам")
        }
    }

    /// Why the test deal was not created, in words for the admin.
    struct TestLeadFailure: Error {
        var detail: String
    }

    private func createTestLead() async throws -> Int {
        guard let deliverer else {
            throw TestLeadFailure(detail: "amoCRM не настроен: задайте AMOCRM_SUBDOMAIN и данные интеграции.")
        }
        do {
            return try await deliverer.createTestLead(now: clock.now())
        } catch {
            switch error {
            case .needsReauthorization(let reason):
                throw TestLeadFailure(detail: "Нужно переподключить amoCRM: откройте /admin/amocrm/connect (\(reason)).")
            case .rejected(_, let reason):
                throw TestLeadFailure(
                    detail: "amoCRM отклонил тестовую сделку: \(reason). Проверьте AMOCRM_PIPELINE_ID, AMOCRM_STATUS_ID и AMOCRM_RESPONSIBLE_USER_ID.")
            default:
                throw TestLeadFailure(detail: "amoCRM недоступен (\(error)). Повторите позже.")
            }
        }
    }

    @Sendable func connect(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let account, account.clientID != nil else {
            return messages.page(
                .notFound, heading: "amoCRM не настроен",
                message: "Задайте AMOCRM_SUBDOMAIN, AMOCRM_CLIENT_ID и AMOCRM_CLIENT_SECRET и перезапустите сервер.", backURL: SiteURL.admin,
                backText: "К заявкам")
        }
        let state = try await states.issue()
        return Response(
            status: .found, headers: [.location: account.authorizationURL(state: state), .cacheControl: "no-store"])
    }

    @Sendable func redirect(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let account, let tokens else {
            return messages.page(.notFound, heading: "amoCRM не настроен", message: "Интеграция с amoCRM выключена.")
        }
        let client = ClientAddress.rateKey(of: request, context: context, trusted: trustedProxies)
        if let retryAfter = callbackLimiter.check(client) {
            return messages.page(
                .tooManyRequests, heading: "Слишком много попыток",
                message: "Подождите немного и начните подключение amoCRM заново из админки.",
                backURL: SiteURL.amoCRMConnect, backText: "Подключить заново", headers: [.retryAfter: String(retryAfter)])
        }
        let query = request.queryFields
        guard let code = query["code"], !code.isEmpty else {
            // Only an OAuth error code (`access_denied`) is shown: anyone can open this URL,
            // and free text here would be a message of theirs on our page.
            let error = query["error"].flatMap(Self.errorCode).map { " amoCRM ответил: \($0)." } ?? ""
            return messages.page(
                .badRequest, heading: "Подключение не выполнено", message: "В ответе amoCRM нет кода авторизации.\(error)",
                backURL: SiteURL.amoCRMConnect, backText: "Подключить заново")
        }
        // The state proves the flow started here, from the admin or the command line, in the
        // last ten minutes. There is no exception for amoCRM's widget flow (`from_widget`):
        // it brings no state, so anyone holding a code could replace the stored tokens.
        guard try await states.consume(query["state"]) else {
            return messages.page(
                .forbidden, heading: "Подключение отклонено",
                message: "Ссылка подключения устарела или открыта не из админки. Начните подключение заново.",
                backURL: SiteURL.amoCRMConnect, backText: "Подключить заново")
        }
        if let referer = query["referer"], !account.isThisAccount(referer: referer) {
            return messages.page(
                .forbidden, heading: "Подключение отклонено",
                message: "Код выдан для другого аккаунта amoCRM (\(Self.hostName(referer) ?? "неизвестного")), а настроен \(account.accountHost).",
                backURL: SiteURL.amoCRMConnect, backText: "Подключить заново")
        }
        do {
            try await tokens.connect(code: code)
            onConnected()
        } catch let error as AmoCRMError {
            logger.error("amoCRM code exchange failed", metadata: ["error": "\(error)"])
            return messages.page(
                .badGateway, heading: "amoCRM не подключён", message: Self.advice(error), backURL: SiteURL.amoCRMConnect, backText: "Подключить заново")
        }
        return messages.page(
            .ok, heading: "amoCRM подключён",
            message: "Токены сохранены; сервер будет обновлять их сам.", backURL: SiteURL.admin, backText: "К заявкам")
    }

    /// An RFC 6749 error code (`access_denied`, `invalid_request`), or nil.
    static func errorCode(_ text: String) -> String? {
        (1...40).contains(text.count) && text.allSatisfy({ $0.isASCII && ($0.isLowercase || $0 == "_") }) ? text : nil
    }

    /// A plain host name (`other.amocrm.ru`), or nil.
    static func hostName(_ text: String) -> String? {
        let host = text.lowercased()
        return (1...100).contains(host.count) && host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") })
            ? host : nil
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
