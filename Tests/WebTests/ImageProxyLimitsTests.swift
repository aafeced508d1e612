@testable import Assets
import Basics
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Storage
import Synchronization
import Testing
import TestSupport

@testable import Web

/// A catalog source whose images come only when the test lets them (one `release` per fetch),
/// each fetch answering with the bytes set at that moment.
final class GatedImages: CatalogSource {
    private let state = Mutex<(started: Int, bytes: [UInt8], gates: [CheckedContinuation<Void, Never>])>((0, [1], []))

    var started: Int { state.withLock { $0.started } }
    func setBytes(_ bytes: [UInt8]) { state.withLock { $0.bytes = bytes } }

    /// Lets the oldest waiting fetch finish.
    func release() {
        let gate = state.withLock { $0.gates.isEmpty ? nil : $0.gates.removeFirst() }
        gate?.resume()
    }

    func asset(fileID: String, preset: ImagePreset, format: ImageFormat) async throws(CatalogError) -> Asset? {
        let bytes = state.withLock { $0.bytes }
        // Counted and gated at once: a `release` after `started` moved always finds the gate.
        await withCheckedContinuation { continuation in
            state.withLock { state in
                state.started += 1
                state.gates.append(continuation)
            }
        }
        return Asset(bytes: bytes, contentType: "image/png")
    }

