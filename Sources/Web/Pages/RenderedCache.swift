import HTTPTypes
import NIOCore
import Synchronization

/// A finished response body, ready to be sent again.
struct RenderedResponse: Sendable {
    var body: ByteBuffer
    var contentType: String
    /// A strong validator of the bytes (If-None-Match → 304).
    var etag: String

    init(body: ByteBuffer, contentType: String) {
        self.body = body
        self.contentType = contentType
        etag = "\"\(String(FNV1a.hash(body.readableBytesView), radix: 36))\""
    }
}

/// Rendered pages and JSON documents, kept per catalog version (DESIGN §8): a warm request
/// sends bytes that were rendered once, and any catalog change invalidates them all.
final class RenderedCache: Sendable {
    private struct Entry {
        var version: UInt64
        var response: RenderedResponse
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let capacity: Int

    init(capacity: Int = 4_096) {
        self.capacity = capacity
    }

    func get(_ key: String, version: UInt64) -> RenderedResponse? {
        entries.withLock { entries in
            guard let entry = entries[key], entry.version == version else { return nil }
            return entry.response
        }
    }

    func put(_ key: String, version: UInt64, _ response: RenderedResponse) {
        entries.withLock { entries in
            if entries.count >= capacity, entries[key] == nil {
                // Outdated pages go first; if all are current, start over (rendering is cheap
                // compared to unbounded memory).
                entries = entries.filter { $0.value.version == version }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = Entry(version: version, response: response)
        }
    }
}

/// 64-bit FNV-1a: a fast, stable hash for ETags (not for security).
enum FNV1a {
    static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}
