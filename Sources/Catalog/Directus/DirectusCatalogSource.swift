import AsyncHTTPClient
import CoreMetrics
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Reads the catalog from Directus' REST API (`/items/{collection}`).
public struct DirectusCatalogSource: CatalogSource {
    public struct Configuration: Sendable {
        /// e.g. `https://cms.example.ru` (no trailing slash needed).
        public var baseURL: String
        /// Static token of the service user; nil uses the Public role.
        public var token: String?
        public var timeout: TimeAmount
        /// Collection and field names (`CATALOG_MAPPING`).
        public var mapping: CatalogMapping
        public var productsCollection: String { mapping.products }
        public var categoriesCollection: String { mapping.categories }
        /// One JSON answer larger than this is an error (`DIRECTUS_MAX_RESPONSE_MB`), never a
        /// reason to hold more: lists come in pages of `pageSize` items.
        public var maxResponseBytes: Int
        /// A transformed image larger than this is refused.
        public var maxAssetBytes: Int
        /// Items per list request.
        public var pageSize: Int

        public init(
            baseURL: String, token: String? = nil, timeout: TimeAmount = .seconds(5),
            mapping: CatalogMapping = CatalogMapping(), maxResponseBytes: Int = 32 << 20, maxAssetBytes: Int = 16 << 20, pageSize: Int = 250
        ) {
            self.maxAssetBytes = maxAssetBytes
            self.pageSize = max(1, pageSize)
            self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
            self.token = token.flatMap { $0.isEmpty ? nil : $0 }
            self.timeout = timeout
            self.mapping = mapping
            self.maxResponseBytes = maxResponseBytes
        }
    }


    let configuration: Configuration
    let httpClient: HTTPClient
    let metrics: any MetricsFactory
    let logger: Logger