    func fetchCategories() async throws(CatalogError) -> [CategoryRecord] { [] }
    /// Ten published products, each showing one image (`file-1` … `file-10`).
    func fetchProducts<Row>(_ transform: (ProductRecord) -> Row) async throws(CatalogError) -> [Row] {
        (1...10).compactMap { index in
            (try? JSONParser.parse(#"{"id":\#(index),"status":"published","name":"Станок \#(index)","hero_image":{"id":"file-\#(index)"}}"#))
                .flatMap(ProductRecord.init(json:)).map(transform)
        }
    }
    func fetchProducts(ids: [Int]) async throws(CatalogError) -> [ProductRecord] { [] }
    func previewProduct(id: Int, version: String?) async throws(CatalogError) -> ProductRecord? { nil }
    func previewCategory(id: Int, version: String?) async throws(CatalogError) -> CategoryRecord? { nil }
}

@Suite("Image proxy limits")
struct ImageProxyLimitsTests {
    static let privateFile = "9b1c2f4e-6a7d-4c1e-9f0a-2d3b00000016"
    /// The hero image of product 12, a draft.
    static let draftImage = "9b1c2f4e-6a7d-4c1e-9f0a-2d3b00000015"
    static let previewSecret = "preview-secret-for-tests"

    static func scratch() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("assets-\(UUID().uuidString)").path
    }

    @Test("only files that published pages show are fetched: made-up, private and draft ids cost no Directus request")
    func onlyReferencedFiles() async throws {
        try await withDirectusApp { client, directus, _ in
            _ = try await client.execute(uri: "/catalog", method: .get)
            for fileID in [Self.privateFile, Self.draftImage, UUID().uuidString.lowercased()] {
                let response = try await client.execute(uri: "/assets/\(fileID)?preset=card", method: .get)
                #expect(response.status == .found)
                #expect(response.headers[.location] == SiteURL.placeholderImage)
            }
            #expect(directus.requestCount(pathPrefix: "/assets/") == 0)
            #expect(try await client.execute(uri: "/assets/\(AssetProxyTests.file)?preset=card", method: .get).status == .ok)
            #expect(directus.requestCount(pathPrefix: "/assets/") == 1)
        }
    }

    @Test("a preview links its draft images through a signed, preview-scoped URL that opens that file only")
    func previewImages() async throws {
        try await withDirectusApp(environment: ["PREVIEW_SECRET": Self.previewSecret]) { client, directus, _ in
            let page = try await client.execute(uri: "/preview/products/12?secret=\(Self.previewSecret)", method: .get).text
            let start = try #require(page.range(of: "/preview/assets/"))
            let link = String(page[start.lowerBound...].prefix { $0 != "\"" && $0 != " " })
            #expect(link.contains(Self.draftImage))
            let image = try await client.execute(uri: link.replacingOccurrences(of: "&amp;", with: "&"), method: .get)
            #expect(image.status == .ok)
            #expect(image.headers[.cacheControl] == "private, max-age=3600")
            #expect(directus.requestCount(pathPrefix: "/assets/\(Self.draftImage)") == 1)
            // The token is for that file: another id, or a token made up, opens nothing.
            #expect(try await client.execute(uri: link.replacingOccurrences(of: Self.draftImage, with: Self.privateFile), method: .get).status == .notFound)
            let forged = "/preview/assets/4000000000-00000000000000000000000000000000/\(Self.privateFile)?preset=card"
            #expect(try await client.execute(uri: forged, method: .get).status == .notFound)
            // PREVIEW_SECRET is in every editor's preview URL: it is not the links' key.
            let minted = PreviewImages(secret: Self.previewSecret, clock: SystemClock()).token(for: Self.privateFile)
            #expect(try await client.execute(uri: "/preview/assets/\(minted)/\(Self.privateFile)?preset=card", method: .get).status == .notFound)
            #expect(directus.requestCount(pathPrefix: "/assets/\(Self.privateFile)") == 0)
            // The public address still does not serve the draft's image.
            #expect(try await client.execute(uri: "/assets/\(Self.draftImage)?preset=card", method: .get).status == .found)
        }
    }

    @Test("the line of image fetches is bounded: beyond it a request is turned away at once")
    func boundedQueue() async throws {
        let source = GatedImages()
        let store = try AssetStore(
            source: source, directory: Self.scratch(), maxBytes: 1 << 20, maxConcurrentFetches: 1, maxWaitingFetches: 2, logger: quietLogger)
        let keys = (1...4).map { AssetStore.Key(fileID: "file-\($0)", preset: .card, format: .webp) }
        let first = Task { try await store.asset(keys[0]) }
        #expect(try await eventually { source.started == 1 })
        let waiting = [Task { try await store.asset(keys[1]) }, Task { try await store.asset(keys[2]) }]
        #expect(try await eventually { store.waitingFetches == 2 })
        await #expect(throws: AssetStore.Busy.self) { try await store.asset(keys[3]) }
        // Those in line go in turn.
        for turn in 1...3 {
            #expect(try await eventually { source.started == turn })
            source.release()
        }
        #expect(try await first.value != nil)
        for task in waiting { #expect(try await task.value != nil) }
    }

    @Test("an image fetch under way when its file is purged neither stores the old bytes nor serves later requests")
    func purgeDuringFetch() async throws {
        let source = GatedImages()
        let store = try AssetStore(source: source, directory: Self.scratch(), maxBytes: 1 << 20, logger: quietLogger)
        let key = AssetStore.Key(fileID: "replaced", preset: .full, format: .original)
        source.setBytes([1, 1, 1])
        let before = Task { try await store.asset(key) }
        #expect(try await eventually { source.started == 1 })
        // The editor replaces the file; Directus tells us while the old bytes are on their way.
        source.setBytes([2, 2, 2])
        await store.remove(fileID: "replaced")
        let after = Task { try await store.asset(key) }
        #expect(try await eventually { source.started == 2 })
        source.release()
        #expect(Array(try #require(try await before.value).body.readableBytesView) == [1, 1, 1])
        #expect(!store.contains(key))
        source.release()
        #expect(Array(try #require(try await after.value).body.readableBytesView) == [2, 2, 2])
        #expect(store.contains(key))
        #expect(Array(try #require(try await store.asset(key)).body.readableBytesView) == [2, 2, 2])
    }

    @Test("one client has a bounded number of new image fetches under way; joining one under way costs nothing")
    func fetchesPerClient() async throws {
        let source = GatedImages()
        let store = try AssetStore(
            source: source, directory: Self.scratch(), maxBytes: 1 << 20, maxConcurrentFetches: 2, maxWaitingFetches: 10,
            maxFetchesPerClient: 3, logger: quietLogger)
        let keys = (1...5).map { AssetStore.Key(fileID: "file-\($0)", preset: .card, format: .webp) }
        let mine = (0..<3).map { index in Task { try await store.asset(keys[index], client: "203.0.113.7") } }
        #expect(try await eventually { source.started == 2 && store.waitingFetches == 1 })
        // A fourth new one is too many for this client; the same images for others are not.
        await #expect(throws: AssetStore.Busy.self) { try await store.asset(keys[3], client: "203.0.113.7") }
        let joined = Task { try await store.asset(keys[0], client: "203.0.113.7") }
        let other = Task { try await store.asset(keys[4], client: "198.51.100.1") }
        // Two at a time: each release lets the next in line start, until all four ran.
        for started in [2, 3, 4, 4] {
            #expect(try await eventually { source.started == started })
            source.release()
        }
        for task in mine + [joined, other] { #expect(try await task.value != nil) }
        // Done: the client may fetch again.
        let again = Task { try await store.asset(keys[3], client: "203.0.113.7") }
        #expect(try await eventually { source.started == 5 })
        source.release()
        #expect(try await again.value != nil)
    }
}
