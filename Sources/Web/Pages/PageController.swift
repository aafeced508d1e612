import Catalog
import Foundation
import Hummingbird

/// The public HTML pages: home, catalog and search, categories, products, the privacy policy.
struct PageController<Context: RequestContext>: Sendable {
    let catalog: Catalog
    /// Templates, layout, page cache, message pages: how an answer is made. Product pages carry
    /// the order form: they are cached per token window.
    let site: SitePages
    static var perPage: Int { 24 }

    func addRoutes(to router: Router<Context>) {
        router.get(SiteURL.Route.home.pattern, use: home)
        router.get(SiteURL.Route.catalog.pattern, use: catalogPage)
        router.get(SiteURL.Route.category.pattern, use: category)
        router.get(SiteURL.Route.product.pattern, use: product)
        router.get(SiteURL.Route.privacy.pattern, use: privacy)
    }

    @Sendable func home(_ request: Request, context: Context) async throws -> Response {
        try await site.pages.cached("page:/", canonical: SiteURL.home, request: request) {
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
                layout: site.layout.layout(
                    index, title: LayoutModel.siteName,
                    description: "Металлообрабатывающие станки и прессы: токарные, фрезерные, сверлильные. Цены, характеристики, заказ.",
                    canonicalPath: SiteURL.home),
                categories: tiles,
                newest: index.newest(limit: 8).map { ProductCardModel($0) })
            return try site.renderer.render("home", model)
        }
    }

    @Sendable func catalogPage(_ request: Request, context: Context) async throws -> Response {
        let list = try ListQuery(request)
        if let tidy = list.redirect(SiteURL.catalog, searching: true) { return tidy }
        let (query, number, filter) = (list.words, list.page, list.filter)
        let address = list.address(SiteURL.catalog)
        return try await site.pages.cached(query.isEmpty ? "page:" + address : nil, canonical: address, bounded: filter.isLongTail, request: request) {
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
                layout: site.layout.layout(
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
            return try site.renderer.render("catalog", model)
        }
    }

    @Sendable func category(_ request: Request, context: Context) async throws -> Response {
        let slug = try context.parameters.decoded("slug")
        let list = try ListQuery(request)
        if let tidy = list.redirect(SiteURL.category(slug)) { return tidy }
        let (number, filter) = (list.page, list.filter)
        let address = list.address(SiteURL.category(slug))
        return try await site.pages.cached("page:" + address, canonical: address, bounded: filter.isLongTail, request: request) {
            let index = try await catalog.index()
            guard let category = index.category(slug: slug) else { throw HTTPError(.notFound) }
            let facets = index.facets(in: category)
            guard let products = filter.apply(index.products(in: category), facets: facets) else { throw HTTPError(.notFound) }
            let page = Page(all: products, number: number, perPage: Self.perPage)
            guard page.exists else { throw HTTPError(.notFound) }
            return .input((index, category, page, facets))
        } render: { index, category, page, facets in
            try site.renderer.render("catalog", site.models.category(category, index: index, page: page, filter: filter, facets: facets))
        }
    }

    @Sendable func product(_ request: Request, context: Context) async throws -> Response {
        let key = try context.parameters.decoded("key")
        return try await site.pages.cached(
            "page:/product/\(key)@\(site.formTokens.currentWindow())", canonical: SiteURL.Route.product.path(key), request: request
        ) {
            guard let product = try await Self.findProduct(key, in: catalog) else { throw HTTPError(.notFound) }
            // A product with a slug has one address; an id link (an old e-mail) moves there.
            if product.pathKey != key {
                return .response(Response(status: .movedPermanently, headers: [.location: SiteURL.product(product)]))
            }
            return .input((product, try await catalog.index()))
        } render: { (product: Product, index: CatalogIndex) in
            let description = await CatalogPageModels.description(of: product, in: catalog)
            var page = try site.renderer.render("product", site.models.product(product, descriptionHTML: description.html, index: index))
            page.complete = description.complete
            return page
        }
    }

    @Sendable func privacy(_ request: Request, context: Context) async throws -> Response {
        try await site.pages.cached("page:/privacy", canonical: SiteURL.privacy, request: request) {
            .input(catalog.lastIndex)
        } render: { index in
            try site.renderer.render(
                "privacy",
                PlainPageModel(
                    layout: site.layout.layout(
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
}
