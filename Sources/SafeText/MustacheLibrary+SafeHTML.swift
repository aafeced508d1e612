import Foundation
import Mustache
import Synchronization

/// swift-mustache's own HTML escaper compares `Character`s, so a quote or `<` followed by a
/// combining mark passes unescaped (`String.htmlEscape` in 2.1.1). This
/// content type escapes on bytes instead (`HTMLEscaping`), and templates loaded with
/// `MustacheLibrary(safeHTMLDirectory:)` use it from their first token on.
struct ScalarHTMLContentType: MustacheContentType {
    func escapeText(_ text: String) -> String { HTMLEscaping.escape(text) }

    static let name = "HTML_SCALARS"
    /// The pragma every loaded template starts with. A partial starts with it too: the
    /// library resets a partial's content type to its own HTML escaper.
    static let pragma = "{{% CONTENT_TYPE: \(name)}}"

    private static let registered = Mutex(false)

    static func register() {
        registered.withLock { done in
            guard !done else { return }
            MustacheContentTypes.register(ScalarHTMLContentType(), named: name)
            done = true
        }
    }
}

extension MustacheLibrary {
    /// The `.mustache` files under `directory` (subfolders as `folder/name`), each escaping
    /// HTML on bytes rather than grapheme clusters. A template that sets its own content type
    /// (`{{% CONTENT_TYPE: TEXT}}` in a plain-text mail) keeps it.
    public init(safeHTMLDirectory directory: String) throws {
        ScalarHTMLContentType.register()
        self.init()
        let root = URL(fileURLWithPath: directory).resolvingSymlinksInPath()
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return }
        for case let path as String in enumerator where path.hasSuffix(".mustache") {
            let text = try String(contentsOfFile: root.path + "/" + path, encoding: .utf8)
            do {
                // On a line of its own the pragma is a standalone tag: it leaves no blank line,
                // and a template's own first-line pragma stays standalone too.
                try register(ScalarHTMLContentType.pragma + "\n" + text, named: String(path.dropLast(".mustache".count)))
            } catch {
                throw TemplateError(file: path, underlying: error)
            }
        }
    }

    /// A template that does not parse, named by its file.
    public struct TemplateError: Error, CustomStringConvertible {
        public var file: String
        public var underlying: any Error
        public var description: String { "template \(file) does not parse: \(underlying)" }
    }
}
