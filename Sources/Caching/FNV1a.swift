/// 64-bit FNV-1a: a fast, stable hash for ETags and change detection (not for security).
public enum FNV1a {
    public static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
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
