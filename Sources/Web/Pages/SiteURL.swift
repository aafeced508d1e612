import Catalog
import Foundation
import Hummingbird
import Leads

/// Every route of the site, written once: the router registers `Route.pattern`, and every
/// link, redirect and template URL is built from the same pattern, so the two cannot drift.
enum SiteURL {
    enum Route: String, CaseIterable, Sendable {
        // Pages.
        case home = "/"
        case catalog = "/catalog"
        case category = "/catalog/:slug"
        case product = "/product/:key"
        case order = "/order"
        case orderThanks = "/order/thanks/:id"
        case privacy = "/privacy"
        case preview = "/preview/:collection/:id"
        case previewAsset = "/preview/assets/:token/:fileID"
        case passport = "/passport/:code"
        case passportQR = "/passport/:code/qr.svg"
        // Admin (the test lead lives under /ingest/, where scripts look for it, guarded as admin).
        case admin = "/admin"
        case adminLead = "/admin/leads/:number"
        case adminRetry = "/admin/leads/:number/retry"
        case adminCancel = "/admin/leads/:number/cancel"
        case adminErase = "/admin/leads/:number/erase"
        case adminRequeue = "/admin/outbox/:channel/requeue"
        case adminExport = "/admin/leads.csv"
        case amoCRMConnect = "/admin/amocrm/connect"
        case adminPassports = "/admin/passports"
        case adminHealth = "/admin/health"
        case adminPassportRevoke = "/admin/passports/:code/revoke"
        case adminPassportNote = "/admin/passports/:code/note"
        case amoCRMTestLead = "/ingest/test-crm"
        // Machines.
        case apiCategories = "/api/categories"
        case apiProducts = "/api/products"
        case apiProduct = "/api/products/:slug"
        case apiSuggest = "/api/suggest"
        case apiLeads = "/api/leads"
        case ingestLeads = "/ingest/leads"
        case amoCRMCallback = "/webhook/amocrm"
        case directusWebhook = "/webhook/directus"
        case asset = "/assets/:fileID"
        case robots = "/robots.txt"
        case sitemap = "/sitemap.xml"
        case yml = "/yml.xml"
        case healthz = "/healthz"
        case readyz = "/readyz"
        case metrics = "/metrics"

        /// What the router matches (`/product/:key`).
        var pattern: RouterPath { RouterPath(rawValue) }

        /// The path with its parameters filled in order, each percent-encoded as one segment.
        func path(_ values: String...) -> String {
            let template = rawValue.split(separator: "/", omittingEmptySubsequences: false)
            // The template's shape is checked, never the values: they come from requests.
            precondition(template.filter { $0.hasPrefix(":") }.count == values.count, "\(rawValue) takes other parameters")
            var remaining = values[...]
            return template.map { part in
                guard part.hasPrefix(":"), let value = remaining.popFirst() else { return String(part) }
                return SiteURL.segment(value)
            }.joined(separator: "/")
        }
    }

    /// The prefixes of the machine endpoints: errors there are problem+json, and they
    /// authenticate with their own secrets instead of the browser's origin.
    static let machinePrefixes = ["/api/", "/ingest/", "/webhook/"]
    static let previewPrefix = "/preview/"
    /// Thanks pages carry a lead's id: no search engine needs them.
    static let thanksPrefix = "/order/thanks/"

    static func isMachinePath(_ path: String) -> Bool {
        machinePrefixes.contains { path.hasPrefix($0) }
    }

    /// Server-to-server endpoints (`/ingest/`, `/webhook/`) carry their own secrets; the
    /// browser's origin does not apply to them.
    static func authenticatesItself(_ path: String) -> Bool {
        path.hasPrefix("/ingest/") || path.hasPrefix("/webhook/")
    }

    static let home = Route.home.rawValue
    static let catalog = Route.catalog.rawValue
    static let order = Route.order.rawValue
    static let privacy = Route.privacy.rawValue
    static let admin = Route.admin.rawValue
    static let amoCRMConnect = Route.amoCRMConnect.rawValue
    static let amoCRMTestLead = Route.amoCRMTestLead.rawValue
    static let amoCRMCallback = Route.amoCRMCallback.rawValue
    static let placeholderImage = "/img/placeholder.svg"

    static func product(_ product: Product) -> String {
        Route.product.path(product.pathKey)
    }

    /// A product by its id (it redirects to the slug), at its order form.
    static func orderForm(productID: Int) -> String {
        Route.product.path(String(productID)) + "#order"
    }

