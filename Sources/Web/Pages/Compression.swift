import Basics
import CBrotli
import CompressNIO
import HTTPTypes
import NIOCore

/// gzip and brotli variants, made once per rendered page or static file and chosen per request
/// by `Accept-Encoding` (the same bytes for every visitor, so they are kept, not redone).
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

    /// The brotli form of `body` (quality 9 of 11: most of the gain, a few milliseconds for a
    /// page, once per render), or nil when it would not save a tenth.
    static func brotli(_ body: ByteBuffer) -> ByteBuffer? {
        let input = body.readableBytesView
        var size = BrotliEncoderMaxCompressedSize(input.count)
        guard size > 0 else { return nil }
        var output = [UInt8](repeating: 0, count: size)
        let done = input.withContiguousStorageIfAvailable { bytes in
            BrotliEncoderCompress(9, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, bytes.count, bytes.baseAddress, &size, &output)
        }
        guard done == BROTLI_TRUE, size < input.count * 9 / 10 else { return nil }
        return ByteBuffer(bytes: output[..<size])
    }

    /// The content codings this server makes.
    enum Coding: String, Sendable, CaseIterable {
        case identity
        case gzip
        case br

        /// A strong validator of this variant's bytes, derived from the identity one.
        func etag(_ etag: String) -> String {
            guard self != .identity else { return etag }
            let suffix = self == .gzip ? "-gz" : "-br"
            return etag.hasSuffix("\"") ? String(etag.dropLast()) + suffix + "\"" : etag + suffix
        }
    }

    /// The variant for a client's `Accept-Encoding`, among those there are: brotli, then gzip
    /// (or `x-gzip`), each when listed without `q=0` or else covered by a `*` without `q=0`
    /// (an explicit entry wins over `*`); otherwise the original.
    static func preferred(_ header: String?, gzip: Bool, brotli: Bool) -> Coding {
        guard let header, gzip || brotli else { return .identity }
        var wildcard = false
        var listed: [Coding: Bool] = [:]
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            switch coding {
            case "br": listed[.br] = quality > 0
            case "gzip", "x-gzip": listed[.gzip] = quality > 0
            case "*": wildcard = quality > 0
            default: break
            }
        }
        if brotli, listed[.br] ?? wildcard { return .br }
        if gzip, listed[.gzip] ?? wildcard { return .gzip }
        return .identity
    }

}
