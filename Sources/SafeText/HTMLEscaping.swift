/// HTML escaping on UTF-8 bytes, not on `Character`s.
///
/// Swift's `Character` is a grapheme cluster: a quote followed by a combining mark (`"\u{301}`)
/// is one character that equals no `"`, so an escaper that looks at characters lets the
/// quote through, and a browser's tokenizer (which reads code points) ends the attribute
/// there. The five bytes escaped here never occur inside a multi-byte UTF-8 sequence, so a
/// byte-wise scan is exact and also the fastest one.
public enum HTMLEscaping {
    public static func escape(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            guard let first = bytes.firstIndex(where: needsEscape) else { return nil }
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count + 32)
            output.append(contentsOf: bytes[..<first])
            for byte in bytes[first...] {
                switch byte {
                case UInt8(ascii: "&"): output.append(contentsOf: Self.amp)
                case UInt8(ascii: "<"): output.append(contentsOf: Self.lt)
                case UInt8(ascii: ">"): output.append(contentsOf: Self.gt)
                case UInt8(ascii: "\""): output.append(contentsOf: Self.quot)
                case UInt8(ascii: "'"): output.append(contentsOf: Self.apos)
                default: output.append(byte)
                }
            }
            return String(decoding: output, as: UTF8.self)
        } ?? text
    }

    @inline(__always)
    static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "\"")
            || byte == UInt8(ascii: "'")
    }

    private static let amp = Array("&amp;".utf8)
    private static let lt = Array("&lt;".utf8)
    private static let gt = Array("&gt;".utf8)
    private static let quot = Array("&quot;".utf8)
    private static let apos = Array("&#39;".utf8)
}
