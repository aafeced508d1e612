import SafeText
import Catalog
import Foundation

/// The page models of products and catalog lists, built in one place for the public
/// pages, the re-rendered order form and the editor preview.
struct CatalogPageModels: Sendable {
    let layout: SiteLayout
    /// The order form's token of the current window.
    let formTokens: FormTokens

    /// A product's page; `descriptionHTML` is its sanitized description (`description(of:in:)`).
    func product(
        _ product: Product, descriptionHTML: String, index: CatalogIndex, form filled: OrderFormModel? = nil, preview: PreviewBanner? = nil
    ) -> ProductPageModel {
        var crumbs = [Crumb(name: "Главная", url: SiteURL.home), Crumb(name: "Каталог", url: SiteURL.catalog)]
        if let ref = product.category, let category = index.category(id: ref.id) {
            crumbs += index.path(to: category).map { Crumb(name: $0.name, url: SiteURL.category($0.slug)) }
        }
        crumbs.append(Crumb(name: product.name, url: nil))
        let gallery = product.images.enumerated().map { position, image in
            GalleryImageModel(
                fullURL: SiteURL.asset(image.fileID, preset: .full), thumbURL: SiteURL.asset(image.fileID, preset: .thumb),
                srcset: "\(SiteURL.asset(image.fileID, preset: .card)) 480w, \(SiteURL.asset(image.fileID, preset: .full)) 1600w",
                alt: image.alt, width: image.width ?? 800, height: image.height ?? 600, first: position == 0)
        }
        let placeholder = GalleryImageModel(
            fullURL: SiteURL.placeholderImage, thumbURL: SiteURL.placeholderImage, srcset: nil, alt: "Фото скоро появится",
            width: 800, height: 600, first: true)
        var description = "\(product.name): \(product.price.text)."
        if !product.summary.isEmpty { description += " " + product.summary }
        var frame = layout.layout(
            index, title: product.name, description: description, canonicalPath: SiteURL.product(product),
            activeCategoryID: product.category?.id, breadcrumbs: crumbs, noindex: preview != nil)
        frame.preview = preview
        frame.openGraph = OpenGraphModel(
            type: "product", title: product.name, description: description, url: layout.absoluteURL(SiteURL.product(product)),
            image: layout.absoluteURL(product.images.first.map { SiteURL.asset($0.fileID, preset: .full) } ?? SiteURL.placeholderImage))
        frame.structuredData = StructuredData.product(product, layout: layout)
        var form = filled ?? Self.orderForm(for: product, csrf: formTokens.token())
        form.disabled = preview != nil
        return ProductPageModel(
            layout: frame,
            name: product.name, sku: product.sku,
            categoryName: product.category?.name ?? CatalogNormalizer.noCategoryText,
            categoryURL: product.category.map { SiteURL.category($0.slug) },
            priceText: product.price.text, onRequest: product.price.onRequest, availability: product.availability,
            mainImage: gallery.first ?? placeholder, gallery: gallery, hasGallery: gallery.count > 1,
            specs: product.specs.map(SpecRowModel.init),
            descriptionHTML: descriptionHTML, hasDescription: !descriptionHTML.isEmpty,
            form: form)
    }

    /// The description a product's page shows: the whole HTML, or, while Directus cannot give
    /// it, the excerpt the catalog keeps as a paragraph – the page is then complete in all
    /// but that (`complete` false: it is not kept, and the next request tries again).
    static func description(of product: Product, in catalog: Catalog) async -> (html: String, complete: Bool) {
        do {
            return (try await catalog.description(of: product), true)
        } catch {
            return (product.excerpt.isEmpty ? "" : "<p>\(HTMLEscaping.escape(product.excerpt))</p>", false)
        }
    }

    static func orderForm(for product: Product, csrf: String) -> OrderFormModel {
        OrderFormModel(
            productID: String(product.id), productName: product.name, onRequest: product.price.onRequest,
            submitText: product.price.onRequest ? "Запросить цену" : "Отправить заявку", csrf: csrf)
    }

    /// A category page: its products and those of its subcategories.
    func category(
        _ category: Category, index: CatalogIndex, page: Page<Product>, filter: ProductFilter = ProductFilter(), facets: [SpecFacet] = [],
        preview: PreviewBanner? = nil
    ) -> CatalogPageModel {
        let path = SiteURL.category(category.slug)
        var crumbs = [Crumb(name: "Главная", url: SiteURL.home), Crumb(name: "Каталог", url: SiteURL.catalog)]
        crumbs += index.path(to: category).map { Crumb(name: $0.name, url: $0.id == category.id ? nil : SiteURL.category($0.slug)) }
        let description = "\(category.name): \(RussianPlural.products(page.total)) с ценами и характеристиками."
        var frame = layout.layout(
            index, title: category.name, description: description,
            canonicalPath: SiteURL.list(path, filter: filter, page: page.number), activeCategoryID: category.id, breadcrumbs: crumbs,
            noindex: preview != nil || filter.conditionCount > 1)
        frame.preview = preview
        frame.openGraph = OpenGraphModel(
            type: "website", title: category.name, description: description,
            url: layout.absoluteURL(SiteURL.list(path, filter: filter, page: page.number)),
            image: page.items.first?.images.first.map { layout.absoluteURL(SiteURL.asset($0.fileID, preset: .card)) })
        return CatalogPageModel(
            layout: frame,
            heading: category.name, intro: nil,
            countText: RussianPlural.products(page.total),
            subcategories: index.children(of: category).map {
                NavItem(name: "\($0.name) (\(index.productCount($0)))", url: SiteURL.category($0.slug), active: false)
            },
            products: page.items.map { ProductCardModel($0) },
            emptyText: filter.isEmpty
                ? "В этой категории пока нет товаров. Оставьте заявку — подберём оборудование под задачу."
                : "Под эти условия ничего не подходит. Уберите часть фильтров или оставьте заявку — подберём.",
            pagination: PaginationModel(path: path, query: "", filter: filter, page: page),
            query: "", formAction: SiteURL.catalog,
            filter: preview == nil ? FilterFormModel(action: path, query: "", filter: filter, facets: facets) : nil)
    }
}

/// The banner of an editor preview page.
struct PreviewBanner {
    var title = "Предпросмотр"
    /// What is shown: the status and the content version.
    var text: String
}
