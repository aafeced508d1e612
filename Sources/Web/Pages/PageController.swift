import Catalog
import Foundation
import Hummingbird

/// The public HTML pages: home, catalog and search, categories, products.
struct PageController<Context: RequestContext>: Sendable {
    let site: Site
    static var perPage: Int { 24 }

    func addRoutes(to router: Router<Context>) {
        router.get("/", use: home)
        router.get("/catalog", use: catalog)
        router.get("/catalog/:slug", use: category)
        router.get("/product/:key", use: product)
    }

    @Sendable func home(_ request: Request, context: Context) async throws -> Response {
        try await site.cached("page:/", request: request) {
            .input(try await site.catalog.index())
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
                layout: site.layout(
                    index, title: LayoutModel.siteName,
                    description: "Металлообрабатывающие станки и прессы: токарные, фрезерные, сверлильные. Цены, характеристики, заказ.",
                    canonicalPath: SiteURL.home),
                categories: tiles,
                newest: index.newest(limit: 8).map(ProductCardModel.init))
            return try site.renderer.render("home", model)
        }
    }

    @Sendable func catalog(_ request: Request, context: Context) async throws -> Response {
        let fields = request.queryFields
        let query = Self.query(fields)
        let number = try Self.pageNumber(fields)
        return try await site.cached(query.isEmpty ? "page:/catalog?page=\(number)" : nil, request: request) {
            let index = try await site.catalog.index()
            let page = Page(all: index.search(query), number: number, perPage: Self.perPage)
            guard page.exists else { throw HTTPError(.notFound) }
            return .input((index, page))
        } render: { index, page in
            let heading = query.isEmpty ? "Каталог" : "Поиск: «\(query)»"
            let model = CatalogPageModel(
                layout: site.layout(
                    index, title: query.isEmpty ? "Каталог оборудования" : heading,
                    description: "Каталог металлообрабатывающего оборудования: \(RussianPlural.products(index.products.count)).",
                    canonicalPath: query.isEmpty ? SiteURL.list(SiteURL.catalog, page: page.number) : nil,
                    breadcrumbs: [Crumb(name: "Главная", url: SiteURL.home), Crumb(name: "Каталог", url: nil)],
                    query: query, noindex: !query.isEmpty),
                heading: heading, intro: nil,
                countText: query.isEmpty ? RussianPlural.products(page.total) : "Найдено: \(RussianPlural.products(page.total))",
                subcategories: [], products: page.items.map(ProductCardModel.init),
                emptyText: query.isEmpty
                    ? "Каталог пока пуст." : "По запросу «\(query)» ничего не найдено. Проверьте написание или позвоните нам — подберём оборудование.",
                pagination: PaginationModel(path: SiteURL.catalog, query: query, page: page),
                query: query, formAction: SiteURL.catalog)
            return try site.renderer.render("catalog", model)
        }
    }

    @Sendable func category(_ request: Request, context: Context) async throws -> Response {
        let slug = try context.parameters.decoded("slug")
        let number = try Self.pageNumber(request.queryFields)
        return try await site.cached("page:/catalog/\(slug)?page=\(number)", request: request) {
            let index = try await site.catalog.index()
            guard let category = index.category(slug: slug) else { throw HTTPError(.notFound) }
            let page = Page(all: index.products(in: category), number: number, perPage: Self.perPage)
            guard page.exists else { throw HTTPError(.notFound) }
            return .input((index, category, page))
        } render: { index, category, page in
            try site.renderer.render("catalog", site.categoryModel(category, index: index, page: page))
        }
    }

    @Sendable func product(_ request: Request, context: Context) async throws -> Response {
        let key = try context.parameters.decoded("key")
        return try await site.cached("page:/product/\(key)@\(site.formWindow())", request: request) {
            guard let product = try await Self.findProduct(key, in: site.catalog) else { throw HTTPError(.notFound) }
            // A product with a slug has one address; an id link (an old e-mail) moves there.
            if product.pathKey != key {
                return .response(Response(status: .movedPermanently, headers: [.location: SiteURL.product(product)]))
            }
            return .input((product, try await site.catalog.index()))
        } render: { product, index in
            try site.renderer.render("product", site.productModel(product, index: index))
        }
    }

    /// By slug; a numeric key is an id (a slug that is all digits is tried as well).
    static func findProduct(_ key: String, in catalog: Catalog) async throws -> Product? {
        if let id = ItemID.parse(key) {
            if let product = try await catalog.product(.id(id)) { return product }
        }
        return try await catalog.product(.slug(key))
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
