import Catalog
import Foundation
import HTTPTypes
import Hummingbird

/// A short message in the site's design – an error, a refusal, a confirmation – never
/// cached, never indexed.
struct MessagePages: Sendable {
    let renderer: SiteRenderer
    let layout: SiteLayout
    let headers: PageHeaders
    /// For the navigation: the last catalog index, without waiting for Directus.
    let catalog: Catalog

    func page(
        _ status: HTTPResponse.Status, heading: String, message: String, backURL: String? = nil,
        backText: String = "Вернуться к форме", headers extra: HTTPFields = [:]
    ) -> Response {
        let page = ErrorPageModel(
            layout: layout.layout(catalog.lastIndex, title: heading, description: message, canonicalPath: nil, noindex: true),
            heading: heading, message: message, backURL: backURL, backText: backText)
        var fields = headers.page
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "no-store"
        if status == .serviceUnavailable { fields[.retryAfter] = "30" }
        for field in extra { fields[field.name] = field.value }
        guard let rendered = try? renderer.render("error", page) else {
            return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: heading)))
        }
        return Response(status: status, headers: fields, body: .init(byteBuffer: rendered.body))
    }
}
