/// Where catalog rows come from: Directus over HTTP, or the built-in demo catalog.
///
/// Sources return published rows only, as the Public role would see them, in Directus'
/// row shapes; normalization and caching happen above them.
public protocol CatalogSource: Sendable {
    func fetchCategories() async throws(CatalogError) -> [CategoryRecord]
    func fetchProducts() async throws(CatalogError) -> [ProductRecord]
    /// nil when the product does not exist or is not published (Directus cannot tell the two apart).
    func fetchProduct(_ key: ProductKey) async throws(CatalogError) -> ProductRecord?
    /// An image in one of the named sizes; nil when there is no such file.
    func asset(fileID: String, preset: ImagePreset, format: ImageFormat) async throws(CatalogError) -> Asset?

    /// Editor preview: the product in any status (drafts too), with the content version
    /// `version` merged over it when given, read past every cache. nil when the item or
    /// the version does not exist.
    func previewProduct(id: Int, version: String?) async throws(CatalogError) -> ProductRecord?
    /// Editor preview of a category, as `previewProduct`.
    func previewCategory(id: Int, version: String?) async throws(CatalogError) -> CategoryRecord?
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

    /// Whether a row is the product this key names.
    public func matches(_ record: ProductRecord) -> Bool {
        switch self {
        case .slug(let slug): record.slug == slug
        case .id(let id): record.id == id
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
