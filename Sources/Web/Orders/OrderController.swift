import Basics
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import Leads
import Storage

/// The order form: `POST /order`, the thanks page and the stand-alone form.
/// Parsing, cross-request checks (form token, honeypot, rate limit) and answers; the order
/// itself is the intake's business.
struct OrderController: Sendable {
    let catalog: Catalog
    /// Templates, layout, page cache, message pages: how an answer is made.
    let site: SitePages
    let intake: LeadIntake
    /// The thanks page's lookup of the lead's number.
    let leads: LeadStore
    /// Orders per client address, shared with the JSON API; nil when switched off.
    let limiter: RateLimiter?
    let trustedProxies: [CIDR]

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get(SiteURL.Route.order.pattern, use: orderPage)
        router.post(SiteURL.Route.order.pattern, use: submit)
        router.get(SiteURL.Route.orderThanks.pattern, use: thanks)
    }

    /// A general request ("Общий запрос"): the form without a product.
    @Sendable func orderPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await site.pages.cached("page:/order@\(site.formTokens.currentWindow())", canonical: SiteURL.order, request: request) {
            .input(try await catalog.index())
        } render: { index in
            try site.renderer.render("order", generalOrderPage(index: index, form: Self.generalForm(csrf: site.formTokens.token())))
        }
    }

    @Sendable func submit(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            return site.messages.page(
                .unsupportedMediaType, heading: "Форма не распознана",
                message: "Отправьте заявку через форму на странице товара.", backURL: SiteURL.order)
        }
        // The limit comes first: a client over it costs no body read and no parse.
        let client = OrderClient(request, context: context, trusted: trustedProxies)
        if let limiter, let retryAfter = limiter.check(ClientAddress.rateKey(client.ip)) {
            return site.messages.page(
                .tooManyRequests, heading: "Слишком много заявок",
                message: "С вашего адреса пришло много заявок подряд. Подождите немного или позвоните нам: 8 800 123-45-67.",
                backURL: SiteURL.order, headers: [.retryAfter: String(retryAfter)])
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let fields = FormURLEncoded.decode(String(buffer: body))
        let backURL = fields["product_id"].flatMap(ItemID.parse).map(SiteURL.orderForm(productID:)) ?? SiteURL.order

        // A filled honeypot is a bot: it sees the usual redirect, nothing is stored or sent.
        if let trap = fields["website"], !trap.trimmingCharacters(in: .whitespaces).isEmpty {
            intake.recordHoneypot()
            return Self.redirect(to: SiteURL.thanks(leadID: RandomHex.make()))
        }
        guard site.formTokens.isValid(fields["csrf"]) else {
            return site.messages.page(
                .forbidden, heading: "Форма устарела",
                message: "Страница с формой была открыта слишком давно. Вернитесь к форме, обновите страницу и отправьте заявку ещё раз — введённое придётся повторить.",
                backURL: backURL)
        }
        let input = OrderInput.lead(fromForm: fields, cookies: OrderInput.utmCookie(request.headers[.cookie]))
        switch try await intake.submit(input, source: .site, client: client) {
        case .accepted(let lead):
            return Self.redirect(to: SiteURL.thanks(leadID: lead.id))
        case .invalid(let errors):
            return try await formWithErrors(fields: fields, errors: errors)
        }
    }

    /// 422: the same form again, with the visitor's values and a message per field.
    func formWithErrors(fields: [String: String], errors: [String: String]) async throws -> Response {
        let index = try? await catalog.index()
        let csrf = site.formTokens.token()
        let rendered: RenderedResponse
        if let id = fields["product_id"].flatMap(ItemID.parse), let product = try? await catalog.product(.id(id)), let index {
            var form = CatalogPageModels.orderForm(for: product, csrf: csrf)
            form.fill(fields, errors: errors)
            let description = await CatalogPageModels.description(of: product, in: catalog)
            rendered = try site.renderer.render("product", site.models.product(product, descriptionHTML: description.html, index: index, form: form))
        } else {
            var form = Self.generalForm(csrf: csrf)
            form.fill(fields, errors: errors)
            rendered = try site.renderer.render("order", generalOrderPage(index: index, form: form))
        }
        return site.pages.uncached(rendered, status: .unprocessableContent)
    }

    @Sendable func thanks(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.decoded("id")
        // An unknown id (a bot's, or a mistyped link) gets the generic thanks and no data.
        let lead = id.count == 32 ? try await leads.lead(id: id) : nil
        let model = ThanksPageModel(
            layout: site.layout.layout(
                catalog.lastIndex, title: "Спасибо за заявку", description: "Заявка принята", canonicalPath: nil, noindex: true),
            heading: lead.map { "Заявка №\($0.number) принята" } ?? "Спасибо, заявка принята",
            number: lead.map { String($0.number) })
        return site.pages.uncached(try site.renderer.render("thanks", model))
    }

    static func generalForm(csrf: String) -> OrderFormModel {
        OrderFormModel(productID: "", productName: Lead.generalRequest, onRequest: false, submitText: "Отправить заявку", csrf: csrf)
    }

    func generalOrderPage(index: CatalogIndex?, form: OrderFormModel) -> OrderPageModel {
        OrderPageModel(
            layout: site.layout.layout(
                index, title: "Заявка на подбор оборудования",
                description: "Оставьте заявку: подберём станок под вашу задачу и пришлём предложение.",
                canonicalPath: SiteURL.order,
                breadcrumbs: [Crumb(name: "Главная", url: SiteURL.home), Crumb(name: "Заявка", url: nil)]),
            heading: "Заявка на подбор оборудования", form: form)
    }

    static func redirect(to location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }
}
