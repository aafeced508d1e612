import Catalog
import Foundation
import Leads

// Page models: plain values holding ready-to-print strings; the Mustache templates only
// lay them out. swift-mustache reads stored properties only (through Mirror), so flags
// the templates test are stored, and list emptiness is tested with `empty(list)`. Escaping is the templates' job (`{{…}}`), except for `descriptionHTML`,
// which the sanitizer produced.

/// What every page's layout needs.
struct LayoutModel {
    var title: String
    var metaDescription: String
    var canonicalURL: String?
    var nav: [NavItem]
    var noindex = false
    var query = ""
    var breadcrumbs: [Crumb] = []
    var siteName = LayoutModel.siteName
    /// OpenGraph tags (link previews in messengers and social networks).
    var openGraph: OpenGraphModel?
    /// schema.org JSON-LD, already safe to print inside `<script>`.
    var structuredData: String?
    /// Set on editor previews: the banner, and no indexing.
    var preview: PreviewBanner?
    /// The site's fixed links, for the templates (from `SiteURL`).
    var links = SiteLinks()
    /// The footer's «© year», in Moscow (set by `SiteLayout` from the application's clock).
    var year = 2026

    static let siteName = "ПромСтанок"
}

struct OpenGraphModel {
    var type: String
    var title: String
    var description: String
    var url: String
    var image: String?
    var siteName = LayoutModel.siteName
    var locale = "ru_RU"
}

struct NavItem {
    var name: String
    var url: String
    var active: Bool
}

struct Crumb {
    var name: String
    var url: String?
}

struct ProductCardModel {
    var name: String
    var url: String
    var sku: String?
    var priceText: String
    var onRequest: Bool
    var availability: String
    var categoryName: String
    var imageURL: String
    var imageSrcset: String?
    var imageAlt: String
    /// The name with the words a search matched marked (escaped HTML), on search results.
    var nameHTML: String?

    init(_ product: Product, highlighting keys: Set<String> = []) {
        name = product.name
        nameHTML = keys.isEmpty ? nil : SearchIndex.highlight(product.name, keys: keys)
        url = SiteURL.product(product)
        sku = product.sku
        priceText = product.price.text
        onRequest = product.price.onRequest
        availability = product.availability
        categoryName = product.category?.name ?? CatalogNormalizer.noCategoryText
        imageAlt = product.name
        if let image = product.images.first {
            imageURL = SiteURL.asset(image.fileID, preset: .card)
            imageSrcset = "\(SiteURL.asset(image.fileID, preset: .thumb)) 160w, \(imageURL) 480w"
        } else {
            imageURL = SiteURL.placeholderImage
            imageSrcset = nil
        }
    }
}

struct CategoryTileModel {
    var name: String
    var url: String
    var countText: String
    var children: [NavItem]
}

struct PaginationModel {
    struct PageLink {
        var number: Int
        var url: String
        var current: Bool
        /// «…» in place of the pages left out between two links.
        var gap = false
    }

    var pages: [PageLink]
    var previousURL: String?
    var nextURL: String?
    var show: Bool

    /// Pages on either side of the current one; the first and the last are always linked.
    static let around = 2

    /// The page numbers to link: all of a short list; of a long one (400 pages of a large
    /// catalog) the first, the last and a window around the current page, so that a list
    /// page's size and render do not grow with the catalog.
    static func numbers(current: Int, count: Int) -> [Int] {
        guard count > 2 * around + 3 else { return Array(1...max(1, count)) }
        let window = max(1, current - around)...min(count, current + around)
        return Array(Set([1, count] + Array(window))).sorted()
    }

    init(path: String, query: String, filter: ProductFilter = ProductFilter(), page: Page<Product>) {
        var links: [PageLink] = []
        var previous = 0
        for number in Self.numbers(current: page.number, count: page.pageCount) {
            if number > previous + 1 { links.append(PageLink(number: 0, url: "", current: false, gap: true)) }
            links.append(PageLink(number: number, url: SiteURL.list(path, query: query, filter: filter, page: number), current: number == page.number))
            previous = number
        }
        pages = links
        previousURL = page.number > 1 ? SiteURL.list(path, query: query, filter: filter, page: page.number - 1) : nil
        nextURL = page.number < page.pageCount ? SiteURL.list(path, query: query, filter: filter, page: page.number + 1) : nil
        show = pages.count > 1
    }
}

