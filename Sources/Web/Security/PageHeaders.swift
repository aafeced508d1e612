import Foundation
import HTTPTypes

/// The security headers of HTML answers.
struct PageHeaders: Sendable {
    /// Every public page: own resources only, not framed by other sites.
    let page: HTTPFields
    /// Editor previews: Directus shows them in an iframe, and nothing may keep them.
    let preview: HTTPFields

    init(directusURL: String?) {
        let policy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; base-uri 'self'"
        page = [
            .contentSecurityPolicy: policy + "; frame-ancestors 'self'",
            .xContentTypeOptions: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "strict-origin-when-cross-origin",
        ]
        var preview = page
        let directusOrigin = directusURL.flatMap(Self.origin)
        preview[.contentSecurityPolicy] = policy + "; frame-ancestors 'self'" + (directusOrigin.map { " " + $0 } ?? "")
        preview[.cacheControl] = "no-store"
        preview[HTTPField.Name("X-Robots-Tag")!] = "noindex, nofollow"
        // The preview URL carries the secret: not even this site's own access logs get it
        // as the Referer of the page's styles, images and links.
        preview[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        self.preview = preview
    }

    /// `https://cms.example.ru:8443` of a URL.
    static func origin(_ text: String) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme, let host = url.host else { return nil }
        return "\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")"
    }
}
