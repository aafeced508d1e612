@testable import Assets
import Basics
import AsyncHTTPClient
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TestSupport
@testable import Web

@Suite("Image proxy")
struct AssetProxyTests {
    static let file = "9b1c2f4e-6a7d-4c1e-9f0a-2d3b00000001"

    @Test("named presets through Directus transforms, WebP when accepted, cached with ETag and long-lived headers")
    func proxy() async throws {
        try await withDirectusApp { client, directus, url in
            let uri = "/assets/\(Self.file)?preset=card"
            let webp: HTTPFields = [.accept: "image/avif,image/webp,*/*"]
            let first = try await client.execute(uri: uri, method: .get, headers: webp)
            #expect(first.status == .ok)
            #expect(first.headers[.contentType] == "image/webp")
            #expect(first.headers[.cacheControl]?.contains("max-age=604800") == true)
            #expect(first.headers[.vary] == "Accept")
            let etag = try #require(first.headers[.eTag])
            #expect(String(buffer: first.body).contains("480x360"))
            let asked = directus.requests.filter { $0.path == "/assets/\(Self.file)" }
            #expect(asked.count == 1)
            #expect(asked.first?.query["width"] == "480")
            #expect(asked.first?.query["format"] == "webp")
            #expect(asked.first?.authorization == "Bearer \(FakeDirectus.serviceToken)")

            let again = try await client.execute(uri: uri, method: .get, headers: webp)
            #expect(again.body == first.body)
            #expect(try await client.execute(uri: uri, method: .get, headers: [.accept: "image/webp", .ifNoneMatch: etag]).status == .notModified)
            #expect(directus.requests.filter { $0.path == "/assets/\(Self.file)" }.count == 1)

            // A browser without WebP gets the original format: another variant.
            let jpeg = try await client.execute(uri: uri, method: .get, headers: [.accept: "image/png,image/*"])
            #expect(jpeg.headers[.contentType] == "image/jpeg")
            #expect(directus.requests.filter { $0.path == "/assets/\(Self.file)" }.count == 2)
            #expect(directus.requests.last?.query["format"] == nil)
            #expect(try await scrape(client).value("asset_cache_bytes") ?? 0 > Double(2 * 480 * 360 / 100))
        }
    }

    @Test("only named presets and plausible ids reach Directus; a missing file gets the placeholder")
    func bounds() async throws {
        try await withDirectusApp { client, directus, url in
            for uri in [
                "/assets/\(Self.file)?preset=huge", "/assets/\(Self.file)?preset=card&width=6000",
                "/assets/..%2F..%2Fetc?preset=card", "/assets/\(String(repeating: "a", count: 65))?preset=card",
            ] {
                let response = try await client.execute(uri: uri, method: .get)
                if uri.contains("width=6000") {
                    // Extra parameters are ignored: still the card size.
                    #expect(String(buffer: response.body).contains("480x360"))
                } else {
                    #expect(response.status == .notFound, "\(uri)")
                }
            }
            #expect(directus.requests.filter { $0.path.hasPrefix("/assets/") }.allSatisfy { $0.query["width"] == "480" })
            let missing = try await client.execute(uri: "/assets/00000000-0000-0000-0000-000000000000?preset=thumb", method: .get)
            #expect(missing.status == .found)
            #expect(missing.headers[.location] == "/img/placeholder.svg")
            // Remembered for a while: asking again, in any size, does not bother Directus.
            let asked = directus.requests.count
            for preset in ["thumb", "card", "full"] {
                #expect(try await client.execute(uri: "/assets/00000000-0000-0000-0000-000000000000?preset=\(preset)", method: .get).status == .found)
            }
            #expect(directus.requests.count == asked)
        }
    }

