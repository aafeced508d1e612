import SafeText
import Catalog
import Foundation
import Hummingbird
import Mustache

/// Renders Mustache templates from `templates/` into response bodies.
struct SiteRenderer: Sendable {
    struct MissingTemplate: Error, CustomStringConvertible {
        var name: String
        var description: String { "template '\(name)' is missing from templates/" }
    }

    let library: MustacheLibrary

    init(directory: String) async throws {
        library = try MustacheLibrary(safeHTMLDirectory: directory)
        for name in ["layout", "home", "catalog", "product", "error", "order", "thanks", "privacy", "admin", "admin-passports", "passport"] where library.getTemplate(named: name) == nil {
            throw MissingTemplate(name: name)
        }
    }

    func render(_ template: String, _ model: Any) throws -> RenderedResponse {
        guard let html = library.render(model, withTemplate: template) else { throw MissingTemplate(name: template) }
        return RenderedResponse(body: ByteBuffer(string: html), contentType: "text/html; charset=utf-8")
    }
}
