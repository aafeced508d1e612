import Catalog
import Foundation

/// The site's paths in one place, so that templates and redirects never build them by hand.
enum SiteURL {
    static let home = "/"
    static let catalog = "/catalog"
    static let order = "/order"
    static let privacy = "/privacy"
    static let placeholderImage = "/img/placeholder.svg"

    static func product(_ product: Product) -> String {
        "/product/\(segment(product.pathKey))"
    }

    static func category(_ slug: String) -> String {
        "/catalog/\(segment(slug))"
    }

    static func asset(_ fileID: String, preset: ImagePreset) -> String {
        "/assets/\(segment(fileID))?preset=\(preset.rawValue)"
    }

    /// A list URL with `q` and `page` (page 1 is left out so each page has one URL).
    static func list(_ path: String, query: String = "", page: Int = 1) -> String {
        var items: [String] = []
        if !query.isEmpty { items.append("q=\(queryValue(query))") }
        if page > 1 { items.append("page=\(page)") }
        return items.isEmpty ? path : path + "?" + items.joined(separator: "&")
    }

    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: pathSegmentAllowed) ?? text
    }

    static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: queryValueAllowed) ?? text
    }

    private static let pathSegmentAllowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))
    private static let queryValueAllowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
}
