import Basics
import Catalog
import Foundation
import Storage

/// What the editors' free-text availability says, when it says something clear; the raw
/// value is the schema.org term (JSON-LD), and YML's `available` is true for `inStock`.
enum StockStatus: String {
    case inStock = "https://schema.org/InStock"
    case outOfStock = "https://schema.org/OutOfStock"
    case madeToOrder = "https://schema.org/MadeToOrder"
    case preOrder = "https://schema.org/PreOrder"

    init?(_ text: String) {
        let folded = SearchText.fold(text)
        if folded.contains("нет в наличии") || folded.contains("снят") {
            self = .outOfStock
        } else if folded.contains("в наличии") || folded.contains("на складе") {
            self = .inStock
        } else if folded.contains("под заказ") {
            self = .madeToOrder
        } else if folded.contains("предзаказ") || folded.contains("ожидается") {
            self = .preOrder
        } else {
            return nil
        }
    }
}

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

    static func product(_ product: Product, layout: SiteLayout) -> String? {
        let url = layout.absoluteURL(SiteURL.product(product))
        let images = product.images.map { layout.absoluteURL(SiteURL.asset($0.fileID, preset: .full)) }
        let value = ProductLD(
            name: product.name, sku: product.sku, url: url,
            image: images.isEmpty ? [layout.absoluteURL(SiteURL.placeholderImage)] : images,
            description: product.summary.isEmpty ? nil : product.summary,
            category: product.category?.name,
            offers: product.price.amountText.map { amount in
                OfferLD(
                    url: url, price: amount, priceCurrency: product.price.currency,
                    availability: StockStatus(product.availability)?.rawValue)
            })
        return scriptSafe(value)
    }


    /// JSON that can sit inside `<script>`: no `<`, `>` or `&` that could end the element.
    /// Replaced byte by byte: Foundation's replacement compares grapheme clusters, and
    /// `<` with a combining mark after it is a cluster that equals no `<`.
    static func scriptSafe(_ value: some Encodable) -> String? {
        guard let data = try? JSONEncoder.sorted.encode(value) else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(data.count + 16)
        for byte in data {
            switch byte {
            case UInt8(ascii: "<"): output += Array(#"\u003c"#.utf8)
            case UInt8(ascii: ">"): output += Array(#"\u003e"#.utf8)
            case UInt8(ascii: "&"): output += Array(#"\u0026"#.utf8)
            default: output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
