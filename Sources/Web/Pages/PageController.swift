import Catalog
import Foundation
import Hummingbird

/// The public HTML pages: home, catalog and search, categories, products, the privacy policy.
struct PageController<Context: RequestContext>: Sendable {
    let catalog: Catalog
    let pages: PageCache
    /// Lists narrowed by a typed number (`ProductFilter.hasBounds`): any number is an address, so
    /// they have a small cache of their own and cannot push the site's pages out of `pages`.
    let boundedPages: PageCache
    let renderer: SiteRenderer
    let layout: SiteLayout
    let models: CatalogPageModels
    /// Product pages carry the order form: they are cached per token window.
    let formTokens: FormTokens
    static var perPage: Int { 24 }

    func addRoutes(to router: Router<Context>) {
        router.get(SiteURL.Route.home.pattern, use: home)
        router.get(SiteURL.Route.catalog.pattern, use: catalogPage)
        router.get(SiteURL.Route.category.pattern, use: category)
        router.get(SiteURL.Route.product.pattern, use: product)
        router.get(SiteURL.Route.privacy.pattern, use: privacy)
    }

    @Sendable func home(_ request: Request, context: Context) async throws -> Response {
        try await pages.cached("page:/", canonical: SiteURL.home, request: request) {
            .input(try await catalog.index())
        } render: { index in
            let tiles = index.rootCategories.map { category in
                CategoryTileModel(
                    name: category.name, url: SiteURL.category(category.slug),
                    countText: RussianPlural.products(index.productCount(category)),
                    children: index.children(of: category).map {
                        NavItem(name: $0.name, url: SiteURL.category($0.slug), active: false)
                    })
            }
            let model = HomePageModel(
                layout: layout.layout(
                    index, title: LayoutModel.siteName,
                    description: "Металлообрабатывающие станки и прессы: токарные, фрезерные, сверлильные. Цены, характеристики, заказ.",
                    canonicalPath: SiteURL.home),
                categories: tiles,
                newest: index.newest(limit: 8).map { ProductCardModel($0) })
            return try renderer.render("home", model)
        }
    }

    @Sendable func catalogPage(_ request: Request, context: Context) async throws -> Response {
        let fields = request.queryFields
        let query = Self.query(fields)
        let number = try Self.pageNumber(fields)
        let filter = try Self.filter(request)
        let address = SiteURL.list(SiteURL.catalog, filter: filter, page: number)
        if let tidy = Self.tidyAddress(request, SiteURL.list(SiteURL.catalog, query: query, filter: filter, page: number)) { return tidy }
        let cache = filter.hasBounds ? boundedPages : pages
        return try await cache.cached(query.isEmpty ? "page:" + address : nil, canonical: address, request: request) {
            let index = try await catalog.index()
            let found = index.find(query)
            // A search offers the catalog's filters: worked out once, not for every query.
            let facets = index.facets(in: nil)
            guard let products = filter.apply(found.products, facets: facets) else { throw HTTPError(.notFound) }
            let page = Page(all: products, number: number, perPage: Self.perPage)
            guard page.exists else { throw HTTPError(.notFound) }
            return .input((index, page, found, facets))
        } render: { index, page, found, facets in
            let heading = query.isEmpty ? "Каталог" : "Поиск: «\(query)»"
            let model = CatalogPageModel(
                layout: layout.layout(
                    index, title: query.isEmpty ? "Каталог оборудования" : heading,
                    description: "Каталог металлообрабатывающего оборудования: \(RussianPlural.products(index.products.count)).",
                    canonicalPath: query.isEmpty ? address : nil,
                    breadcrumbs: [Crumb(name: "Главная", url: SiteURL.home), Crumb(name: "Каталог", url: nil)],
                    query: query, noindex: !query.isEmpty || filter.conditionCount > 1),
                heading: heading, intro: nil,
                countText: query.isEmpty && filter.isEmpty
                    ? RussianPlural.products(page.total) : "Найдено: \(RussianPlural.products(page.total))",
                subcategories: [], products: page.items.map { ProductCardModel($0, highlighting: found.matchedKeys) },
                emptyText: query.isEmpty
                    ? (filter.isEmpty ? "Каталог пока пуст." : "Под эти условия ничего не подходит. Уберите часть фильтров.")
                    : "По запросу «\(query)» ничего не найдено. Проверьте написание или позвоните нам — подберём оборудование.",
                pagination: PaginationModel(path: SiteURL.catalog, query: query, filter: filter, page: page),
                query: query, formAction: SiteURL.catalog, correctedQuery: found.correctedQuery, partialMatch: found.partial,
                suggestions: page.items.isEmpty && !query.isEmpty
                    ? index.rootCategories.map { NavItem(name: $0.name, url: SiteURL.category($0.slug), active: false) } : [],
                filter: FilterFormModel(action: SiteURL.catalog, query: query, filter: filter, facets: facets))
            return try renderer.render("catalog", model)
        }
    }