struct HomePageModel {
    var layout: LayoutModel
    var categories: [CategoryTileModel]
    var newest: [ProductCardModel]
}

struct CatalogPageModel {
    var layout: LayoutModel
    var heading: String
    var intro: String?
    var countText: String
    var subcategories: [NavItem]
    var products: [ProductCardModel]
    var emptyText: String
    var pagination: PaginationModel
    var query: String
    var formAction: String
    /// «Показаны результаты по запросу «токарный»» when the query was read in the other layout.
    var correctedQuery: String? = nil
    /// No product had every word of the query; these have all but one.
    var partialMatch = false
    /// Categories to go on with when a search found nothing.
    var suggestions: [NavItem] = []
    /// The filter and sort form (catalog and category lists).
    var filter: FilterFormModel? = nil
}

/// The list's filter form: a GET form, so it works without JavaScript and every filtered list
/// has its own address.
struct FilterFormModel {
    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }

    /// A shared spec: a range (two number fields) or choices (check boxes with counts).
    struct SpecModel {
        struct Choice {
            var value: String
            var count: Int
            var checked: Bool
        }

        /// «Мощность, кВт»: the name, and the unit unless the name has it already.
        var legend: String
        /// The field name: `spec.{key}` (choices), `spec.{key}.from` / `.to` (a range).
        var field: String
        var isRange: Bool
        var from: String
        var to: String
        /// The list's lowest and highest value, as hints in the empty fields.
        var minText: String
        var maxText: String
        var choices: [Choice]

        init(_ facet: SpecFacet, condition: ProductFilter.SpecCondition?) {
            legend = facet.name
            field = "spec." + facet.key
            from = condition?.from.map(SpecFacets.urlText) ?? ""
            to = condition?.to.map(SpecFacets.urlText) ?? ""
            switch facet.kind {
            case .range(let min, let max, let unit):
                isRange = true
                if let unit, !facet.name.lowercased().contains(unit.lowercased()) { legend += ", " + unit }
                minText = SpecFacets.displayText(min)
                maxText = SpecFacets.displayText(max)
                choices = []
            case .choices(let options):
                isRange = false
                minText = ""
                maxText = ""
                let chosen = Set(condition?.values ?? [])
                choices = options.map { Choice(value: $0.value, count: $0.count, checked: chosen.contains($0.value)) }
            }
        }
    }

    var action: String
    /// The search words travel with the filter.
    var query: String
    var hasQuery: Bool
    var inStock: Bool
    var priceFrom: String
    var priceTo: String
    var sorts: [Option]
    var specs: [SpecModel]
    /// The spec block starts open when one of its filters is set.
    var specsActive: Bool
    var active: Bool
    var resetURL: String

    init(action: String, query: String, filter: ProductFilter, facets: [SpecFacet] = []) {
        self.action = action
        self.query = query
        hasQuery = !query.isEmpty
        inStock = filter.inStock
        priceFrom = filter.priceFrom.map(String.init) ?? ""
        priceTo = filter.priceTo.map(String.init) ?? ""
        sorts = ProductFilter.Sort.allCases.map { Option(value: $0.rawValue, label: $0.label, selected: filter.sort == $0) }
        specs = facets.map { facet in SpecModel(facet, condition: filter.specs.first { $0.key == facet.key }) }
        specsActive = !filter.specs.isEmpty
        active = !filter.isEmpty
        resetURL = SiteURL.list(action, query: query)
    }
}

struct GalleryImageModel {
    var fullURL: String
    var thumbURL: String
    /// The card and full sizes, so that phones load the smaller one.
    var srcset: String?
    var alt: String
    var width: Int
    var height: Int
    var first: Bool
}

struct SpecRowModel {
    var name: String
    /// The value with its unit: `500 мм`, `45°` (degree and percent signs attach directly).
    var value: String

