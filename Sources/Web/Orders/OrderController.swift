import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import Leads

/// The order form: `POST /order`, the thanks page, the stand-alone form and the privacy page.
struct OrderController: Sendable {
    let site: Site
    let desk: OrderDesk

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/order", use: orderPage)
        router.post("/order", use: submit)
        router.get("/order/thanks/:id", use: thanks)
        router.get("/privacy", use: privacy)
    }

    /// A general request ("Общий запрос"): the form without a product.
    @Sendable func orderPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await site.cached("page:/order@\(site.formWindow())", request: request) {
            .input(try await site.catalog.index())
        } render: { index in
            try site.renderer.render("order", generalOrderPage(index: index, form: Self.generalForm(csrf: site.formToken())))
        }
    }

    @Sendable func submit(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            return site.messagePage(
                .unsupportedMediaType, heading: "Форма не распознана",
                message: "Отправьте заявку через форму на странице товара.", backURL: SiteURL.order)
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let fields = FormURLEncoded.decode(String(buffer: body))
        let backURL = fields["product_id"].flatMap(ItemID.parse).map { "/product/\($0)#order" } ?? SiteURL.order

        // A filled honeypot is a bot: it sees the usual redirect, nothing is stored or sent.
        if let trap = fields["website"], !trap.trimmingCharacters(in: .whitespaces).isEmpty {
            desk.countHoneypot()
            return Self.redirect(to: "/order/thanks/\(LeadIDForBots.make())")
        }
        guard site.formTokens.isValid(fields["csrf"]) else {
            return site.messagePage(
                .forbidden, heading: "Форма устарела",
                message: "Страница с формой была открыта слишком давно. Вернитесь к форме, обновите страницу и отправьте заявку ещё раз — введённое придётся повторить.",
                backURL: backURL)
        }
        let client = ClientInfo(request, context: context, trusted: site.configuration.trustedProxies)
        if let limiter = desk.ipLimiter, let retryAfter = limiter.check(client.ip) {
            return site.messagePage(
                .tooManyRequests, heading: "Слишком много заявок",
                message: "С вашего адреса пришло много заявок подряд. Подождите немного или позвоните нам: 8 800 123-45-67.",
                backURL: backURL, headers: [.retryAfter: String(retryAfter)])
        }
        let input = OrderInput.lead(fromForm: fields, cookies: OrderInput.utmCookie(request.headers[.cookie]))
        switch try await desk.submit(input, source: "сайт", client: client) {
        case .accepted(let lead):
            return Self.redirect(to: "/order/thanks/\(lead.id)")
        case .invalid(let errors):
            return try await formWithErrors(fields: fields, errors: errors)
        }
    }

    /// 422: the same form again, with the visitor's values and a message per field.
    func formWithErrors(fields: [String: String], errors: [String: String]) async throws -> Response {
        let index = try? await site.catalog.index()
        let csrf = site.formToken()
        var rendered: RenderedResponse
        if let id = fields["product_id"].flatMap(ItemID.parse), let product = try? await site.catalog.product(.id(id)),
            let index
        {
            var form = Site.orderForm(for: product, csrf: csrf)
            form.fill(fields, errors: errors)
            rendered = try site.renderer.render("product", site.productModel(product, index: index, form: form))
        } else {
            var form = Self.generalForm(csrf: csrf)
            form.fill(fields, errors: errors)
            rendered = try site.renderer.render("order", generalOrderPage(index: index, form: form))
        }
        rendered = site.finish(rendered, cacheControl: "no-store")
        return Response(status: .unprocessableContent, headers: rendered.headers, body: .init(byteBuffer: rendered.body))
    }

    @Sendable func thanks(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.decoded("id")
        // An unknown id (a bot's, or a mistyped link) gets the generic thanks and no data.
        let lead = id.count == 32 ? try await desk.store.lead(id: id) : nil
        let model = ThanksPageModel(
            layout: site.layout(
                site.catalog.lastIndex, title: "Спасибо за заявку", description: "Заявка принята", canonicalPath: nil, noindex: true),
            heading: lead.map { "Заявка №\($0.number) принята" } ?? "Спасибо, заявка принята",
            number: lead.map { String($0.number) })
        let rendered = site.finish(try site.renderer.render("thanks", model), cacheControl: "no-store")
        return Response(status: .ok, headers: rendered.headers, body: .init(byteBuffer: rendered.body))
    }

    @Sendable func privacy(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await site.cached("page:/privacy", request: request) {
            .input(site.catalog.lastIndex)
        } render: { index in
            try site.renderer.render(
                "privacy",
                PlainPageModel(
                    layout: site.layout(
                        index, title: "Политика обработки персональных данных",
                        description: "Как мы обрабатываем персональные данные из заявок (152-ФЗ).", canonicalPath: SiteURL.privacy)))
        }
    }

    static func generalForm(csrf: String) -> OrderFormModel {
        OrderFormModel(productID: "", productName: Lead.generalRequest, onRequest: false, submitText: "Отправить заявку", csrf: csrf)
    }

    func generalOrderPage(index: CatalogIndex?, form: OrderFormModel) -> OrderPageModel {
        OrderPageModel(
            layout: site.layout(
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

/// Ids that look like real lead ids, for bots caught by the honeypot.
enum LeadIDForBots {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
    }
}