    @Sendable func category(_ request: Request, context: Context) async throws -> Response {
        let slug = try context.parameters.decoded("slug")
        let fields = request.queryFields
        let number = try Self.pageNumber(fields)
        let filter = try Self.filter(request)
        let address = SiteURL.list(SiteURL.category(slug), filter: filter, page: number)
        if let tidy = Self.tidyAddress(request, address) { return tidy }
        let cache = filter.hasBounds ? boundedPages : pages
        return try await cache.cached("page:" + address, canonical: address, request: request) {
            let index = try await catalog.index()
            guard let category = index.category(slug: slug) else { throw HTTPError(.notFound) }
            let facets = index.facets(in: category)
            guard let products = filter.apply(index.products(in: category), facets: facets) else { throw HTTPError(.notFound) }
            let page = Page(all: products, number: number, perPage: Self.perPage)
            guard page.exists else { throw HTTPError(.notFound) }
            return .input((index, category, page, facets))
        } render: { index, category, page, facets in
            try renderer.render("catalog", models.category(category, index: index, page: page, filter: filter, facets: facets))
        }
    }

    @Sendable func product(_ request: Request, context: Context) async throws -> Response {
        let key = try context.parameters.decoded("key")
        return try await pages.cached(
            "page:/product/\(key)@\(formTokens.currentWindow())", canonical: SiteURL.Route.product.path(key), request: request
        ) {
            guard let product = try await Self.findProduct(key, in: catalog) else { throw HTTPError(.notFound) }
            // A product with a slug has one address; an id link (an old e-mail) moves there.
            if product.pathKey != key {
                return .response(Response(status: .movedPermanently, headers: [.location: SiteURL.product(product)]))
            }
            return .input((product, try await catalog.index()))
        } render: { (product: Product, index: CatalogIndex) in
            let description = await CatalogPageModels.description(of: product, in: catalog)
            var page = try renderer.render("product", models.product(product, descriptionHTML: description.html, index: index))
            page.complete = description.complete
            return page
        }
    }

    @Sendable func privacy(_ request: Request, context: Context) async throws -> Response {
        try await pages.cached("page:/privacy", canonical: SiteURL.privacy, request: request) {
            .input(catalog.lastIndex)
        } render: { index in
            try renderer.render(
                "privacy",
                PlainPageModel(
                    layout: layout.layout(
                        index, title: "Политика обработки персональных данных",
                        description: "Как мы обрабатываем персональные данные из заявок (152-ФЗ).", canonicalPath: SiteURL.privacy)))
        }
    }

    /// By slug; a numeric key is an id (a slug that is all digits is tried as well).
    static func findProduct(_ key: String, in catalog: Catalog) async throws -> Product? {
        if let id = ItemID.parse(key) {
            if let product = try await catalog.product(.id(id)) { return product }
        }
        return try await catalog.product(.slug(key))
    }

    /// `stock`, `price_from`, `price_to`, `spec.…`, `sort`: a value that is not one is no page
    /// (404), as a page number that is not one is none.
    static func filter(_ request: Request) throws -> ProductFilter {
        guard let filter = ProductFilter(query: request.queryPairs) else { throw HTTPError(.notFound) }
        return filter
    }

    /// The list's parameters this server reads; a query of only these with other fields or in
    /// another order (the filter form sends its empty fields, in its own order) is sent on to the
    /// list's one address. Others (`utm_source`, a click id) are kept for the page's script to
    /// read, so such a query is served as it is.
    static var listParameters: Set<String> { ["q", "page", "stock", "price_from", "price_to", "sort"] }

    /// A 301 to `address` when the request's query has the list's own parameters only, but not
    /// its fields in its order; nil when they are (whatever the percent-encoding: the search
    /// form's `+` for a space is not worth a round trip) or when other parameters come along.
    static func tidyAddress(_ request: Request, _ address: String) -> Response? {
        let pairs = request.queryPairs
        guard pairs.allSatisfy({ listParameters.contains($0.name) || $0.name.hasPrefix("spec.") }) else { return nil }
        let wanted = address.firstIndex(of: "?").map { FormURLEncoded.pairs(address[address.index(after: $0)...]) } ?? []
        guard !pairs.elementsEqual(wanted, by: { $0.name == $1.name && $0.value == $1.value }) else { return nil }
        return Response(status: .movedPermanently, headers: [.location: address])
    }

    /// The search words as typed (a GET form sends spaces as `+`), white space collapsed.
    static func query(_ fields: [String: String]) -> String {
        let raw = fields["q"] ?? ""
        return String(raw.split(whereSeparator: \.isWhitespace).joined(separator: " ").prefix(100))
    }

    /// `?page=`: absent is the first page; anything but a page number is no page at all (404),
    /// so that every list page has one address.
    static func pageNumber(_ fields: [String: String]) throws -> Int {
        guard let number = RequestNumber.page(fields["page"]) else { throw HTTPError(.notFound) }
        return number
    }
}