    @Test("a cold burst on one image makes one Directus request")
    func singleFlight() async throws {
        try await withDirectusApp { client, directus, url in
            directus.fail(.slow(.milliseconds(200)))
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let response = try await client.execute(uri: "/assets/\(Self.file)?preset=full", method: .get, headers: [.accept: "image/webp"])
                        return response.body.readableBytes
                    }
                }
                for try await size in group { #expect(size == 1600 * 1200 / 100) }
            }
            #expect(directus.requests.filter { $0.path.hasPrefix("/assets/") }.count == 1)
        }
    }

    @Test("Directus down: a cached image is still served, an uncached one falls back to the placeholder")
    func outage() async throws {
        try await withDirectusApp { client, directus, url in
            #expect(try await client.execute(uri: "/assets/\(Self.file)?preset=thumb", method: .get).status == .ok)
            directus.fail(.unavailable, .unavailable)
            #expect(try await client.execute(uri: "/assets/\(Self.file)?preset=thumb", method: .get).status == .ok)
            let cold = try await client.execute(uri: "/assets/9b1c2f4e-6a7d-4c1e-9f0a-2d3b00000002?preset=thumb", method: .get)
            #expect(cold.status == .found)
            #expect(cold.headers[.location] == "/img/placeholder.svg")
            #expect(cold.headers[.cacheControl] == "no-store")
        }
    }

    @Test("a Directus webhook for a replaced file drops its cached sizes")
    func replacedFile() async throws {
        try await withDirectusApp(environment: ["DIRECTUS_WEBHOOK_SECRET": "hook-secret-for-tests"]) { client, directus, url in
            let uri = "/assets/\(Self.file)?preset=thumb"
            _ = try await client.execute(uri: uri, method: .get)
            _ = try await client.execute(uri: uri, method: .get)
            #expect(directus.requests.filter { $0.path.hasPrefix("/assets/") }.count == 1)
            let event = #"{"event":"directus_files.update","collection":"directus_files","keys":["\#(Self.file)"],"payload":{"title":"new"}}"#
            let hook = try await client.execute(
                uri: "/webhook/directus", method: .post,
                headers: [.contentType: "application/json", HTTPField.Name("X-Webhook-Secret")!: "hook-secret-for-tests"], body: ByteBuffer(string: event))
            #expect(hook.status == .ok)
            _ = try await client.execute(uri: uri, method: .get)
            #expect(directus.requests.filter { $0.path.hasPrefix("/assets/") }.count == 2)
        }
    }

    @Test("the disk cache stays under its cap (least recently used go first) and survives a restart")
    func diskCap() async throws {
        let directus = try FakeDirectus()
        try await directus.run { (url: String) async throws in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("assets-\(UUID().uuidString)").path
            let source = DirectusCatalogSource(
                configuration: .init(baseURL: url, token: FakeDirectus.serviceToken), httpClient: .shared, logger: Logger(label: "test"))
            let ids = (1...4).map { "9b1c2f4e-6a7d-4c1e-9f0a-2d3b0000000\($0)" }
            let keys = ids.map { AssetStore.Key(fileID: $0, preset: .full, format: .webp) }
            let store = try AssetStore(source: source, directory: directory, maxBytes: 50_000, logger: Logger(label: "test"))
            _ = try await store.asset(keys[0])
            _ = try await store.asset(keys[1])
            _ = try await store.asset(keys[0])  // used again: now keys[1] is the oldest
            _ = try await store.asset(keys[2])
            #expect(store.totalBytes <= 50_000)
            #expect(store.contains(keys[0]) && store.contains(keys[2]))
            #expect(!store.contains(keys[1]))
            let onDisk = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(Set(onDisk) == [keys[0].fileName, keys[2].fileName])

            // A new process finds the files and serves them without asking Directus.
            let before = directus.requests.count
            let restarted = try AssetStore(source: source, directory: directory, maxBytes: 50_000, logger: Logger(label: "test"))
            #expect(restarted.totalBytes == store.totalBytes)
            let served = try #require(try await restarted.asset(keys[2]))
            #expect(served.contentType == "image/webp")
            #expect(served.body.readableBytes == 1600 * 1200 / 100)
            #expect(directus.requests.count == before)
            #expect(try await restarted.asset(AssetStore.Key(fileID: "00000000-0000-0000-0000-00000000dead", preset: .thumb, format: .webp)) == nil)
        }
    }

    @Test("pages point images at the proxy with srcset and lazy loading")
    func pages() async throws {
        try await withDirectusApp { client, directus, url in
            let catalog = try await client.execute(uri: "/catalog", method: .get).text
            #expect(catalog.contains(#"srcset="/assets/\#(Self.file)?preset=thumb 160w, /assets/\#(Self.file)?preset=card 480w""#))
            #expect(catalog.contains(#"loading="lazy""#))
            #expect(!catalog.contains(url))
            let product = try await client.execute(uri: "/product/tokarnyj-stanok-chpu-ck6150", method: .get).text
            #expect(product.contains(#"srcset="/assets/\#(Self.file)?preset=card 480w, /assets/\#(Self.file)?preset=full 1600w""#))
        }
    }
}
