import Crypto
import Foundation

enum Secrets {
    /// Whether a presented secret (admin token, ingest key, preview or webhook secret) is the
    /// configured one. Both sides are hashed first, so the comparison takes the same time
    /// whatever the lengths and wherever they differ.
    static func matches(_ presented: String, _ secret: String) -> Bool {
        FormTokens.constantTimeEqual(Array(SHA256.hash(data: Data(presented.utf8))), Array(SHA256.hash(data: Data(secret.utf8))))
    }
}
