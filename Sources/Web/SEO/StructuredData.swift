import Catalog
import Foundation

/// schema.org JSON-LD for product pages (search engines read price and availability from it).
enum StructuredData {
    struct ProductLD: Encodable {
        var context = "https://schema.org"
        var type = "Product"
        var name: String
        var sku: String?
        var url: String
        var image: [String]
        var description: String?
        var category: String?
        /// Only when there is a price: an offer without one is invalid for search engines.
        var offers: OfferLD?

        enum CodingKeys: String, CodingKey {
            case context = "@context", type = "@type", name, sku, url, image, description, category, offers
        }
    }

    struct OfferLD: Encodable {
        var type = "Offer"
        var url: String
        var price: String
        var priceCurrency: String
        var availability: String?

        enum CodingKeys: String, CodingKey {
            case type = "@type", url, price, priceCurrency, availability
        }
    }

    static func product(_ product: Product, site: Site) -> String? {
        let url = site.absoluteURL(SiteURL.product(product))
        let images = product.images.map { site.absoluteURL(SiteURL.asset($0.fileID, preset: .full)) }
        let value = ProductLD(
            name: product.name, sku: product.sku, url: url,
            image: images.isEmpty ? [site.absoluteURL(SiteURL.placeholderImage)] : images,
            description: product.summary.isEmpty ? nil : product.summary,
            category: product.category?.name,
            offers: product.price.amountText.map { amount in
                OfferLD(url: url, price: amount, priceCurrency: product.price.currency, availability: availability(product.availability))
            })
        return scriptSafe(value)
    }

    /// The schema.org availability of the editors' free text, when it says something clear.
    static func availability(_ text: String) -> String? {
        let folded = SearchText.fold(text)
        if folded.contains("нет в наличии") || folded.contains("снят") { return "https://schema.org/OutOfStock" }
        if folded.contains("в наличии") || folded.contains("на складе") { return "https://schema.org/InStock" }
        if folded.contains("под заказ") { return "https://schema.org/MadeToOrder" }
        if folded.contains("предзаказ") || folded.contains("ожидается") { return "https://schema.org/PreOrder" }
        return nil
    }

    /// JSON that can sit inside `<script>`: no `<`, `>` or `&` that could end the element.
    static func scriptSafe(_ value: some Encodable) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value), let json = String(data: data, encoding: .utf8) else { return nil }
        return json.replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
            .replacingOccurrences(of: "&", with: "\\u0026")
    }
}