    static func passport(_ code: String) -> String { Route.passport.path(code) }
    static func passportQR(_ code: String) -> String { Route.passportQR.path(code) }

    static func category(_ slug: String) -> String {
        Route.category.path(slug)
    }

    /// Catalog images: written once in Catalog, where descriptions' images are rewritten too.
    static func asset(_ fileID: String, preset: ImagePreset) -> String {
        AssetLinks.path(fileID: segment(fileID), preset: preset)
    }

    static func thanks(leadID: String) -> String {
        Route.orderThanks.path(leadID)
    }

    static func adminRetry(leadNumber: Int) -> String {
        Route.adminRetry.path(String(leadNumber))
    }

    static func adminLead(_ number: Int, done: String? = nil) -> String {
        Route.adminLead.path(String(number)) + (done.map { "?done=" + queryValue($0) } ?? "")
    }

    static func adminCancel(leadNumber: Int) -> String { Route.adminCancel.path(String(leadNumber)) }
    static func adminErase(leadNumber: Int) -> String { Route.adminErase.path(String(leadNumber)) }
    static func adminRequeue(_ channel: DeliveryChannel) -> String { Route.adminRequeue.path(channel.rawValue) }

    /// `/admin/passports`, with its page and what was just done (`done=revoked`).
    static func adminPassports(page: Int = 1, done: String? = nil) -> String {
        var items: [String] = []
        if page > 1 { items.append("page=\(page)") }
        if let done { items.append("done=\(queryValue(done))") }
        let path = Route.adminPassports.rawValue
        return items.isEmpty ? path : path + "?" + items.joined(separator: "&")
    }

    /// `/admin`, `/admin?page=3`, `/admin?done=requeued-email`.
    static func admin(page: Int = 1, done: String? = nil) -> String {
        var items: [String] = []
        if page > 1 { items.append("page=\(page)") }
        if let done { items.append("done=\(queryValue(done))") }
        return items.isEmpty ? admin : admin + "?" + items.joined(separator: "&")
    }

    /// A list URL with `q`, the filter and `page` (page 1 is left out so each page has one URL).
    static func list(_ path: String, query: String = "", filter: ProductFilter = ProductFilter(), page: Int = 1) -> String {
        path + querySuffix(listItems(query: query, filter: filter, page: page))
    }

    /// A list's query fields in their one order: `q`, the filter's (`ProductFilter.queryItems`),
    /// `page` past the first.
    static func listItems(query: String = "", filter: ProductFilter = ProductFilter(), page: Int = 1) -> [(name: String, value: String)] {
        var items: [(name: String, value: String)] = []
        if !query.isEmpty { items.append(("q", query)) }
        items += filter.queryItems
        if page > 1 { items.append(("page", String(page))) }
        return items
    }

    /// `?name=value&…` with the values percent-encoded; empty for no fields.
    static func querySuffix(_ items: [(name: String, value: String)]) -> String {
        items.isEmpty ? "" : "?" + items.map { "\($0.name)=\(queryValue($0.value))" }.joined(separator: "&")
    }

    static func segment(_ text: String) -> String {
        isUnreserved(text) ? text : text.addingPercentEncoding(withAllowedCharacters: pathSegmentAllowed) ?? text
    }

    static func queryValue(_ text: String) -> String {
        isUnreserved(text) ? text : text.addingPercentEncoding(withAllowedCharacters: queryValueAllowed) ?? text
    }

    /// Letters, digits and `-._~` only (a slug, an id, a file id): nothing to encode, and no
    /// trip through Foundation's encoder, which every link of every page used to take.
    static func isUnreserved(_ text: String) -> Bool {
        text.utf8.allSatisfy { byte in
            (0x61...0x7A).contains(byte) || (0x41...0x5A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2D || byte == 0x2E
                || byte == 0x5F || byte == 0x7E
        }
    }

    /// `:` is encoded too: a segment must never read as a router parameter.
    private static let pathSegmentAllowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#:;"))
    /// Unreserved ASCII only (`CharacterSet.alphanumerics` would let Cyrillic through unencoded).
    private static let queryValueAllowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
}

/// The links every page's layout and templates use, from `SiteURL`.
struct SiteLinks {
    var home = SiteURL.home
    var catalog = SiteURL.catalog
    var order = SiteURL.order
    var privacy = SiteURL.privacy
    var admin = SiteURL.admin
    var adminPassports = SiteURL.Route.adminPassports.rawValue
    var adminHealth = SiteURL.Route.adminHealth.rawValue
}
