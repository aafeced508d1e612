import Basics
import Catalog
import Crypto
import Foundation
import Storage

/// Image links that only an editor's preview page hands out.
///
/// The public image proxy serves only files that published pages show; a draft's new image
/// is not among them. Its preview page links it as `/preview/assets/{token}/{fileID}`, where
/// the token is an expiry and an HMAC of the file id and that expiry: it opens that one file,
/// for an hour or two. The key is the server's own (`settings`, made at first start), not
/// `PREVIEW_SECRET`, which editors' preview URLs carry: knowing that shows drafts, not any file.
struct PreviewImages: Sendable {
    static let keySetting = "preview_image_key"
    let secret: String
    let clock: any WallClock
    /// Links live until the end of the next full hour, so pages rendered within an hour share
    /// them (and the browser's cache).
    static let lifetime: TimeInterval = 3_600

    /// The token for `fileID`, valid from now on for an hour or more.
    func token(for fileID: String) -> String {
        let now = Int(clock.now().timeIntervalSince1970)
        let expires = (now / 3_600 + 2) * 3_600
        return "\(expires)-\(signature(fileID, expires: expires))"
    }

    /// Whether `token` opens `fileID` now.
    func isValid(_ token: String, fileID: String) -> Bool {
        let parts = token.split(separator: "-", maxSplits: 1)
        let now = Int(clock.now().timeIntervalSince1970)
        guard parts.count == 2, let expires = RequestNumber.integer(String(parts[0]), in: 0...Int(Int32.max) * 4),
            expires > now, expires <= now + 3 * 3_600
        else { return false }
        return Secrets.constantTimeEqual(Array(parts[1].utf8), Array(signature(fileID, expires: expires).utf8))
    }

    /// The preview page's HTML with each of `fileIDs`' image links made a preview link.
    func rewrite(_ html: String, fileIDs: [String]) -> String {
        var result = html
        for fileID in Set(fileIDs) where FileID.isValid(fileID) {
            result = result.replacingOccurrences(
                of: "/assets/\(fileID)?", with: SiteURL.Route.previewAsset.path(token(for: fileID), fileID) + "?")
        }
        return result
    }

    private func signature(_ fileID: String, expires: Int) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("preview-asset|\(fileID)|\(expires)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return mac.prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}
