import Catalog
import CompressNIO
import CBrotli
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
            #expect(Compression.preferred(header, gzip: true, brotli: false) == .gzip, "\(header)")
        }
        for header in [nil, "", "identity", "br", "gzip;q=0", "gzip; q=0.0", "deflate", "*, gzip;q=0", "gzip;q=0, *", "*;q=0"] as [String?] {
            #expect(Compression.preferred(header, gzip: true, brotli: false) != .gzip, "\(header ?? "nil")")
        }
    }

    static func unbrotli(_ body: ByteBuffer) throws -> String {
        let input = Array(body.readableBytesView)
        var size = 1 << 20
        var output = [UInt8](repeating: 0, count: size)
        let result = BrotliDecoderDecompress(input.count, input, &size, &output)
        try #require(result == BROTLI_DECODER_RESULT_SUCCESS)
        return String(decoding: output[..<size], as: UTF8.self)
    }

    @Test("brotli is preferred when a client takes it, then gzip; q=0 and * are honoured")
    func preferredCoding() {
        let cases: [(String?, Compression.Coding)] = [
            ("gzip, deflate, br", .br), ("br", .br), ("*", .br), ("br;q=0, gzip", .gzip), ("gzip, deflate", .gzip),
            ("*, br;q=0", .gzip), ("br;q=0, gzip;q=0", .identity), (nil, .identity), ("identity", .identity),
        ]
        for (header, coding) in cases {
            #expect(Compression.preferred(header, gzip: true, brotli: true) == coding, "\(header ?? "nil")")
        }
        #expect(Compression.preferred("br", gzip: true, brotli: false) == .identity)
        #expect(Compression.preferred("gzip, br", gzip: true, brotli: false) == .gzip)
    }

    @Test("a cached page is sent gzipped to clients that take it, with its own ETag")
    func pages() async throws {
        try await withApp(mode: .live) { (client: any TestClientProtocol) async throws in
            let plain = try await client.execute(uri: Self.product, method: .get)
            #expect(plain.headers[.contentEncoding] == nil)
            #expect(plain.headers[.vary] == "Accept-Encoding")
            let etag = try #require(plain.headers[.eTag])
            let brotli = try await client.execute(uri: Self.product, method: .get, headers: [.acceptEncoding: "gzip, deflate, br"])
            #expect(brotli.headers[.contentEncoding] == "br")
            #expect(try Self.unbrotli(brotli.body) == String(buffer: plain.body))
            let gzipped = try await client.execute(uri: Self.product, method: .get, headers: [.acceptEncoding: "gzip, deflate"])
            #expect(gzipped.headers[.contentEncoding] == "gzip")
            #expect(gzipped.headers[.vary] == "Accept-Encoding")
            #expect(gzipped.body.readableBytes < plain.body.readableBytes / 2)
            #expect(try Self.gunzip(gzipped.body) == String(buffer: plain.body))
            #expect(brotli.body.readableBytes < gzipped.body.readableBytes)
            let gzipETag = try #require(gzipped.headers[.eTag])
            #expect(gzipETag != etag && gzipETag != brotli.headers[.eTag])
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

    @Test("the event-loop fast path sends the gzip variant to clients that take it, and the original to others")
    func fastPath() throws {
        let cache = RenderedCache()
        let version = CatalogVersion()
        let pages = PageCache(rendered: cache, version: version, headers: PageHeaders(directusURL: nil))
        let html = "<html><body>" + String(repeating: "<p>Токарный станок с ЧПУ</p>", count: 200) + "</body></html>"
        let page = pages.finish(RenderedResponse(body: ByteBuffer(string: html), contentType: "text/html; charset=utf-8"), compress: true)
        cache.put("page:/p", version: version.current, now: .now, page)
        cache.remember(target: "/p", key: "page:/p")
        let fast = FastPages(cache: cache, version: version, serverName: "test")
        let gzipped = try #require(fast.answer(HTTPRequest(method: .get, scheme: nil, authority: "x", path: "/p", headerFields: [.acceptEncoding: "gzip"])))
        let gzipHead = Self.fields(gzipped.head)
        #expect(gzipHead.status == "HTTP/1.1 200 OK")
        #expect(gzipHead.fields["content-encoding"] == "gzip")
        #expect(gzipHead.fields["vary"] == "Accept-Encoding")
        #expect(gzipHead.fields["content-length"] == String(try #require(gzipped.body).readableBytes))
        #expect(gzipHead.fields["date"] != nil && gzipHead.fields["server"] == "test")
        #expect(try Self.gunzip(try #require(gzipped.body)) == html)
        let plain = try #require(fast.answer(HTTPRequest(method: .get, scheme: nil, authority: "x", path: "/p", headerFields: [:])))
        #expect(Self.fields(plain.head).fields["content-encoding"] == nil)
        #expect(Self.fields(plain.head).fields["content-type"] == "text/html; charset=utf-8")
        #expect(plain.body.map { String(buffer: $0) } == html)
        let etag = try #require(gzipHead.fields["etag"])
        let revalidated = try #require(
            fast.answer(HTTPRequest(method: .get, scheme: nil, authority: "x", path: "/p", headerFields: [.acceptEncoding: "gzip", .ifNoneMatch: etag])))
        #expect(Self.fields(revalidated.head).status == "HTTP/1.1 304 Not Modified")
        #expect(revalidated.body == nil)
    }

    /// The status line and the fields (lower-cased names) of a head as the fast path writes it.
    static func fields(_ head: ByteBuffer) -> (status: String, fields: [String: String]) {
        let text = String(buffer: head)
        #expect(text.hasSuffix("\r\n\r\n"))
        var lines = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let status = lines.removeFirst()
        var fields: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = String(line[line.index(after: colon)...].drop { $0 == " " })
        }
        return (status, fields)
    }
}
