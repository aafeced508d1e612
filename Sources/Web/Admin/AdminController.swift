import Basics
import Alerts
import AmoCRM
import Catalog
import Foundation
import Hummingbird
import Leads
import Logging
import Storage

/// `/admin`: the sales team's and operators' workplace. Leads, filtered by delivery state,
/// source, dates and text; a lead's whole record with every delivery attempt; retry and
/// cancel of dead deliveries; a requeue of what waits on a channel; a CSV export; amoCRM's
/// connection; a chart of the last 30 days; open alerts.
struct AdminController: Sendable {
    let leads: LeadStore
    /// For the navigation: the last catalog index.
    let catalog: Catalog
    /// Templates, layout, page cache, message pages: how an answer is made.
    let site: SitePages
    let guardian: AdminGuard
    /// Why a channel cannot deliver right now, if it cannot.
    let channelStatus: @Sendable () async -> [DeliveryChannel: String]
    /// Open operator incidents, shown above the leads.
    let alerts: AlertStore
    /// nil when amoCRM is not configured.
    let amoTokens: TokenManager?
    /// The event webhook's address with its token; nil when amoCRM is not configured.
    let amoCRMWebhookURL: String?
    /// A customer's request to have their data erased (152-ФЗ).
    let eraser: PersonalDataEraser
    let clock: any WallClock
    /// Deliveries put back in the queue can go at once.
    let wakeWorkers: @Sendable () -> Void
    let logger: Logger

    static let perPage = 50
    static let leadNumbers = 1...Int(Int64.max)
    /// The most rows one export holds (a year of a busy site); a filter narrows it.
    static let exportLimit = 50_000
    static let chartDays = 30

    func addRoutes(to router: Router<AppRequestContext>) {
        let admin = router.group().add(middleware: guardian)
        admin.get(SiteURL.Route.admin.pattern, use: list)
        admin.get(SiteURL.Route.adminExport.pattern, use: export)
        admin.get(SiteURL.Route.adminLead.pattern, use: detail)
        admin.post(SiteURL.Route.adminRetry.pattern, use: retry)
        admin.post(SiteURL.Route.adminCancel.pattern, use: cancel)
        admin.post(SiteURL.Route.adminErase.pattern, use: erase)
        admin.post(SiteURL.Route.adminRequeue.pattern, use: requeue)
    }

    // MARK: - The list

    struct Row {
        var number: Int
        var url: String
        var created: String
        var source: String
        var name: String
        var contact: String
        var product: String
        var productURL: String?
        var deliveries: [Delivery]
        var retryable: Bool
        var retryURL: String
    }

    struct Delivery {
        var channel: String
        var state: String
        var stateClass: String
        /// `попыток: 2`, only once something was tried. Not named `attempts`: when it is nil,
        /// Mustache looks the name up in the enclosing page (the lead page's attempt list).
        var tries: String?
        var detail: String?
    }

    struct ChannelRow {
        var name: String
        var status: String
        var down: Bool
        var pending: Int
        var dead: Int
        var requeueURL: String
    }

    struct AmoCRMStatus {
        var configured: Bool
        var connected: Bool
        var problem: String?
        var tokenExpiry: String?
        var connectURL: String
        /// Where the test deal's button posts.
        var testURL: String
        /// What to enter in the integration's webhook settings (with its token).
        var webhookURL: String?
    }

