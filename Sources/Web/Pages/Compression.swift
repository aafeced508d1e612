import CompressNIO
import HTTPTypes
import NIOCore

/// gzip variants, made once per rendered page or static file and chosen per request by
/// `Accept-Encoding` (the same bytes for every visitor, so they are kept, not redone).
enum Compression {
    /// Worth compressing: text formats of at least 1 KiB.
    static func isCompressible(_ contentType: String, size: Int) -> Bool {
        guard size >= 1_024 else { return false }
        let type = contentType.lowercased()
        return type.hasPrefix("text/") || type.hasPrefix("application/json") || type.hasPrefix("application/xml")
            || type.hasPrefix("application/javascript") || type.hasPrefix("image/svg+xml")
    }

    /// The gzip form of `body`, or nil when it would not save a tenth.
    ///
    /// Copied into a buffer of its own size: the compressor's output buffer is as large as the
    /// input could become, several times what a page compresses to, and a kept variant would
    /// hold all of it.
    static func gzip(_ body: ByteBuffer) -> ByteBuffer? {
        var input = body
        guard let compressed = try? input.compress(with: .gzip), compressed.readableBytes < body.readableBytes * 9 / 10 else {
            return nil
        }
        return ByteBuffer(bytes: compressed.readableBytesView)
    }

    /// Whether a client takes gzip: `gzip` (or `x-gzip`) listed without `q=0`, or else `*`
    /// without `q=0`; an explicit entry for gzip wins over `*`.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        var wildcard = false
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if coding == "gzip" || coding == "x-gzip" { return quality > 0 }
            if coding == "*" { wildcard = quality > 0 }
        }
        return wildcard
    }

    /// A strong validator of the gzip bytes, derived from the identity one.
    static func gzipETag(_ etag: String) -> String {
        etag.hasSuffix("\"") ? String(etag.dropLast()) + "-gz\"" : etag + "-gz"
    }
}
