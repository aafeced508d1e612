import Catalog
import Foundation
import HTTPTypes
import Hummingbird

/// `GET /preview/{collection}/{id}?secret=&version=`: the Directus "Preview URL" of
/// products and categories (DESIGN §5).
///
/// Editors see drafts and content versions on the real page design, read with the service
/// token past every cache, under a «Предпросмотр» banner. The page is never cached or
/// indexed, and only this site and the Directus origin may frame it.
struct PreviewController<Context: RequestContext>: Sendable {
    let site: Site

    func addRoutes(to router: Router<Context>) {
        router.get("/preview/:collection/:id", use: preview)
    }

    @Sendable func preview(_ request: Request, context: Context) async throws -> Response {
        guard let secret = site.configuration.previewSecret else { throw HTTPError(.notFound) }
        let fields = request.queryFields
        let presented = fields["secret"] ?? ""
        guard Secrets.matches(presented, secret) else {
            return site.messagePage(
                .forbidden, heading: "Нет доступа к предпросмотру",
                message: "Ссылка предпросмотра неверна или устарела. Откройте предпросмотр из Directus ещё раз.",
                backURL: SiteURL.home, backText: "На главную", headers: site.previewHeaders)
        }
        let collection = try context.parameters.require("collection")
        guard let id = ItemID.parse(try context.parameters.decoded("id")) else { throw HTTPError(.notFound) }
        let version = Self.version(fields["version"])
        let index = try await site.catalog.index()
        let rendered: RenderedResponse
        switch collection {
        case "products":
            guard let preview = try await site.catalog.previewProduct(id: id, version: version) else {
                return notFound(version: version)
            }
            let banner = Self.banner(status: preview.status, version: version)
            rendered = try site.renderer.render("product", site.productModel(preview.item, index: index, preview: banner))
        case "categories":
            guard let preview = try await site.catalog.previewCategory(id: id, version: version) else {
                return notFound(version: version)
            }
            // A published category lists its subcategories' products too; a draft one is not
            // in the index, so its own products are found by their relation.
            let products =
                index.category(id: id) != nil ? index.products(in: preview.item) : index.products.filter { $0.categoryID == id }
            let page = Page(all: products, number: 1, perPage: PageController<Context>.perPage)
            let banner = Self.banner(status: preview.status, version: version)
            rendered = try site.renderer.render("catalog", site.categoryModel(preview.item, index: index, page: page, preview: banner))
        default:
            throw HTTPError(.notFound)
        }
        var headers = site.previewHeaders
        headers[.contentType] = rendered.contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: rendered.body))
    }

    func notFound(version: String?) -> Response {
        site.messagePage(
            .notFound, heading: "Нечего показать",
            message: version.map { "Запись или её версия «\($0)» не найдена в Directus." } ?? "Запись не найдена в Directus.",
            backURL: SiteURL.home, backText: "На главную", headers: site.previewHeaders)
    }

    /// Directus sends `{{$version}}` as `main` (or nothing) for the item itself.
    static func version(_ raw: String?) -> String? {
        guard let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty, raw != "main" else { return nil }
        return String(raw.prefix(64))
    }

    static func banner(status: String?, version: String?) -> PreviewBanner {
        let state: String
        switch status {
        case "draft": state = "Черновик — посетители сайта его не видят."
        case "archived": state = "Запись в архиве — посетители сайта её не видят."
        case "published", nil: state = "Опубликовано."
        case let other?: state = "Статус «\(other)» — посетители сайта запись не видят."
        }
        let versionText = version.map { "Версия «\($0)»: изменения ещё не опубликованы. " } ?? ""
        return PreviewBanner(text: versionText + state)
    }
}
