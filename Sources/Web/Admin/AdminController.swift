import Alerts
import Crypto
import Foundation
import Hummingbird
import Leads
import Logging
import Catalog

/// `/admin`: leads with each channel's delivery state, and retry for dead deliveries.
struct AdminController: Sendable {
    let leads: LeadStore
    /// For the navigation: the last catalog index.
    let catalog: Catalog
    let pages: PageCache
    let renderer: SiteRenderer
    let layout: SiteLayout
    let messages: MessagePages
    let formTokens: FormTokens
    let guardian: AdminGuard
    /// Why a channel cannot deliver right now, if it cannot.
    let channelStatus: @Sendable () async -> [DeliveryChannel: String]
    /// Open operator incidents, shown above the leads.
    let alerts: AlertStore
    /// Dead deliveries put back in the queue can go at once.
    let wakeWorkers: @Sendable () -> Void
    let logger: Logger

    func addRoutes(to router: Router<AppRequestContext>) {
        let admin = router.group().add(middleware: guardian)
        admin.get(SiteURL.Route.admin.pattern, use: list)
        admin.post(SiteURL.Route.adminRetry.pattern, use: retry)
    }

    struct Row {
        var number: Int
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
        /// `попыток: 2`, only once something was tried.
        var attempts: String?
        var detail: String?
    }

    struct ChannelNote {
        var channel: String
        var note: String
    }

    struct AlertNote {
        var title: String
        var detail: [String]
        var since: String
        /// Why the operators have not been mailed yet.
        var unsent: String?
    }

    struct Model {
        var layout: LayoutModel
        var alerts: [AlertNote]
        var rows: [Row]
        var channels: [ChannelNote]
        var csrf: String
        var page: Int
        var previousURL: String?
        var nextURL: String?
        var retried: Int?
    }

    static let perPage = 50
    static let leadNumbers = 1...Int(Int64.max)

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = request.queryFields
        // Range-checked before the offset is computed: `page=9223372036854775807` used to trap.
        guard let page = RequestNumber.page(fields["page"]) else { throw HTTPError(.notFound) }
        let recent = try await leads.recentLeads(limit: Self.perPage + 1, offset: (page - 1) * Self.perPage)
        let rows = recent.prefix(Self.perPage).map { entry in
            Row(
                number: entry.lead.number, created: MoscowTime.format(entry.lead.createdAt), source: entry.lead.source,
                name: entry.lead.order.name,
                contact: [entry.lead.order.phone, entry.lead.order.email].compactMap { $0 }.joined(separator: ", "),
                product: entry.lead.product?.name ?? Lead.generalRequest, productURL: entry.lead.product?.url,
                deliveries: entry.deliveries.map(Self.delivery), retryable: entry.deliveries.contains { $0.state == .dead },
                retryURL: SiteURL.adminRetry(leadNumber: entry.lead.number))
        }
        let notes = await channelStatus().sorted { $0.key < $1.key }.map { channel, reason in
            ChannelNote(channel: channel.rawValue, note: reason)
        }
        let model = Model(
            layout: layout.layout(
                catalog.lastIndex, title: "Заявки", description: "Заявки и их доставка", canonicalPath: nil, noindex: true),
            alerts: await Self.alertNotes(alerts), rows: Array(rows), channels: notes, csrf: AdminForms(tokens: formTokens).token(request), page: page,
            previousURL: page > 1 ? SiteURL.admin(page: page - 1) : nil,
            nextURL: recent.count > Self.perPage ? SiteURL.admin(page: page + 1) : nil,
            retried: fields["retried"].flatMap { RequestNumber.integer($0, in: Self.leadNumbers) })
        return pages.uncached(try renderer.render("admin", model))
    }

    @Sendable func retry(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let number = RequestNumber.integer(try context.parameters.decoded("number"), in: Self.leadNumbers) else {
            throw HTTPError(.notFound)
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let fields = FormURLEncoded.decode(String(buffer: body))
        guard AdminForms(tokens: formTokens).isValid(fields, request) else {
            return messages.page(
                .forbidden, heading: "Форма устарела", message: "Обновите страницу заявок и нажмите «Повторить» ещё раз.",
                backURL: SiteURL.admin)
        }
        let count = try await leads.retryDead(leadNumber: number)
        wakeWorkers()
        logger.notice("dead deliveries retried by admin", metadata: ["lead_number": "\(number)", "rows": "\(count)"])
        return Response(status: .seeOther, headers: [.location: SiteURL.admin(retried: number), .cacheControl: "no-store"])
    }


    /// Open incidents; one that could not be read is no reason to hide the leads.
    static func alertNotes(_ alerts: AlertStore) async -> [AlertNote] {
        ((try? await alerts.openIncidents()) ?? []).map { incident in
            AlertNote(
                title: incident.title, detail: incident.detail.split(separator: "\n").map(String.init), since: MoscowTime.format(incident.openedAt),
                unsent: incident.openMailedAt == nil ? (incident.mailError.map { "письмо не отправлено: \($0)" } ?? "письмо ещё не отправлено") : nil)
        }
    }

    static func delivery(_ status: DeliveryStatus) -> Delivery {
        let state: String
        switch status.state {
        case .delivered: state = "доставлена"
        case .dead: state = "не доставлена"
        case .pending: state = status.attempts == 0 ? "в очереди" : "повтор \(MoscowTime.format(status.nextAttemptAt))"
        }
        var detail = status.lastError
        if status.state == .delivered, let external = status.externalID { detail = external }
        return Delivery(
            channel: status.channel.displayName,
            state: state, stateClass: status.state.rawValue, attempts: status.attempts > 0 ? "попыток: \(status.attempts)" : nil,
            detail: detail)
    }
}

/// Admin forms carry a token bound to the admin's credential (a per-session token: Basic
/// auth has no other session), so another site cannot make the browser post them.
struct AdminForms: Sendable {
    let tokens: FormTokens

    func purpose(_ request: Request) -> String {
        let credential = AdminGuard.credential(request.headers[.authorization]) ?? ""
        let digest = SHA256.hash(data: Data(("admin|" + credential).utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        return "admin:" + digest
    }

    func token(_ request: Request) -> String {
        tokens.token(purpose: purpose(request))
    }

    /// Whether the posted `fields` carry this admin's token.
    func isValid(_ fields: [String: String], _ request: Request) -> Bool {
        tokens.isValid(fields["csrf"], purpose: purpose(request))
    }
}
