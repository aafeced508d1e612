import Basics
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import Leads
import Passport
import Storage

/// `GET /passport/{code}`: a sold unit's digital passport, printable on one A4 sheet;
/// `GET /passport/{code}/qr.svg`: the QR code of the page's address.
///
/// Public but not for search engines (`noindex`), never cached by the way (a revoked passport
/// must say so at once). A code that cannot be one is answered 404 without a database read.
struct PassportController<Context: RequestContext>: Sendable {
    let passports: PassportStore
    let catalog: Catalog
    /// Templates, layout, page cache, message pages: how an answer is made.
    let site: SitePages
    let clock: any WallClock

    func addRoutes(to router: Router<Context>) {
        router.get(SiteURL.Route.passport.pattern, use: page)
        router.get(SiteURL.Route.passportQR.pattern, use: qrCode)
    }

    @Sendable func page(_ request: Request, context: Context) async throws -> Response {
        let passport = try await find(context)
        let model = PassportPageModel(passport, layout: site.layout, index: catalog.lastIndex, now: clock.now())
        var response = site.pages.uncached(try site.renderer.render("passport", model), status: passport.revokedAt == nil ? .ok : .gone)
        response.headers[HTTPField.Name("X-Robots-Tag")!] = "noindex, nofollow"
        return response
    }

    @Sendable func qrCode(_ request: Request, context: Context) async throws -> Response {
        let passport = try await find(context)
        let address = site.layout.absoluteURL(SiteURL.passport(passport.code))
        guard let code = QRCode(address) else { throw HTTPError(.internalServerError) }
        let svg = code.svg(title: "QR-код паспорта: \(address)")
        return Response(
            status: .ok,
            headers: [
                .contentType: "image/svg+xml", .cacheControl: "public, max-age=86400", .xContentTypeOptions: "nosniff",
                .contentSecurityPolicy: "default-src 'none'", HTTPField.Name("X-Robots-Tag")!: "noindex",
            ],
            body: .init(byteBuffer: ByteBuffer(string: svg)))
    }

    private func find(_ context: Context) async throws -> Passport {
        let code = try context.parameters.require("code")
        guard Passport.isWellFormed(code), let passport = try await passports.passport(code: code) else { throw HTTPError(.notFound) }
        return passport
    }
}

struct PassportPageModel {
    var layout: LayoutModel
    var code: String
    var qrURL: String
    var pageURL: String
    var productName: String
    var productURL: String?
    var sku: String?
    var serial: String
    var buyer: String
    var soldAt: String
    var warranty: String
    var warrantyState: String?
    var specs: [Passport.Spec]
    var issuedAt: String
    var revoked: Bool
    var revokedAt: String?

    init(_ passport: Passport, layout site: SiteLayout, index: CatalogIndex?, now: Date) {
        let path = SiteURL.passport(passport.code)
        layout = site.layout(
            index, title: "Паспорт изделия: \(passport.product.name)",
            description: "Цифровой паспорт проданного оборудования: изделие, характеристики, гарантия.", canonicalPath: nil, noindex: true)
        code = passport.code
        qrURL = SiteURL.passportQR(passport.code)
        pageURL = site.absoluteURL(path)
        productName = passport.product.name
        productURL = passport.product.url
        sku = passport.product.sku
        serial = passport.serial ?? "не указан"
        buyer = passport.buyer.isEmpty ? "не указан" : passport.buyer
        soldAt = MoscowTime.formatDate(passport.soldAt)
        warranty = passport.warrantyText
        if passport.revokedAt == nil && passport.warrantyMonths > 0 {
            warrantyState = now < passport.warrantyUntil ? "действует" : "истекла"
        }
        specs = passport.specs
        issuedAt = MoscowTime.formatDate(passport.issuedAt)
        revoked = passport.revokedAt != nil
        revokedAt = passport.revokedAt.map(MoscowTime.formatDate)
    }
}
