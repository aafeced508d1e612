import Mustache

/// A mail's template pair is not among the loaded templates.
public struct MissingMailTemplate: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "mail templates \(name).txt / \(name).html are missing" }
}

extension MustacheLibrary {
    /// A mail's two bodies, from `templates/mail/{name}.txt` and `{name}.html`.
    public func mailBodies(_ model: Any, named name: String) throws -> (text: String, html: String) {
        guard let text = render(model, withTemplate: name + ".txt"), let html = render(model, withTemplate: name + ".html") else {
            throw MissingMailTemplate(name: name)
        }
        return (text, html)
    }
}
