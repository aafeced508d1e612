import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TestSupport

@testable import Web

@Suite("gzip variants")
struct CompressionTests {
    static let product = "/product/tokarnyj-stanok-chpu-ck6150"

    static func gunzip(_ body: ByteBuffer) throws -> String {
        var compressed = body
        return String(buffer: try compressed.decompress(with: .gzip))
    }

    @Test("Accept-Encoding: gzip, x-gzip or * without q=0 takes gzip; anything else does not")
    func acceptEncoding() {
        for header in ["gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.8", "*", "x-gzip", " GZIP "] {
            #expect(Compression.acceptsGzip(header), "\(header)")
        }
        for header in [nil, "", "identity", "br", "gzip;q=0", "gzip; q=0.0", "deflate"] as [String?] {
            #expect(!Compression.acceptsGzip(header), "\(header ?? "nil")")
        }
    }

    @Test("a cached page is sent gzipped to clients that take it, on the router and on the fast path, with its own ETag")
    func pages() async throws {
        try await withApp(mode: .live) { (client: any TestClientProtocol) async throws in
            let plain = try await client.execute(uri: Self.product, method: .get)
            #expect(plain.headers[.contentEncoding] == nil)
            #expect(plain.headers[.vary] == "Accept-Encoding")
            let etag = try #require(plain.headers[.eTag])
            // Right after rendering: answered on the event loop.
            let before = try #require(try await ExhaustionTests.metric("pages_fast_path_total", in: client))
            let gzipped = try await client.execute(uri: Self.product, method: .get, headers: [.acceptEncoding: "gzip, deflate, br"])
            #expect(try await ExhaustionTests.metric("pages_fast_path_total", in: client) == before + 1)
            #expect(gzipped.headers[.contentEncoding] == "gzip")
            #expect(gzipped.headers[.vary] == "Accept-Encoding")
            #expect(gzipped.body.readableBytes < plain.body.readableBytes / 2)
            #expect(try Self.gunzip(gzipped.body) == String(buffer: plain.body))
            let gzipETag = try #require(gzipped.headers[.eTag])
            #expect(gzipETag != etag)
            let revalidated = try await client.execute(
                uri: Self.product, method: .get, headers: [.acceptEncoding: "gzip", .ifNoneMatch: gzipETag])
            #expect(revalidated.status == .notModified)
            #expect(try await client.execute(uri: Self.product, method: .get, headers: [.acceptEncoding: "gzip;q=0"]).headers[.contentEncoding] == nil)
            // The JSON API too.
            let api = try await client.execute(uri: "/api/products", method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(api.headers[.contentEncoding] == "gzip")
            #expect(try JSONSerialization.jsonObject(with: Data(try Self.gunzip(api.body).utf8)) is [String: Any])
        }
    }

    @Test("static text files are kept gzipped beside the original, made once at start-up")
    func staticFiles() async throws {
        try await withApp { (client: any TestClientProtocol) async throws in
            let plain = try await client.execute(uri: "/css/site.css", method: .get)
            #expect(plain.status == .ok && plain.headers[.contentEncoding] == nil)
            let gzipped = try await client.execute(uri: "/css/site.css", method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(gzipped.headers[.contentEncoding] == "gzip")
            #expect(gzipped.headers[.contentType]?.hasPrefix("text/css") == true)
            #expect(gzipped.headers[.cacheControl] == "public, max-age=3600")
            #expect(try Self.gunzip(gzipped.body) == String(buffer: plain.body))
            let etag = try #require(gzipped.headers[.eTag])
            #expect(try await client.execute(uri: "/css/site.css", method: .get, headers: [.acceptEncoding: "gzip", .ifNoneMatch: etag]).status == .notModified)
        }
    }
}
