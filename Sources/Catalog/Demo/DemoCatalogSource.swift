import Foundation

/// The built-in catalog used when `DIRECTUS_URL` is unset.
///
/// Its files (`Demo/data/*.json`) are Directus responses to the very queries
/// `DirectusCatalogSource` sends, so they go through the same parsing and normalization,
/// including the edge cases real data has (null and zero prices, specs as an object, as
/// text or missing, products without images or category, a draft). It answers as the
/// Public role would: drafts are invisible.
public struct DemoCatalogSource: CatalogSource {
    let categories: [CategoryRecord]
    let products: [ProductRecord]
    /// Demo images, read once at start-up: file id → bytes and media type.
    let images: [String: (bytes: [UInt8], type: String)]

    public init() throws {
        guard let directory = Bundle.module.url(forResource: "data", withExtension: nil) else {
            throw CatalogError.invalidResponse("the demo catalog is missing from the build")
        }
        try self.init(directory: directory)
    }

    init(directory: URL) throws {
        func rows(_ name: String) throws -> [JSONValue] {
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            guard let rows = try JSONParser.parse(data)["data"]?.array else {
                throw CatalogError.invalidResponse("\(name) has no data array")
            }
            return rows
        }
        categories = try rows("categories.json").compactMap(CategoryRecord.init(json:))
        products = try rows("products.json").compactMap(ProductRecord.init(json:))
        var images: [String: (bytes: [UInt8], type: String)] = [:]
        for file in try rows("files.json").compactMap({ FileRecord(json: $0) }) {
            guard let name = file.filenameDisk else { continue }
            let bytes = try Data(contentsOf: directory.appendingPathComponent("images").appendingPathComponent(name))
            images[file.id] = (Array(bytes), file.type ?? "application/octet-stream")
        }
        self.images = images
    }

    public func fetchCategories() async throws(CatalogError) -> [CategoryRecord] {
        categories.filter { $0.status == "published" }
    }

    public func fetchProducts<Row>(_ transform: (ProductRecord) -> Row) async throws(CatalogError) -> [Row] {
        products.filter { $0.status == "published" }.map(transform)
    }

    public func fetchProducts(ids: [Int]) async throws(CatalogError) -> [ProductRecord] {
        let wanted = Set(ids.prefix(maxProductBatch))
        return products.filter { $0.status == "published" && wanted.contains($0.id) }
    }

    /// The demo catalog has drafts but no content versions.
    public func previewProduct(id: Int, version: String?) async throws(CatalogError) -> ProductRecord? {
        version == nil ? products.first { $0.id == id } : nil
    }

    public func previewCategory(id: Int, version: String?) async throws(CatalogError) -> CategoryRecord? {
        version == nil ? categories.first { $0.id == id } : nil
    }

    /// Demo images are SVG drawings, the same at every preset and in every format.
    public func asset(fileID: String, preset: ImagePreset, format: ImageFormat) async throws(CatalogError) -> Asset? {
        images[fileID].map { Asset(bytes: $0.bytes, contentType: $0.type, worthCaching: false) }
    }
}
