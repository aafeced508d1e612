import Catalog
import Foundation
import HTTPTypes
import Hummingbird

/// `GET /preview/{collection}/{id}?secret=&version=`: the Directus "Preview URL" of
/// products and categories.
///
/// Editors see drafts and content versions on the real page design, read with the service
/// token past every cache, under a «Предпросмотр» banner. The page is never cached or
/// indexed, and only this site and the Directus origin may frame it.
struct PreviewController: Sendable {
    typealias Context = AppRequestContext
    /// `PREVIEW_SECRET`; nil: previews do not exist.
    let secret: String?
    /// Signs the links of the previewed item's images (drafts are not served publicly).
    let images: PreviewImages?
    let catalog: Catalog
    /// Templates, layout, page cache, message pages: how an answer is made.
    let site: SitePages
    /// Wrong secrets per client: a guesser gets 429 after a few.
    let guesses: SecretGuesses
    /// The project's collection names (`CATALOG_MAPPING`): the preview URL may name either.
    let mapping: CatalogMapping

    func addRoutes(to router: Router<Context>) {
        router.get(SiteURL.Route.preview.pattern, use: preview)
    }

    @Sendable func preview(_ request: Request, context: Context) async throws -> Response {
        guard let secret else { throw HTTPError(.notFound) }
        let fields = request.queryFields
        // A secret with `+` (base64) arrives as typed: compare it also without form decoding.
        let presented = [fields["secret"], request.uri.queryParameters.get("secret")].compactMap { $0 }
        guard presented.contains(where: { Secrets.matches($0, secret) }) else {
            if let retryAfter = guesses.wrong(request, context: context) {
                var waitHeaders = site.headers.preview
                waitHeaders[.retryAfter] = String(retryAfter)
                return site.messages.page(
                    .tooManyRequests, heading: "Подождите немного",
                    message: "Слишком много неверных ссылок предпросмотра. Повторите через \(retryAfter) с.", headers: waitHeaders)
            }
            return site.messages.page(
                .forbidden, heading: "Нет доступа к предпросмотру",
                message: "Ссылка предпросмотра неверна или устарела. Откройте предпросмотр из Directus ещё раз.",
                backURL: SiteURL.home, backText: "На главную", headers: site.headers.preview)
        }
        let collection = try context.parameters.require("collection")
        guard let id = ItemID.parse(try context.parameters.decoded("id")) else { throw HTTPError(.notFound) }
        let version = Self.version(fields["version"])
        let index = try await catalog.index()
        let rendered: RenderedResponse
        switch collection == mapping.products ? "products" : collection == mapping.categories ? "categories" : collection {
        case "products":
            guard let preview = try await catalog.previewProduct(id: id, version: version) else {
                return notFound(version: version)
            }
            let banner = Self.banner(status: preview.status, version: version)
            let (product, description) = preview.item
            var page = try site.renderer.render("product", site.models.product(product, descriptionHTML: description, index: index, preview: banner))
            if let images {
                let html = images.rewrite(String(buffer: page.body), fileIDs: product.fileIDs)
                page = RenderedResponse(body: ByteBuffer(string: html), contentType: page.contentType)
            }
            rendered = page
        case "categories":
            guard let preview = try await catalog.previewCategory(id: id, version: version) else {
                return notFound(version: version)
            }
            // A published category lists its subcategories' products too; a draft one is not
            // in the index, so its own products are found by their relation.
            let products =
                index.category(id: id) != nil ? index.products(in: preview.item) : index.products.filter { $0.categoryID == id }
            let page = Page(all: products, number: 1, perPage: PageController<Context>.perPage)
            let banner = Self.banner(status: preview.status, version: version)
            rendered = try site.renderer.render("catalog", site.models.category(preview.item, index: index, page: page, preview: banner))
        default:
            throw HTTPError(.notFound)
        }
        var answer = site.headers.preview
        answer[.contentType] = rendered.contentType
        return Response(status: .ok, headers: answer, body: .init(byteBuffer: rendered.body))
    }

    func notFound(version: String?) -> Response {
        site.messages.page(
            .notFound, heading: "Нечего показать",
            message: version.map { "Запись или её версия «\($0)» не найдена в Directus." } ?? "Запись не найдена в Directus.",
            backURL: SiteURL.home, backText: "На главную", headers: site.headers.preview)
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