    init(_ spec: Spec) {
        name = spec.name
        value = spec.valueWithUnit
    }
}

struct ProductPageModel {
    var layout: LayoutModel
    var name: String
    var sku: String?
    var categoryName: String
    var categoryURL: String?
    var priceText: String
    var onRequest: Bool
    var availability: String
    var mainImage: GalleryImageModel
    var gallery: [GalleryImageModel]
    var hasGallery: Bool
    var specs: [SpecRowModel]
    var noSpecsText = Product.noSpecsText
    var descriptionHTML: String
    var hasDescription: Bool
    var form: OrderFormModel
}

/// The order form: empty on the cached page; after a failed submission, the
/// visitor's values with a message per field.
struct OrderFormModel {
    struct Field {
        var value: String
        var error: String?
    }

    var action = SiteURL.order
    var productID: String
    var productName: String
    var onRequest: Bool
    var submitText: String
    var privacyURL = SiteURL.privacy
    var csrf: String
    var name = Field(value: "")
    var phone = Field(value: "")
    var email = Field(value: "")
    var company = Field(value: "")
    var quantity = Field(value: "1")
    var comment = Field(value: "")
    var consent = Field(value: "")
    var consentChecked = false
    var utm: [NavItem] = []
    var hasErrors = false
    /// The messages in the form's order, each a link to its field (the summary a screen reader
    /// hears first on a page with errors).
    var errorList: [NavItem] = []
    /// Editor preview: the form is shown but cannot be sent.
    var disabled = false

    init(productID: String, productName: String, onRequest: Bool, submitText: String, csrf: String) {
        self.productID = productID
        self.productName = productName
        self.onRequest = onRequest
        self.submitText = submitText
        self.csrf = csrf
    }

    /// The visitor's values and the validation messages.
    mutating func fill(_ fields: [String: String], errors: [String: String]) {
        func field(_ key: String, default value: String = "") -> Field {
            Field(value: fields[key] ?? value, error: errors[key])
        }
        name = field("name")
        phone = field("phone")
        email = field("email")
        company = field("company")
        quantity = field("quantity", default: "1")
        comment = field("comment")
        consent = Field(value: "", error: errors["consent"])
        consentChecked = OrderInput.consentGiven(fields["consent"])
        // Hidden UTM fields keep what the page had (NavItem: name = field, url = value).
        utm = UTM.keys.compactMap { key in
            fields[key].flatMap { $0.isEmpty ? nil : NavItem(name: key, url: $0, active: false) }
        }
        hasErrors = !errors.isEmpty
        let labels = [
            ("name", "Имя"), ("phone", "Телефон"), ("email", "E-mail"), ("company", "Компания"), ("quantity", "Количество"),
            ("comment", "Комментарий"), ("consent", "Согласие"),
        ]
        errorList = labels.compactMap { key, label in
            errors[key].map { NavItem(name: "\(label): \($0)", url: "#order-\(key)", active: false) }
        }
    }
}

struct ErrorPageModel {
    var layout: LayoutModel
    var heading: String
    var message: String
    /// Where to go back to (the form a refused submission came from).
    var backURL: String?
    var backText = "Вернуться к форме"
}

/// The stand-alone order page (a general request, or a product's form after an error).
struct OrderPageModel {
    var layout: LayoutModel
    var heading: String
    var form: OrderFormModel
}

struct ThanksPageModel {
    var layout: LayoutModel
    /// `Заявка №12 принята`, or a generic text when the id is unknown.
    var heading: String
    var number: String?
}

struct PlainPageModel {
    var layout: LayoutModel
}

enum RussianPlural {
    /// `1 товар`, `3 товара`, `25 товаров`.
    static func form(_ count: Int, _ one: String, _ few: String, _ many: String) -> String {
        let mod100 = count % 100
        let mod10 = count % 10
        if (11...14).contains(mod100) { return many }
        if mod10 == 1 { return one }
        if (2...4).contains(mod10) { return few }
        return many
    }

    static func products(_ count: Int) -> String {
        "\(count) \(form(count, "товар", "товара", "товаров"))"
    }
}
