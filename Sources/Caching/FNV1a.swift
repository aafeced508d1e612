/// 64-bit FNV-1a: a fast, stable hash for ETags and change detection (not for security).
public enum FNV1a {
    public static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        // Contiguous bytes (a page's ByteBuffer, an array) go through a plain pointer loop: a
        // collection's generic iterator costs several times the hashing itself.
        if let hashed = bytes.withContiguousStorageIfAvailable({ Self.hash(UnsafeRawBufferPointer($0)) }) { return hashed }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    public static func hash(_ buffer: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in buffer {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// A strong ETag of `bytes` (quoted, base 36), for pages, documents and images alike.
    public static func etag(of bytes: some Sequence<UInt8>) -> String {
        "\"\(String(hash(bytes), radix: 36))\""
    }
}

extension FNV1a {
    /// FNV-1a fed piece by piece: a digest of several fields that is the same on every
    /// instance and after every restart (Swift's `Hasher` is seeded per process). Each piece
    /// ends with 0xFF, a byte UTF-8 never has, so ("ab", "c") and ("a", "bc") differ.
    public struct Digest: Sendable {
        public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

        public init() {}

        public mutating func add(_ text: String) {
            for byte in text.utf8 { mix(byte) }
            mix(0xFF)
        }

        public mutating func add(_ text: String?) {
            if let text { add(text) } else { mix(0xFE) }
        }

        public mutating func add(_ number: Int) {
            withUnsafeBytes(of: UInt64(bitPattern: Int64(number)).littleEndian) { for byte in $0 { mix(byte) } }
            mix(0xFF)
        }

        public mutating func add(_ number: UInt64) {
            withUnsafeBytes(of: number.littleEndian) { for byte in $0 { mix(byte) } }
            mix(0xFF)
        }

        private mutating func mix(_ byte: UInt8) {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01B3
        }
    }
}
