import Basics
import Catalog
import Foundation
import Hummingbird
import Storage

/// The normalized catalog as JSON for other front ends.
struct CatalogAPIController<Context: RequestContext>: Sendable {
    let catalog: Catalog
    /// Templates, layout, page cache, message pages: how an answer is made.
    let site: SitePages
    static var defaultPerPage: Int { 24 }
    static var maxPerPage: Int { 100 }

    func addRoutes(to router: Router<Context>) {
        router.get(SiteURL.Route.apiCategories.pattern, use: categories)
        router.get(SiteURL.Route.apiProducts.pattern, use: products)
        router.get(SiteURL.Route.apiProduct.pattern, use: product)
    }

    @Sendable func categories(_ request: Request, context: Context) async throws -> Response {
        try await site.pages.cached("api:categories", canonical: SiteURL.Route.apiCategories.rawValue, request: request) {
            .input(try await catalog.index())
        } render: { index in
            let items = index.categories.map { category in
                CategoryDTO(
                    id: category.id, slug: category.slug, name: category.name,
                    parentSlug: category.parentID.flatMap { index.category(id: $0)?.slug },
                    url: site.layout.absoluteURL(SiteURL.category(category.slug)), productCount: index.productCount(category))
            }
            return try json(CategoryListDTO(items: items))
        }
    }

    @Sendable func products(_ request: Request, context: Context) async throws -> Response {
        let pairs = request.queryPairs
        let parameters = FormURLEncoded.fields(pairs)
        let page = try Self.integer(parameters["page"], name: "page", default: 1, range: RequestNumber.pages)
        let perPage = try Self.integer(
            parameters["per_page"], name: "per_page", default: Self.defaultPerPage, range: 1...Self.maxPerPage)
        let query = ListQuery.words(parameters)
        let categorySlug = parameters["category"].flatMap { $0.isEmpty ? nil : $0 }
        guard let filter = ProductFilter(query: pairs) else {
            throw ProblemDetails(
                .badRequest,
                detail: "Фильтр не распознан: stock=1, price_from и price_to — целые рубли, spec.{ключ}.from и .to — числа, "
                    + "sort — price, -price, name или new.",
                errors: [
                    "filter": "stock=1; price_from, price_to: 0…\(ProductFilter.priceLimit); spec.{key}, spec.{key}.from, spec.{key}.to "
                        + "(at most \(ProductFilter.specKeyLimit) keys); sort: price, -price, name, new"
                ])
        }
        // The canonical spelling: known parameters in this order, defaults left out.
        var canonical: [(name: String, value: String)] = categorySlug.map { [("category", $0)] } ?? []
        canonical += SiteURL.listItems(filter: filter, page: page)
        if perPage != Self.defaultPerPage { canonical.append(("per_page", String(perPage))) }
        let target = SiteURL.Route.apiProducts.rawValue + SiteURL.querySuffix(canonical)
        // Cached: the default page size only. Every `per_page` from 1 to 100 times every page
        // would be tens of thousands of valid keys, enough to push the site's pages out.
        let key = query.isEmpty && perPage == Self.defaultPerPage ? "api:" + target : nil
        return try await site.pages.cached(key, canonical: target, bounded: filter.isLongTail, request: request) {
            let index = try await catalog.index()
            var scope: [Product]?
            var category: Category?
            if let categorySlug {
                guard let found = index.category(slug: categorySlug) else {
                    throw ProblemDetails(.notFound, detail: "Категория «\(categorySlug)» не найдена.")
                }
                category = found
                scope = index.products(in: found)
            }
            let listed = index.search(query, in: scope)
            // The filters of the list as its page offers them (a search: those of its scope).
            let facets = index.facets(in: category)
            guard let products = filter.apply(listed, facets: facets) else {
                let offered = facets.map { "spec.\($0.key)" }.joined(separator: ", ")
                throw ProblemDetails(
                    .badRequest,
                    detail: "Такого фильтра по характеристикам у этого списка нет"
                        + (offered.isEmpty ? "." : ": доступны \(offered) (см. filters в ответе без них)."),
                    errors: ["filter": offered.isEmpty ? "no spec filters for this list" : offered])
            }
            let result = Page(all: products, number: page, perPage: perPage)
            guard result.exists else {
                throw ProblemDetails(
                    .notFound, detail: "Страницы \(page) нет: товаров \(result.total), последняя страница — \(result.pageCount).",
                    errors: ["page": "Допустимо от 1 до \(result.pageCount)"])
            }
            return .input((result, facets))
        } render: { result, facets in
            let descriptions = try await descriptions(of: result.items)
            return try json(
                ProductListDTO(
                    items: result.items.map { ProductDTO(product: $0, descriptionHTML: descriptions[$0.id] ?? "", baseURL: site.layout.baseURL) },
                    page: result.number, perPage: result.perPage, total: result.total, filters: facets.map(SpecFilterDTO.init)))
        }
    }

    @Sendable func product(_ request: Request, context: Context) async throws -> Response {
        let key = try context.parameters.decoded("slug")
        // Keyed by what exists: an unknown or padded key (`0001`) is a 404 and stores nothing.
        return try await site.pages.cached("api:product:\(key)", canonical: SiteURL.Route.apiProduct.path(key), request: request) {
            guard let product = try await PageController<Context>.findProduct(key, in: catalog) else {
                throw ProblemDetails(.notFound, detail: "Товар «\(key)» не найден.")
            }
            return .input(product)
        } render: { product in
            let descriptions = try await descriptions(of: [product])
            return try json(ProductDTO(product: product, descriptionHTML: descriptions[product.id] ?? "", baseURL: site.layout.baseURL))
        }
    }

    /// The whole descriptions of the products an answer lists, or 503 while Directus cannot
    /// give them: a machine reader gets the real text or a clear "try again", never a cut one.
    private func descriptions(of products: [Product]) async throws -> [Int: String] {
        do {
            return try await catalog.descriptions(of: products)
        } catch {
            var problem = ProblemDetails(.serviceUnavailable, detail: "Каталог временно недоступен, повторите запрос позже.")
            problem.retryAfter = 5
            throw problem
        }
    }

    private func json(_ value: some Encodable) throws -> RenderedResponse {
        RenderedResponse(body: ByteBuffer(bytes: try JSONEncoder.sorted.encode(value)), contentType: "application/json; charset=utf-8")
    }

    static func integer(_ raw: String?, name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw, !raw.isEmpty else { return value }
        guard let number = RequestNumber.integer(raw, in: range) else {
            throw ProblemDetails(
                .badRequest,
                detail: "Параметр \(name) должен быть целым числом от \(range.lowerBound) до \(range.upperBound).",
                errors: [name: "Допустимо от \(range.lowerBound) до \(range.upperBound)"])
        }
        return number
    }
}
