import Crypto
import Foundation

enum Secrets {
    /// Whether a presented secret (admin token, ingest key, preview or webhook secret) is the
    /// configured one. Both sides are hashed first, so the comparison takes the same time
    /// whatever the lengths and wherever they differ.
    static func matches(_ presented: String, _ secret: String) -> Bool {
        constantTimeEqual(Array(SHA256.hash(data: Data(presented.utf8))), Array(SHA256.hash(data: Data(secret.utf8))))
    }

    /// Whether two byte strings are equal, in a time that does not depend on where they differ.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    /// A secret of its own for `purpose`, derived from one the operator set (HMAC-SHA256, the
    /// first 32 hex digits): stable across restarts and instances, and revealing nothing of
    /// the secret it comes from.
    static func derived(from secret: String, purpose: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(purpose.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined().prefix(32).description
    }
}
