import Basics
import Crypto
import Foundation
import Storage

/// The order form's CSRF token: signed and time-limited, and the same for every
/// visitor within a window, so that pages with the form can be cached and shared.
///
/// A token names its window and carries an HMAC of it; the current and the previous
/// window are accepted, so a page loaded just before the window turned still works.
struct FormTokens: Sendable {
    /// The `settings` key of the signing secret.
    static let secretKey = "form_token_secret"

    let secret: [UInt8]
    let window: Int64
    /// Token windows turn by this clock.
    let clock: any WallClock

    init(secret: String, windowSeconds: Int64 = 3600, clock: any WallClock) {
        self.secret = Array(secret.utf8)
        window = windowSeconds
        self.clock = clock
    }

    func currentWindow() -> Int64 {
        Int64(clock.now().timeIntervalSince1970) / window
    }

    func token(purpose: String = "order-form") -> String {
        token(purpose: purpose, window: currentWindow())
    }

    func token(purpose: String, window: Int64) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(purpose)|\(window)".utf8), using: SymmetricKey(data: secret))
        return "\(window).\(mac.prefix(16).map { String(format: "%02x", $0) }.joined())"
    }

    func isValid(_ token: String?, purpose: String = "order-form") -> Bool {
        guard let token, let dot = token.firstIndex(of: "."), let window = Int64(token[..<dot]) else { return false }
        let current = currentWindow()
        guard window == current || window == current - 1 else { return false }
        let expected = self.token(purpose: purpose, window: window)
        // Compare in constant time: the MAC must not be guessable byte by byte.
        return Secrets.constantTimeEqual(Array(expected.utf8), Array(token.utf8))
    }

}