    struct AlertNote {
        var title: String
        var detail: [String]
        var since: String
        /// Why the operators have not been mailed yet.
        var unsent: String?
    }

    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }

    struct Model {
        var layout: LayoutModel
        var alerts: [AlertNote]
        var done: String?
        var problems: [String]
        var rows: [Row]
        var total: Int
        var filtered: Bool
        var states: [Option]
        var sources: [Option]
        var from: String
        var to: String
        var text: String
        var exportURL: String
        var resetURL: String
        var channels: [ChannelRow]
        var amoCRM: AmoCRMStatus
        var chart: String
        var csrf: String
        var page: Int
        var previousURL: String?
        var nextURL: String?
    }

    static let stateLabels: [(OutboxState, String)] = [
        (.pending, "ждут доставки"), (.dead, "не доставлены"), (.delivered, "доставлены"), (.cancelled, "отменены"),
    ]

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = AdminLeadQuery(request.queryFields)
        // Range-checked before the offset is computed: `page=9223372036854775807` used to trap.
        guard let page = query.page else { throw HTTPError(.notFound) }
        let filter = query.filter
        let found = try await leads.leads(matching: filter, limit: Self.perPage + 1, offset: (page - 1) * Self.perPage)
        let total = try await leads.count(matching: filter)
        let sources = try await leads.sources()
        let counts = (try? await leads.outboxCounts()) ?? [:]
        let down = await channelStatus()
        let channels = DeliveryChannel.allCases.sorted().map { channel in
            ChannelRow(
                name: channel.displayName, status: down[channel] ?? "работает", down: down[channel] != nil,
                pending: counts[channel]?[.pending] ?? 0, dead: counts[channel]?[.dead] ?? 0, requeueURL: SiteURL.adminRequeue(channel))
        }
        let model = Model(
            layout: site.layout.layout(catalog.lastIndex, title: "Заявки", description: "Заявки и их доставка", canonicalPath: nil, noindex: true),
            alerts: await Self.alertNotes(alerts), done: request.queryFields["done"].flatMap(Self.doneText), problems: query.problems,
            rows: found.prefix(Self.perPage).map(Self.row), total: total, filtered: !filter.isEmpty,
            states: Self.stateLabels.map { Option(value: $0.0.rawValue, label: $0.1, selected: query.state == $0.0) },
            sources: sources.map { Option(value: $0, label: $0, selected: query.source == $0) },
            from: query.from ?? "", to: query.to ?? "", text: query.text ?? "",
            exportURL: query.url(SiteURL.Route.adminExport.rawValue), resetURL: SiteURL.admin,
            channels: channels, amoCRM: await amoCRMStatus(),
            chart: ActivityChart.svg((try? await leads.dailyActivity(days: Self.chartDays, now: clock.now())) ?? []),
            csrf: forms.token(request), page: page,
            previousURL: page > 1 ? query.url(SiteURL.admin, page: page - 1) : nil,
            nextURL: found.count > Self.perPage ? query.url(SiteURL.admin, page: page + 1) : nil)
        return site.pages.uncached(try site.renderer.render("admin", model))
    }

    static func doneText(_ done: String) -> String? {
        switch done {
        case "requeued-email": "Всё, что ждёт отправки по почте, отправляется сейчас."
        case "requeued-amocrm": "Всё, что ждёт отправки в amoCRM, отправляется сейчас."
        case "retried": "Доставка поставлена в очередь заново."
        case "cancelled": "Недоставленное отменено: заявка обработана вручную."
        case "nothing": "Нечего было менять: состояние заявки уже другое."
        case "erased": "Персональные данные клиента удалены из всех его заявок."
        default: nil
        }
    }

    static func row(_ entry: (lead: Lead, deliveries: [DeliveryStatus])) -> Row {
        Row(
            number: entry.lead.number, url: SiteURL.adminLead(entry.lead.number), created: MoscowTime.format(entry.lead.createdAt),
            source: entry.lead.source, name: entry.lead.order.name,
            contact: [entry.lead.order.phone, entry.lead.order.email].compactMap { $0 }.joined(separator: ", "),
            product: entry.lead.product?.name ?? Lead.generalRequest, productURL: entry.lead.product?.url,
            deliveries: entry.deliveries.map(delivery), retryable: entry.deliveries.contains { $0.state == .dead },
            retryURL: SiteURL.adminRetry(leadNumber: entry.lead.number))
    }

    func amoCRMStatus() async -> AmoCRMStatus {
        guard let amoTokens else {
            return AmoCRMStatus(
                configured: false, connected: false, problem: "не настроен (AMOCRM_SUBDOMAIN не задан)", tokenExpiry: nil,
                connectURL: SiteURL.amoCRMConnect, testURL: SiteURL.amoCRMTestLead, webhookURL: nil)
        }
        let (problem, expiresAt) = await amoTokens.status()
        let expiry = expiresAt.map { date in
            let left = Int(date.timeIntervalSince(clock.now()) / 60)
            let span = left >= 120 ? "через \(left / 60) ч" : left >= 0 ? "через \(left) мин" : "уже истёк"
            return "\(MoscowTime.format(date)) (\(span); обновляется сам за час до срока)"
        }
        return AmoCRMStatus(
            configured: true, connected: problem == nil, problem: problem, tokenExpiry: expiry, connectURL: SiteURL.amoCRMConnect,
            testURL: SiteURL.amoCRMTestLead, webhookURL: amoCRMWebhookURL)
    }

    /// Open incidents; one that could not be read is no reason to hide the leads.
    static func alertNotes(_ alerts: AlertStore) async -> [AlertNote] {
        ((try? await alerts.openIncidents()) ?? []).map { incident in
            AlertNote(
                title: incident.title, detail: incident.detail.split(separator: "\n").map(String.init), since: MoscowTime.format(incident.openedAt),
                unsent: incident.openMailedAt == nil ? (incident.mailError.map { "письмо не отправлено: \($0)" } ?? "письмо ещё не отправлено") : nil)
        }
    }

    // MARK: - One lead

    struct Field {
        var label: String
        var value: String
        var url: String?
    }

    struct Attempt {
        var time: String
        var channel: String
        var outcome: String
        var outcomeClass: String
        var detail: String?
    }

    struct DetailModel {
        var layout: LayoutModel
        var number: Int
        var done: String?
        var order: [Field]
        var product: [Field]
        var utm: [Field]
        var consent: [Field]
        var deliveries: [Delivery]
        var attempts: [Attempt]
        var retryable: Bool
        var cancellable: Bool
        var retryURL: String
        var cancelURL: String
        var erased: String?
        var eraseURL: String
        var backURL: String
        var csrf: String
    }

    @Sendable func detail(_ request: Request, context: AppRequestContext) async throws -> Response {
        let number = try leadNumber(context)
        guard let lead = try await leads.lead(number: number) else { throw HTTPError(.notFound) }
        let deliveries = try await leads.deliveries(leadNumber: number)
        let attempts = try await leads.attempts(leadNumber: number)
        let order = lead.order
        func fields(_ pairs: [(String, String?)]) -> [Field] {
            pairs.compactMap { label, value in value.flatMap { $0.isEmpty ? nil : Field(label: label, value: $0) } }
        }
        var product = fields([
            ("Товар", lead.product?.name ?? Lead.generalRequest), ("Артикул", lead.product?.sku), ("Цена на момент заявки", lead.product?.priceText),
            ("Сумма", lead.product?.amount),
        ])
        if let url = lead.product?.url, !url.isEmpty { product.append(Field(label: "Страница товара", value: url, url: url)) }
        let model = DetailModel(
            layout: site.layout.layout(catalog.lastIndex, title: "Заявка №\(number)", description: "Заявка и её доставка", canonicalPath: nil, noindex: true),
            number: number, done: request.queryFields["done"].flatMap(Self.doneText),
            order: fields([
                ("Получена", MoscowTime.format(lead.createdAt)), ("Источник", lead.source), ("Имя", order.name), ("Телефон", order.phone),
                ("E-mail", order.email), ("Компания", order.company), ("Количество", "\(order.quantity) шт."), ("Комментарий", order.comment),
                ("Номер для клиента", lead.id),
            ]),
            product: product,
            utm: fields([
                ("utm_source", order.utm.source), ("utm_medium", order.utm.medium), ("utm_campaign", order.utm.campaign),
                ("utm_term", order.utm.term), ("utm_content", order.utm.content),
            ]),
            consent: fields([
                ("Согласие дано", MoscowTime.format(lead.consent.at)), ("Версия текста согласия", lead.consent.version),
                ("IP-адрес", lead.consent.ip), ("Браузер", lead.consent.userAgent),
            ]),
            deliveries: deliveries.map(Self.delivery),
            attempts: attempts.map { attempt in
                Attempt(
                    time: MoscowTime.format(attempt.at), channel: attempt.channel.displayName, outcome: Self.outcomeText(attempt.outcome),
                    outcomeClass: attempt.outcome, detail: attempt.detail)
            },
            retryable: deliveries.contains { $0.state == .dead || $0.state == .cancelled },
            cancellable: deliveries.contains { $0.state == .dead },
            retryURL: SiteURL.adminRetry(leadNumber: number), cancelURL: SiteURL.adminCancel(leadNumber: number),
            erased: lead.erasedAt.map(MoscowTime.format), eraseURL: SiteURL.adminErase(leadNumber: number),
            backURL: SiteURL.admin, csrf: forms.token(request))
        return site.pages.uncached(try site.renderer.render("admin-lead", model))
    }

    static func outcomeText(_ outcome: String) -> String {
        switch outcome {
        case "delivered": "доставлена"
        case "failed": "ошибка, будет повтор"
        case "dead": "ошибка, попытки кончились"
        case "rejected": "отклонена получателем"
        case "unavailable": "сервис недоступен (попытка не засчитана)"
        case "admin_retry": "повтор по кнопке администратора"
        case "admin_cancel": "отменена администратором"
        default: outcome
        }
    }

    // MARK: - Actions

    private var forms: AdminForms { AdminForms(tokens: site.formTokens) }

    /// The posted form, if it carries this admin's token; else the page that says it is stale.
    private func checkedForm(_ request: Request, context: AppRequestContext, back: String) async throws -> Response? {
        guard try await forms.isValidPost(request, context: context) else {
            return site.messages.page(
                .forbidden, heading: "Форма устарела", message: "Обновите страницу и нажмите кнопку ещё раз.", backURL: back)
        }
        return nil
    }

    private func leadNumber(_ context: AppRequestContext) throws -> Int {
        guard let number = RequestNumber.integer(try context.parameters.decoded("number"), in: Self.leadNumbers) else {
            throw HTTPError(.notFound)
        }
        return number
    }

    @Sendable func retry(_ request: Request, context: AppRequestContext) async throws -> Response {
        let number = try leadNumber(context)
        if let refused = try await checkedForm(request, context: context, back: SiteURL.adminLead(number)) { return refused }
        let count = try await leads.retryDead(leadNumber: number)
        wakeWorkers()
        logger.notice("dead deliveries retried by admin", metadata: ["lead_number": "\(number)", "rows": "\(count)"])
        return redirect(SiteURL.adminLead(number, done: count > 0 ? "retried" : "nothing"))
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> Response {
        let number = try leadNumber(context)
        if let refused = try await checkedForm(request, context: context, back: SiteURL.adminLead(number)) { return refused }
        let count = try await leads.cancelDead(leadNumber: number)
        logger.notice("dead deliveries cancelled by admin", metadata: ["lead_number": "\(number)", "rows": "\(count)"])
        return redirect(SiteURL.adminLead(number, done: count > 0 ? "cancelled" : "nothing"))
    }

    @Sendable func erase(_ request: Request, context: AppRequestContext) async throws -> Response {
        let number = try leadNumber(context)
        if let refused = try await checkedForm(request, context: context, back: SiteURL.adminLead(number)) { return refused }
        let erased = try await eraser.eraseCustomer(ofLead: number)
        return redirect(SiteURL.adminLead(number, done: erased.leads > 0 ? "erased" : "nothing"))
    }

    @Sendable func requeue(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let channel = DeliveryChannel(rawValue: try context.parameters.decoded("channel")) else { throw HTTPError(.notFound) }
        if let refused = try await checkedForm(request, context: context, back: SiteURL.admin) { return refused }
        let count = try await leads.requeue(channel: channel)
        // A channel that was down is probed at once, too.
        wakeWorkers()
        logger.notice("waiting deliveries requeued by admin", metadata: ["channel": "\(channel)", "rows": "\(count)"])
        return redirect(SiteURL.admin(done: "requeued-\(channel.rawValue)"))
    }

    private func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    // MARK: - Export

    /// The filtered leads as CSV for Excel (`LeadsCSV`), newest first, written in site.pages.
    @Sendable func export(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = AdminLeadQuery(request.queryFields)
        guard query.problems.isEmpty else {
            return site.messages.page(.badRequest, heading: "Фильтр не распознан", message: query.problems.joined(separator: " "), backURL: SiteURL.admin)
        }
        let filter = query.filter
        let total = try await leads.count(matching: filter)
        guard total <= Self.exportLimit else {
            return site.messages.page(
                .unprocessableContent, heading: "Слишком много заявок для одного файла",
                message: "Под фильтр подходит \(total) заявок, в файл помещается \(Self.exportLimit). Сузьте фильтр, например по датам.",
                backURL: query.url(SiteURL.admin))
        }
        var text = LeadsCSV.byteOrderMark + LeadsCSV.line(LeadsCSV.header)
        // By number, not by offset: leads that arrive during the export cannot shift the site.pages.
        var before: Int?
        while true {
            let found = try await leads.leads(matching: filter, limit: 500, before: before)
            for entry in found { text += LeadsCSV.line(LeadsCSV.row(entry.lead, entry.deliveries)) }
            guard found.count == 500, let last = found.last?.lead.number else { break }
            before = last
        }
        let stamp = MoscowTime.isoDate(clock.now())
        logger.notice("leads exported by admin", metadata: ["filtered": "\(!filter.isEmpty)"])
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"leads-\(stamp).csv\"", .cacheControl: "no-store",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: - Delivery states as people read them

    static func stateText(_ status: DeliveryStatus) -> String {
        switch status.state {
        case .delivered: "доставлена"
        case .dead: "не доставлена"
        case .cancelled: "отменена"
        case .pending: status.attempts == 0 ? "в очереди" : "повтор \(MoscowTime.format(status.nextAttemptAt))"
        }
    }

    static func delivery(_ status: DeliveryStatus) -> Delivery {
        var detail = status.lastError
        if status.state == .delivered, let external = status.externalID { detail = external }
        return Delivery(
            channel: status.channel.displayName, state: stateText(status), stateClass: status.state.rawValue,
            tries: status.attempts > 0 ? "попыток: \(status.attempts)" : nil, detail: detail)
    }
}
