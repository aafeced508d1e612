/// Where catalog rows come from: Directus over HTTP, or the built-in demo catalog.
///
/// Sources return published rows only, as the Public role would see them, in Directus'
/// row shapes; normalization and caching happen above them.
public protocol CatalogSource: Sendable {
    func fetchCategories() async throws(CatalogError) -> [CategoryRecord]
    /// Every published product, each passed through `transform` as soon as it arrives: a large
    /// catalog is read in pages, and a page's rows (descriptions and all) are not kept once
    /// transformed.
    func fetchProducts<Row>(_ transform: (ProductRecord) -> Row) async throws(CatalogError) -> [Row]
    /// The published products among `ids` (at most `maxProductBatch`), with their own columns – the
    /// description included – and relations as keys. Unpublished or missing ones are absent.
    func fetchProducts(ids: [Int]) async throws(CatalogError) -> [ProductRecord]
    /// An image in one of the named sizes; nil when there is no such file.
    func asset(fileID: String, preset: ImagePreset, format: ImageFormat) async throws(CatalogError) -> Asset?

    /// Editor preview: the product in any status (drafts too), with the content version
    /// `version` merged over it when given, read past every cache. nil when the item or
    /// the version does not exist.
    func previewProduct(id: Int, version: String?) async throws(CatalogError) -> ProductRecord?
    /// Editor preview of a category, as `previewProduct`.
    func previewCategory(id: Int, version: String?) async throws(CatalogError) -> CategoryRecord?
    /// Where this source's files live, so that images in descriptions become `/assets/…`.
    var assetLinks: AssetLinks { get }
}

extension CatalogSource {
    public var assetLinks: AssetLinks { AssetLinks() }

    /// Every published product as its row.
    public func fetchProducts() async throws(CatalogError) -> [ProductRecord] {
        try await fetchProducts { $0 }
    }
}

/// Most products `CatalogSource.fetchProducts(ids:)` is asked for at once (an API page).
public let maxProductBatch = 100

/// Directus file ids are UUIDs: letters, digits and dashes only, so an id can never name a
/// path outside the image cache or a transform Directus was not asked for.
public enum FileID {
    public static func isValid(_ fileID: some StringProtocol) -> Bool {
        !fileID.isEmpty && fileID.count <= 64 && fileID.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }
}

/// Image addresses in editor HTML that name catalog files: the site's own `/assets/{id}` and
/// Directus' `{DIRECTUS_URL}/assets/{id}` (what its WYSIWYG inserts). Both become
/// `/assets/{id}?preset=full`, served by the image proxy; every other image source is dropped.
public struct AssetLinks: Sendable, Equatable {
    /// `cms.example.ru` or `example.ru/cms`: Directus' address without the scheme (an editor's
    /// HTML may carry http, https or a protocol-relative `//`), lowercased, no trailing slash.
    let directusHost: String?

    public init(directusURL: String? = nil) {
        guard var base = directusURL?.lowercased(), let scheme = base.range(of: "://") else {
            directusHost = nil
            return
        }
        base.removeSubrange(..<scheme.upperBound)
        while base.hasSuffix("/") { base.removeLast() }
        directusHost = base.isEmpty ? nil : base
    }

    /// The catalog file `src` names, or nil when it is not a catalog file.
    public func fileID(inSource src: String) -> String? {
        func strip(_ prefix: String, from text: Substring) -> Substring? {
            text.prefix(prefix.count).lowercased() == prefix ? text.dropFirst(prefix.count) : nil
        }
        var rest: Substring
        if let local = strip("/assets/", from: src[...]) {
            rest = local
        } else if let directusHost {
            let afterScheme = strip("https:", from: src[...]) ?? strip("http:", from: src[...]) ?? src[...]
            guard let remote = strip("//" + directusHost + "/assets/", from: afterScheme) else { return nil }
            rest = remote
        } else {
            return nil
        }
        // `{id}`, `{id}/{file name}`, `{id}?{transform}`: the id is all that is kept.
        if let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
        guard FileID.isValid(rest) else { return nil }
        return String(rest)
    }

    /// The site's address of a catalog image in a named size: the image proxy's
    /// `/assets/{id}?preset=` (its route is `SiteURL.Route.asset`).
    public static func path(fileID: String, preset: ImagePreset) -> String {
        "/assets/\(fileID)?preset=\(preset.rawValue)"
    }
}

/// Ids of Directus items (products, categories) as they arrive in URLs and orders.
public enum ItemID {
    /// Directus' integer keys are 32-bit (`integer` on PostgreSQL, the default for
    /// auto-increment ids): a larger number cannot name an item, so it never reaches Directus.
    public static let range = 1...Int(Int32.max)

    /// A positive 32-bit decimal id in its one spelling (`42`), or nil for anything else (`0`,
    /// `042`, `-1`, `4e2`, `99999999999`): a padded id would be another cache key for the same item.
    public static func parse(_ text: some StringProtocol) -> Int? {
        guard !text.isEmpty, text.count <= 10, text.first != "0", text.allSatisfy(\.isASCIIDigit), let id = Int(text), range.contains(id) else {
            return nil
        }
        return id
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

public enum ProductKey: Hashable, Sendable, CustomStringConvertible {
    case slug(String)
    case id(Int)

    public var description: String {
        switch self {
        case .slug(let slug): "slug:\(slug)"
        case .id(let id): "id:\(id)"
        }
    }
}

/// The named image sizes pages use; anything else is refused so that nobody can make
/// Directus render arbitrary transforms.
public enum ImagePreset: String, Sendable, CaseIterable {
    case thumb, card, full

    /// Directus transform parameters (`/assets/{id}?…`).
    public var directusQuery: String {
        switch self {
        case .thumb: "width=160&height=120&fit=cover&quality=80"
        case .card: "width=480&height=360&fit=cover&quality=80"
        case .full: "width=1600&height=1200&fit=inside&quality=85"
        }
    }
}

/// The encoding an image is asked for in: WebP for browsers that accept it.
public enum ImageFormat: String, Sendable, CaseIterable {
    case webp
    /// The file's own format (JPEG, PNG).
    case original
}

/// The bytes of an image.
public struct Asset: Sendable, Equatable {
    public var bytes: [UInt8]
    public var contentType: String
    /// false: the source holds it in memory already (the demo catalog), so a disk cache
    /// would only copy it.
    public var worthCaching: Bool

    public init(bytes: [UInt8], contentType: String, worthCaching: Bool = true) {
        self.bytes = bytes
        self.contentType = contentType
        self.worthCaching = worthCaching
    }
}
