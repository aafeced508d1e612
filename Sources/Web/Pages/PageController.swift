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
        let query = Self.query(request)
        let number = Self.pageNumber(request)
        return try await site.cached(query.isEmpty ? "page:/catalog?page=\(number)" : nil, request: request) {
            let index = try await site.catalog.index()
            let page = Page(all: index.search(query), number: number, perPage: Self.perPage)
            guard page.number == 1 || !page.items.isEmpty else { throw HTTPError(.notFound) }
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
        let slug = try context.parameters.require("slug")
        let number = Self.pageNumber(request)
        return try await site.cached("page:/catalog/\(slug)?page=\(number)", request: request) {
            let index = try await site.catalog.index()
            guard let category = index.category(slug: slug) else { throw HTTPError(.notFound) }
            let page = Page(all: index.products(in: category), number: number, perPage: Self.perPage)
            guard page.number == 1 || !page.items.isEmpty else { throw HTTPError(.notFound) }
            return .input((index, category, page))
        } render: { index, category, page in
            let path = SiteURL.category(category.slug)
            var crumbs = [Crumb(name: "Главная", url: SiteURL.home), Crumb(name: "Каталог", url: SiteURL.catalog)]
            crumbs += index.path(to: category).map { Crumb(name: $0.name, url: $0.id == category.id ? nil : SiteURL.category($0.slug)) }
            let model = CatalogPageModel(
                layout: site.layout(
                    index, title: category.name,
                    description: "\(category.name): \(RussianPlural.products(page.total)) с ценами и характеристиками.",
                    canonicalPath: SiteURL.list(path, page: page.number), activeCategoryID: category.id, breadcrumbs: crumbs),
                heading: category.name, intro: nil,
                countText: RussianPlural.products(page.total),
                subcategories: index.children(of: category).map {
                    NavItem(name: "\($0.name) (\(index.productCount($0)))", url: SiteURL.category($0.slug), active: false)
                },
                products: page.items.map(ProductCardModel.init),
                emptyText: "В этой категории пока нет товаров. Оставьте заявку — подберём оборудование под задачу.",
                pagination: PaginationModel(path: path, query: "", page: page),
                query: "", formAction: SiteURL.catalog)
            return try site.renderer.render("catalog", model)
        }
    }

    @Sendable func product(_ request: Request, context: Context) async throws -> Response {
        let key = try context.parameters.require("key")
        return try await site.cached("page:/product/\(key)@\(site.formWindow())", request: request) {
            guard let product = try await Self.findProduct(key, in: site.catalog) else { throw HTTPError(.notFound) }
            // A product with a slug has one address; an id link (an old e-mail) moves there.
            if product.pathKey != key {
                return .response(Response(status: .movedPermanently, headers: [.location: SiteURL.product(product)]))
            }
            return .input((product, try await site.catalog.index()))
        } render: { product, index in
            try site.renderer.render("product", productModel(product, index: index))
        }
    }

    /// By slug; a numeric key is an id (a slug that is all digits is tried as well).
    static func findProduct(_ key: String, in catalog: Catalog) async throws -> Product? {
        if let id = Int(key), id > 0 {
            if let product = try await catalog.product(.id(id)) { return product }
        }
        return try await catalog.product(.slug(key))
    }

    func productModel(_ product: Product, index: CatalogIndex, form filled: OrderFormModel? = nil) -> ProductPageModel {
        var crumbs = [Crumb(name: "Главная", url: SiteURL.home), Crumb(name: "Каталог", url: SiteURL.catalog)]
        if let ref = product.category, let category = index.category(id: ref.id) {
            crumbs += index.path(to: category).map { Crumb(name: $0.name, url: SiteURL.category($0.slug)) }
        }
        crumbs.append(Crumb(name: product.name, url: nil))
        let gallery = product.images.enumerated().map { position, image in
            GalleryImageModel(
                fullURL: SiteURL.asset(image.fileID, preset: .full), thumbURL: SiteURL.asset(image.fileID, preset: .thumb),
                alt: image.alt, width: image.width ?? 800, height: image.height ?? 600, first: position == 0)
        }
        let placeholder = GalleryImageModel(
            fullURL: SiteURL.placeholderImage, thumbURL: SiteURL.placeholderImage, alt: "Фото скоро появится",
            width: 800, height: 600, first: true)
        var description = "\(product.name): \(product.price.text)."
        if !product.summary.isEmpty { description += " " + product.summary }
        return ProductPageModel(
            layout: site.layout(
                index, title: product.name, description: description, canonicalPath: SiteURL.product(product),
                activeCategoryID: product.category?.id, breadcrumbs: crumbs),
            name: product.name, sku: product.sku,
            categoryName: product.category?.name ?? CatalogNormalizer.noCategoryText,
            categoryURL: product.category.map { SiteURL.category($0.slug) },
            priceText: product.price.text, onRequest: product.price.onRequest, availability: product.availability,
            mainImage: gallery.first ?? placeholder, gallery: gallery, hasGallery: gallery.count > 1,
            specs: product.specs.map(SpecRowModel.init),
            descriptionHTML: product.descriptionHTML, hasDescription: !product.descriptionHTML.isEmpty,
            form: filled ?? Self.orderForm(for: product, csrf: site.formToken()))
    }

    static func orderForm(for product: Product, csrf: String) -> OrderFormModel {
        OrderFormModel(
            productID: String(product.id), productName: product.name, onRequest: product.price.onRequest,
            submitText: product.price.onRequest ? "Запросить цену" : "Отправить заявку", csrf: csrf)
    }

    static func query(_ request: Request) -> String {
        let raw = request.uri.queryParameters.get("q") ?? ""
        return String(raw.split(whereSeparator: \.isWhitespace).joined(separator: " ").prefix(100))
    }

    static func pageNumber(_ request: Request) -> Int {
        guard let text = request.uri.queryParameters.get("page"), let number = Int(text), number >= 1, number <= 10_000 else {
            return 1
        }
        return number
    }
}
