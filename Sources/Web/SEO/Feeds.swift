import Basics
import Catalog
import Foundation
import Leads

/// The XML documents of `FeedController`.
enum Feeds {
    /// sitemaps.org 0.9: home, the catalog, every category and product page. A page's
    /// `lastmod` is when it last changed as `PageChanges` recorded it (so a category moves on
    /// when a product leaves it), or Directus' `date_updated` when that is later (a change
    /// the record has not caught up with yet).
    static func sitemap(_ index: CatalogIndex, layout: SiteLayout, modified recorded: (String) -> Date?) throws -> [UInt8] {
        let xml = try XMLWriter()
        try xml.element("urlset", ["xmlns": "http://www.sitemaps.org/schemas/sitemap/0.9"]) {
            let newest = index.products.compactMap(\.updatedAt).max()
            func url(_ path: String, _ updated: Date?) throws {
                try xml.element("url") {
                    try xml.element("loc", text: layout.absoluteURL(path))
                    let modified = [recorded(path), updated].compactMap { $0 }.max()
                    if let modified { try xml.element("lastmod", text: w3cDate(modified)) }
                }
            }
            try url(SiteURL.home, newest)
            try url(SiteURL.catalog, newest)
            for category in index.categories {
                try url(SiteURL.category(category.slug), index.products(in: category).compactMap(\.updatedAt).max())
            }
            for product in index.products {
                try url(SiteURL.product(product), product.updatedAt)
            }
        }
        return try xml.finish()
    }

    /// Yandex YML (`yml_catalog`): the shop, currencies, the category tree and one offer per
    /// product with a price – Yandex refuses offers without one, so «Цена по запросу»
    /// products are left out of the feed (they stay on the site and in the sitemap).
    static func yml(_ index: CatalogIndex, layout: SiteLayout, date: Date) throws -> [UInt8] {
        let offers = index.products.filter { $0.price.amountText != nil }
        // YML wants a category on every offer: products without one go to a category of
        // their own, with an id Directus is unlikely to have.
        let uncategorized = offers.contains { $0.category == nil }
            ? (999_999_999...).first { index.category(id: $0) == nil } : nil
        let currencies = Set(offers.map { ymlCurrency($0.price.currency) })
        let xml = try XMLWriter()
        try xml.element("yml_catalog", ["date": ymlDate(date)]) {
            try xml.element("shop") {
                try xml.element("name", text: LayoutModel.siteName)
                try xml.element("company", text: LayoutModel.siteName)
                try xml.element("url", text: layout.absoluteURL(SiteURL.home))
                try xml.element("currencies") {
                    try xml.element("currency", ["id": "RUR", "rate": "1"], text: nil)
                    for currency in currencies.sorted() where currency != "RUR" {
                        try xml.element("currency", ["id": currency, "rate": "CBRF"], text: nil)
                    }
                }
                try xml.element("categories") {
                    for category in index.categories {
                        if let parent = category.parentID {
                            try xml.element("category", ["id": String(category.id), "parentId": String(parent)], text: category.name)
                        } else {
                            try xml.element("category", ["id": String(category.id)], text: category.name)
                        }
                    }
                    if let uncategorized {
                        try xml.element("category", ["id": String(uncategorized)], text: CatalogNormalizer.noCategoryText)
                    }
                }
                try xml.element("offers") {
                    for product in offers {
                        try offer(product, categoryID: product.category?.id ?? uncategorized ?? 0, xml: xml, layout: layout)
                    }
                }
            }
        }
        return try xml.finish()
    }

    private static func offer(_ product: Product, categoryID: Int, xml: XMLWriter, layout: SiteLayout) throws {
        let inStock = StockStatus(product.availability) == .inStock
        try xml.element("offer", ["id": String(product.id), "available": inStock ? "true" : "false"]) {
            try xml.element("name", text: product.name)
            if let sku = product.sku { try xml.element("vendorCode", text: sku) }
            try xml.element("url", text: layout.absoluteURL(SiteURL.product(product)))
            try xml.element("price", text: product.price.amountText)
            try xml.element("currencyId", text: ymlCurrency(product.price.currency))
            try xml.element("categoryId", text: String(categoryID))
            for image in product.images.prefix(10) {
                try xml.element("picture", text: layout.absoluteURL(SiteURL.asset(image.fileID, preset: .full)))
            }
            // Plain text, which YML takes up to 3,000 characters of.
            if !product.excerpt.isEmpty { try xml.element("description", text: product.excerpt) }
            for spec in product.specs where spec.value != "—" {
                if let unit = spec.unit {
                    try xml.element("param", ["name": spec.name, "unit": unit], text: spec.value)
                } else {
                    try xml.element("param", ["name": spec.name], text: spec.value)
                }
            }
        }
    }

    /// YML names the rouble `RUR`; other ISO codes stay.
    static func ymlCurrency(_ code: String) -> String {
        code == "RUB" ? "RUR" : code
    }

    /// `2026-11-25T18:44+03:00`, the form YML asks for.
    static func ymlDate(_ date: Date) -> String {
        let parts = MoscowTime.calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let offset = MoscowTime.timeZone.secondsFromGMT(for: date) / 60
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(parts.year ?? 1970)-\(two(parts.month ?? 1))-\(two(parts.day ?? 1))T\(two(parts.hour ?? 0)):\(two(parts.minute ?? 0))"
            + "\(offset < 0 ? "-" : "+")\(two(abs(offset) / 60)):\(two(abs(offset) % 60))"
    }

    /// `2025-03-14`: sitemaps take W3C dates.
    static func w3cDate(_ date: Date) -> String {
        String(date.ISO8601Format(.iso8601.year().month().day()))
    }
}
