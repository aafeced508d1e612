/// Where catalog rows come from: Directus over HTTP, or the built-in demo catalog.
///
/// Sources return published rows only, as the Public role would see them, in Directus'
/// row shapes; normalization and caching happen above them.
public protocol CatalogSource: Sendable {
    func fetchCategories() async throws(CatalogError) -> [CategoryRecord]
    func fetchProducts() async throws(CatalogError) -> [ProductRecord]
    /// nil when the product does not exist or is not published (Directus cannot tell the two apart).
    func fetchProduct(_ key: ProductKey) async throws(CatalogError) -> ProductRecord?
    /// Where the bytes of an image live.
    func asset(fileID: String, preset: ImagePreset) async throws(CatalogError) -> AssetLocation
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

public enum AssetLocation: Sendable, Equatable {
    /// Redirect the browser to this absolute URL.
    case remote(String)
    /// Serve these bytes.
    case local(bytes: [UInt8], contentType: String)
    case notFound
}
