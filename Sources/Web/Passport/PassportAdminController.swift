import Basics
import Catalog
import Foundation
import Hummingbird
import Leads
import Logging
import Passport

/// `/admin/passports`: the issued passports, newest first; an admin can revoke one (its page
/// then says so) or have the note with its link added to the amoCRM deal again.
struct PassportAdminController: Sendable {
    let passports: PassportStore
    let catalog: Catalog
    /// Templates, layout, page cache, message pages: how an answer is made.
    let site: SitePages
    let forms: AdminForms
    let guardian: AdminGuard
    /// A note made due again goes out at once.
    let wakeWorker: @Sendable () -> Void
    let logger: Logger

    static let perPage = 50

    func addRoutes(to router: Router<AppRequestContext>) {
        let admin = router.group().add(middleware: guardian)
        admin.get(SiteURL.Route.adminPassports.pattern, use: list)
        admin.post(SiteURL.Route.adminPassportRevoke.pattern, use: revoke)
        admin.post(SiteURL.Route.adminPassportNote.pattern, use: reissueNote)
    }

    struct Row {
        var code: String
        var url: String
        var dealID: Int
        var leadNumber: Int?
        var product: String
        var serial: String?
        var buyer: String
        var soldAt: String
        var issuedAt: String
        var note: String
        var mail: String
        var revokedAt: String?
        var revokeURL: String
        var noteURL: String
    }

    struct Model {
        var layout: LayoutModel
        var rows: [Row]
        var csrf: String
        var done: String?
        var previousURL: String?
        var nextURL: String?
        var total: Int
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = request.queryFields
        guard let page = RequestNumber.page(fields["page"]) else { throw HTTPError(.notFound) }
        let recent = try await passports.recent(limit: Self.perPage + 1, offset: (page - 1) * Self.perPage)
        let rows = recent.prefix(Self.perPage).map { passport in
            Row(
                code: passport.code, url: SiteURL.passport(passport.code), dealID: passport.amoLeadID, leadNumber: passport.leadNumber,
                product: passport.product.name, serial: passport.serial, buyer: passport.buyer.isEmpty ? "—" : passport.buyer,
                soldAt: MoscowTime.formatDate(passport.soldAt), issuedAt: MoscowTime.format(passport.issuedAt),
                note: passport.noteAddedAt.map { "добавлена " + MoscowTime.format($0) } ?? (passport.revokedAt == nil ? "в очереди" : "—"),
                mail: passport.mailedAt.map { "отправлено " + MoscowTime.format($0) } ?? (passport.revokedAt == nil ? "в очереди" : "—"),
                revokedAt: passport.revokedAt.map(MoscowTime.format),
                revokeURL: SiteURL.Route.adminPassportRevoke.path(passport.code), noteURL: SiteURL.Route.adminPassportNote.path(passport.code))
        }
        let done: String? =
            switch fields["done"] {
            case "revoked": "Паспорт отозван: его страница теперь говорит об этом."
            case "note": "Примечание со ссылкой на паспорт будет добавлено в сделку заново."
            default: nil
            }
        let model = Model(
            layout: site.layout.layout(
                catalog.lastIndex, title: "Паспорта изделий", description: "Цифровые паспорта проданных изделий", canonicalPath: nil, noindex: true),
            rows: Array(rows), csrf: forms.token(request), done: done,
            previousURL: page > 1 ? SiteURL.adminPassports(page: page - 1) : nil,
            nextURL: recent.count > Self.perPage ? SiteURL.adminPassports(page: page + 1) : nil,
            total: try await passports.count())
        return site.pages.uncached(try site.renderer.render("admin-passports", model))
    }

    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await act(request, context) { code in
            guard try await passports.revoke(code: code) else { return nil }
            logger.notice("passport revoked by admin", metadata: ["passport": "\(code)"])
            return "revoked"
        }
    }

    @Sendable func reissueNote(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await act(request, context) { code in
            guard try await passports.reissueNote(code: code) else { return nil }
            wakeWorker()
            logger.notice("passport note to be added again by admin", metadata: ["passport": "\(code)"])
            return "note"
        }
    }

    /// Checks the code and the form token, then does `action`; nil from it means there is no
    /// such passport (or none it applies to): 404.
    private func act(
        _ request: Request, _ context: AppRequestContext, _ action: (String) async throws -> String?
    ) async throws -> Response {
        let code = try context.parameters.require("code")
        guard Passport.isWellFormed(code) else { throw HTTPError(.notFound) }
        guard try await forms.isValidPost(request, context: context) else {
            return site.messages.page(
                .forbidden, heading: "Форма устарела", message: "Обновите страницу паспортов и повторите действие.",
                backURL: SiteURL.adminPassports())
        }
        guard let done = try await action(code) else { throw HTTPError(.notFound) }
        return Response(status: .seeOther, headers: [.location: SiteURL.adminPassports(done: done), .cacheControl: "no-store"])
    }
}