    public init(
        configuration: Configuration, httpClient: HTTPClient, metrics: any MetricsFactory = NOOPMetricsHandler.instance, logger: Logger
    ) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.metrics = metrics
        self.logger = logger
    }

    public var assetLinks: AssetLinks { AssetLinks(directusURL: configuration.baseURL) }

    public func fetchCategories() async throws(CatalogError) -> [CategoryRecord] {
        let mapping = configuration.mapping
        return try await list(configuration.categoriesCollection, fields: "*", published: mapping.publishedCategoryFilter) { json in
            CategoryRecord(json: mapping.canonicalCategory(json))
        }
    }

    public func fetchProducts<Row>(_ transform: (ProductRecord) -> Row) async throws(CatalogError) -> [Row] {
        let mapping = configuration.mapping
        return try await list(configuration.productsCollection, fields: mapping.productQuery, published: mapping.publishedFilter) { json in
            ProductRecord(json: mapping.canonicalProduct(json)).map(transform)
        }
    }

    /// Most pages one list is read in (a million items at the default page size).
    static let maxPages = 4_000

    /// Every published row of a collection, `pageSize` at a time in id order, each made into
    /// what the caller keeps as soon as its page arrives: a catalog of any size arrives in
    /// answers of bounded size and is never held as JSON. A row that moved between two pages
    /// while they were read (an item added or deleted meanwhile) is kept once.
    private func list<Row>(
        _ collection: String, fields: String, published: (String, String), _ transform: (JSONValue) -> Row?
    ) async throws(CatalogError) -> [Row] {
        var rows: [Row] = []
        var seen = Set<String>()
        for page in 1...Self.maxPages {
            let body = try await get(
                "/items/\(collection)",
                query: [("fields", fields), published, ("sort", "id"), ("limit", String(configuration.pageSize)), ("page", String(page))])
            let batch = try self.rows(body)
            var added = 0
            for row in batch {
                // A row without an id cannot be told apart from another: kept as it comes.
                guard let id = row["id"].map({ $0.serialized }) else {
                    if let kept = transform(row) { rows.append(kept) }
                    continue
                }
                if seen.insert(id).inserted {
                    if let kept = transform(row) { rows.append(kept) }
                    added += 1
                }
            }
            if batch.count < configuration.pageSize { return rows }
            // A full page with nothing new: the server does not page (a proxy dropping `page`).
            guard added > 0 else { throw .invalidResponse("/items/\(collection): page \(page) repeats the earlier ones") }
        }
        throw .invalidResponse("/items/\(collection): more than \(Self.maxPages) pages of \(configuration.pageSize)")
    }

    public func fetchProducts(ids: [Int]) async throws(CatalogError) -> [ProductRecord] {
        let ids = ids.prefix(maxProductBatch)
        guard !ids.isEmpty else { return [] }
        // Own columns only: the description is what is wanted here, the relations the list has.
        let body = try await get(
            "/items/\(configuration.productsCollection)",
            query: [
                ("fields", "*"), ("filter[id][_in]", ids.map(String.init).joined(separator: ",")), configuration.mapping.publishedFilter,
                ("limit", String(ids.count)),
            ])
        return try rows(body).compactMap { ProductRecord(json: configuration.mapping.canonicalProduct($0)) }
    }

    public func previewProduct(id: Int, version: String?) async throws(CatalogError) -> ProductRecord? {
        try await item(configuration.productsCollection, id: id, fields: configuration.mapping.productQuery, version: version)
            .flatMap { ProductRecord(json: configuration.mapping.canonicalProduct($0)) }
    }

    public func previewCategory(id: Int, version: String?) async throws(CatalogError) -> CategoryRecord? {
        try await item(configuration.categoriesCollection, id: id, fields: "*", version: version)
            .flatMap { CategoryRecord(json: configuration.mapping.canonicalCategory($0)) }
    }

    /// One item as the token's role may read it (a service token reads drafts too), with a
    /// content version merged by Directus when asked (`?version=`). A missing item, one the
    /// role may not read and a missing version are all 403 in Directus: nil.
    private func item(_ collection: String, id: Int, fields: String, version: String?) async throws(CatalogError) -> JSONValue? {
        var query = [("fields", fields)]
        if let version { query.append(("version", version)) }
        let body: JSONValue
        do {
            body = try await get("/items/\(collection)/\(id)", query: query)
        } catch .forbidden {
            return nil
        }
        guard let data = body["data"], case .object = data else { throw .invalidResponse("item without a data object") }
        return data
    }

    /// `GET /assets/{id}?{transform}`: Directus renders the named size (and WebP when
    /// asked) and answers with the bytes; 403 means no such file.
    public func asset(fileID: String, preset: ImagePreset, format: ImageFormat) async throws(CatalogError) -> Asset? {
        try await observed("asset") { () async throws(CatalogError) -> Asset? in try await fetchAsset(fileID: fileID, preset: preset, format: format) }
    }

    private func fetchAsset(fileID: String, preset: ImagePreset, format: ImageFormat) async throws(CatalogError) -> Asset? {
        let id = fileID.addingPercentEncoding(withAllowedCharacters: .urlPathComponentAllowed) ?? fileID
        var query = preset.directusQuery
        if format == .webp { query += "&format=webp" }
        let path = "/assets/\(id)"
        let (response, bytes) = try await send(path, query: query, accept: "image/*", limit: configuration.maxAssetBytes)
        switch response.status.code {
        case 200:
            let type = response.headers.first(name: "Content-Type") ?? "application/octet-stream"
            guard type.hasPrefix("image/") else { throw .invalidResponse("\(path): not an image (\(type))") }
            return Asset(bytes: Array(bytes.readableBytesView), contentType: type)
        case 403, 404:
            return nil
        case 401:
            throw .unauthorized("\(path): HTTP 401")
        case 429:
            throw .rateLimited(retryAfter: response.headers.first(name: "Retry-After").flatMap { Int($0) })
        default:
            throw .unavailable("HTTP \(response.status.code) on \(path)")
        }
    }

    /// `data` of a list response.
    private func rows(_ body: JSONValue) throws(CatalogError) -> [JSONValue] {
        guard let rows = body["data"]?.array else { throw .invalidResponse("list without a data array") }
        return rows
    }

    /// One request with the service token (if any); transport failures and timeouts are
    /// `unavailable`, without the URL or headers.
    /// `anonymous` asks as the Public role even when a token is set (the doctor's checks).
    func send(
        _ path: String, query: String, accept: String, limit: Int, anonymous: Bool = false
    ) async throws(CatalogError) -> (HTTPClientResponse, ByteBuffer) {
        var request = HTTPClientRequest(url: configuration.baseURL + path + (query.isEmpty ? "" : "?" + query))
        request.headers.add(name: "Accept", value: accept)
        if !anonymous, let token = configuration.token {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        let timeout = configuration.timeout
        let (httpClient, logger, prepared) = (httpClient, logger, request)
        do {
            // One deadline over the answer and its whole body: AsyncHTTPClient's own timeout
            // ends with the response head, and a Directus that sends headers and then
            // trickles the body would otherwise hold the page for minutes.
            return try await withThrowingTaskGroup(of: (HTTPClientResponse, ByteBuffer).self) { group in
                group.addTask {
                    let response = try await httpClient.execute(prepared, timeout: timeout, logger: logger)
                    return (response, try await response.body.collect(upTo: limit))
                }
                group.addTask {
                    try await Task.sleep(nanoseconds: UInt64(timeout.nanoseconds))
                    throw HTTPClientError.deadlineExceeded
                }
                defer { group.cancelAll() }
                guard let first = try await group.next() else { throw HTTPClientError.deadlineExceeded }
                return first
            }
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw .unavailable("timeout after \(timeout.nanoseconds / 1_000_000) ms on \(path)")
        } catch is NIOTooManyBytesError {
            throw .invalidResponse(
                "\(path): the answer is larger than \(limit >> 20) MiB (DIRECTUS_MAX_RESPONSE_MB for lists, 16 MiB for images)")
        } catch {
            throw .unavailable("\(path): \(Self.describe(error))")
        }
    }

    func get(_ path: String, query: [(String, String)]) async throws(CatalogError) -> JSONValue {
        // `/items/{collection}` is a list (a page of it), `/items/{collection}/{id}` one item.
        let operation = path.split(separator: "/").count > 2 ? "item" : "list"
        return try await observed(operation) { () async throws(CatalogError) -> JSONValue in try await getJSON(path, query: query) }
    }

    /// Times a request and counts its failure by kind (metrics).
    private func observed<T>(_ operation: String, _ request: () async throws(CatalogError) -> T) async throws(CatalogError) -> T {
        let start = ContinuousClock.now
        defer {
            CoreMetrics.Timer(label: "directus_request_duration_seconds", dimensions: [("operation", operation)], factory: metrics)
                .record(start.duration(to: .now))
        }
        do {
            return try await request()
        } catch {
            CoreMetrics.Counter(label: "directus_request_errors_total", dimensions: [("operation", operation), ("kind", error.kind)], factory: metrics)
                .increment()
            throw error
        }
    }

    private func getJSON(_ path: String, query: [(String, String)]) async throws(CatalogError) -> JSONValue {
        let (response, bytes) = try await send(path, query: Self.encode(query), accept: "application/json", limit: configuration.maxResponseBytes)
        let json = try? JSONParser.parse(bytes.readableBytesView)
        let status = response.status.code
        guard status == 200 else {
            let message = Self.errorMessage(json) ?? "HTTP \(status)"
            switch status {
            case 401: throw .unauthorized(message)
            case 403: throw .forbidden(message)
            case 429:
                let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0) }
                throw .rateLimited(retryAfter: retryAfter)
            case 500...599: throw .unavailable("HTTP \(status) on \(path): \(message)")
            default: throw .invalidResponse("HTTP \(status) on \(path): \(message)")
            }
        }
        guard let json else { throw .invalidResponse("\(path): the body is not JSON") }
        return json
    }

    /// The first message of Directus' `{"errors":[{"message":…,"extensions":{"code":…}}]}`.
    static func errorMessage(_ body: JSONValue?) -> String? {
        guard let first = body?["errors"]?.array?.first else { return nil }
        let code = first["extensions"]?["code"]?.string
        let message = first["message"]?.string
        let text = [code, message].compactMap { $0 }.joined(separator: ": ")
        // A proxy or a hostile server may say a lot: a line's worth is enough.
        return text.unicodeScalars.count > 300 ? String(String.UnicodeScalarView(text.unicodeScalars.prefix(300))) + "…" : text
    }

    static func encode(_ query: [(String, String)]) -> String {
        query.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: .urlQueryValueAllowed) ?? key)=\(value.addingPercentEncoding(withAllowedCharacters: .urlQueryValueAllowed) ?? value)"
        }.joined(separator: "&")
    }

    /// Transport errors without URLs or headers (which could carry the token).
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return String(describing: error) }
        return String(describing: type(of: error))
    }
}

extension CharacterSet {
    /// Unreserved characters only: everything else in a query key or value is escaped.
    static let urlQueryValueAllowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~,*")
    static let urlPathComponentAllowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
}
