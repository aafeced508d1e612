import SafeText
import CLibXML2
import Foundation

/// Cleans editor HTML (the Directus WYSIWYG `description`) with an allow-list.
///
/// The markup is parsed by libxml2's forgiving HTML parser – the same kind of parser a
/// browser uses, so broken markup cannot smuggle a tag past us – and written out again
/// from the tree: allowed tags with allowed attributes only, unknown tags unwrapped to
/// their text, and dangerous ones (`script`, `style`, `iframe`, forms, …) dropped with
/// their content. Links keep only http, https, mailto, tel and site paths; images only
/// catalog files, which go through the image proxy (`AssetLinks`).
public enum HTMLSanitizer {
    public struct Output: Sendable, Hashable {
        public var html: String
        /// The visible text, for summaries and meta descriptions.
        public var text: String
        /// Catalog files the HTML shows (the image proxy serves only referenced files).
        public var fileIDs: [String] = []
    }

    static let allowedTags: Set<String> = [
        "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "b", "em", "i", "u", "s",
        "sub", "sup", "blockquote", "a", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
        "img", "figure", "figcaption", "pre", "code",
    ]
    static let voidTags: Set<String> = ["br", "hr", "img"]
    /// Dropped together with everything inside them.
    static let droppedTags: Set<String> = [
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input",
        "button", "textarea", "select", "option", "noscript", "template", "svg", "math", "head", "title",
        "meta", "link", "base", "video", "audio", "source", "track", "canvas", "dialog",
    ]
    /// The page has its own `h1`; an editor's `h1` becomes `h2`.
    static let renamedTags: [String: String] = ["h1": "h2"]
    static let allowedAttributes: [String: [String]] = [
        "a": ["href", "title"],
        "img": ["src", "alt", "width", "height"],
        "td": ["colspan", "rowspan"],
        "th": ["colspan", "rowspan"],
        "ol": ["start"],
    ]

    private static let parserReady: Void = { xmlInitParser() }()

    public static func sanitize(_ html: String, assets: AssetLinks = AssetLinks()) -> Output {
        guard !html.allSatisfy(\.isWhitespace) else { return Output(html: "", text: "") }
        _ = parserReady
        let options = Int32(
            HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue | HTML_PARSE_NONET.rawValue
                | HTML_PARSE_RECOVER.rawValue)
        // The parser wraps a fragment in <html><body>; an explicit wrapper keeps leading
        // text from landing in <head>.
        let wrapped = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>\(html)</body></html>"
        let document = wrapped.utf8CString.withUnsafeBufferPointer { buffer in
            htmlReadMemory(buffer.baseAddress, Int32(buffer.count - 1), nil, "UTF-8", options)
        }
        guard let document else { return Output(html: "", text: "") }
        defer { xmlFreeDoc(document) }
        guard let body = findElement("body", from: xmlDocGetRootElement(document)) else {
            return Output(html: "", text: "")
        }
        var writer = Writer(assets: assets)
        writer.children(of: body)
        return Output(
            html: writer.html.trimmingCharacters(in: .whitespacesAndNewlines),
            text: SpecsNormalizer.clean(writer.text), fileIDs: writer.fileIDs)
    }

    private static func findElement(_ name: String, from node: xmlNodePtr?) -> xmlNodePtr? {
        var current = node
        while let node = current {
            if node.pointee.type == XML_ELEMENT_NODE, Self.name(of: node) == name { return node }
            if let found = findElement(name, from: node.pointee.children) { return found }
            current = node.pointee.next
        }
        return nil
    }

    static func name(of node: xmlNodePtr) -> String {
        guard let name = node.pointee.name else { return "" }
        return String(cString: name).lowercased()
    }

    /// True for link targets a visitor may follow: absolute http(s), mailto and tel, and
    /// paths of this site (`/catalog/…`, `#specs`). A relative `x` or `../x` would resolve
    /// against whatever page shows the description, so it points nowhere useful and goes.
    public static func isSafeLink(_ raw: String) -> Bool {
        // Browsers ignore control characters and white space inside a scheme ("java\tscript:").
        // Read as bytes: as `Character`s, `/` followed by U+FE0F is one cluster that is no `/`,
        // so `//\u{FE0F}evil.example` passed as a path of ours – and browsers drop U+FE0F
        // from a host name.
        let url = Array(String(raw.unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7F }).lowercased().utf8)
        guard let first = url.first else { return false }
        if first == UInt8(ascii: "#") { return url.count > 1 }
        // `//host/…` is another site without a scheme; `/\host` is read the same way by browsers.
        if first == UInt8(ascii: "/") { return url.count == 1 || (url[1] != UInt8(ascii: "/") && url[1] != UInt8(ascii: "\\")) }
        guard let colon = url.firstIndex(of: UInt8(ascii: ":")) else { return false }
        return ["http", "https", "mailto", "tel"].contains { Array($0.utf8) == Array(url[..<colon]) }
    }

    /// Whether a safe link leads to another site (`http:`/`https:`, which browsers also read
    /// without slashes): such links get `rel="nofollow noopener"`.
    static func isOffSite(_ href: String) -> Bool {
        let url = Array(String(href.unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7F }).lowercased().utf8)
        return url.starts(with: Array("http:".utf8)) || url.starts(with: Array("https:".utf8))
    }

    /// Elements whose end ends a sentence in the plain text.
    private static let blockTags: Set<String> = [
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "div", "blockquote", "dt", "dd", "tr", "section", "article",
    ]

    private struct Writer {
        let assets: AssetLinks
        var html = ""
        var text = ""
        var fileIDs: [String] = []

        mutating func children(of node: xmlNodePtr) {
            var child = node.pointee.children
            while let current = child {
                visit(current)
                child = current.pointee.next
            }
        }

        mutating func visit(_ node: xmlNodePtr) {
            switch node.pointee.type {
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                guard let content = node.pointee.content else { return }
                let value = String(cString: content)
                html += HTMLEscaping.escape(value)
                text += value
            case XML_ELEMENT_NODE:
                element(node)
            default:
                break  // comments, processing instructions, DTD nodes
            }
        }

        mutating func element(_ node: xmlNodePtr) {
            let original = HTMLSanitizer.name(of: node)
            if droppedTags.contains(original) { return }
            let name = renamedTags[original] ?? original
            guard allowedTags.contains(name) else {
                children(of: node)  // unwrap: keep the text, lose the tag
                endText(block: blockTags.contains(original))
                return
            }
            var attributes: [(String, String)] = []
            for attribute in allowedAttributes[name] ?? [] {
                guard var value = property(node, attribute) else { continue }
                if attribute == "href", !isSafeLink(value) { continue }
                if attribute == "src" {
                    // Only catalog files, through the proxy: an arbitrary source would make
                    // every visitor's (or an admin's) browser request it.
                    guard let fileID = assets.fileID(inSource: value) else { continue }
                    value = AssetLinks.path(fileID: fileID, preset: .full)
                    if !fileIDs.contains(fileID) { fileIDs.append(fileID) }
                }
                if attribute == "colspan" || attribute == "rowspan" || attribute == "start" || attribute == "width"
                    || attribute == "height"
                {
                    guard let number = Int(value), number > 0, number < 10_000 else { continue }
                }
                attributes.append((attribute, value))
            }
            if name == "a" {
                guard attributes.contains(where: { $0.0 == "href" }) else {
                    children(of: node)  // a link without a safe target is just text
                    return
                }
                // Another site (an absolute http(s) link; browsers also read `https:example.ru`).
                if let href = attributes.first(where: { $0.0 == "href" })?.1, HTMLSanitizer.isOffSite(href) {
                    attributes.append(("rel", "nofollow noopener"))
                }
            }
            if name == "img" {
                guard attributes.contains(where: { $0.0 == "src" }) else { return }
                attributes.append(("loading", "lazy"))
            }
            html += "<" + name
            for (key, value) in attributes {
                html += " \(key)=\"\(HTMLEscaping.escape(value))\""
            }
            html += ">"
            if voidTags.contains(name) {
                text += " "
                return
            }
            children(of: node)
            html += "</\(name)>"
            endText(block: blockTags.contains(name))
        }

        /// A heading or paragraph ends a sentence in the plain text, so that a summary
        /// does not read «Станок CK6150 Станок предназначен…».
        mutating func endText(block: Bool) {
            if block {
                while text.last?.isWhitespace == true { text.removeLast() }
                if let last = text.last, !".!?:;…".contains(last) { text += "." }
            }
            text += " "
        }

        func property(_ node: xmlNodePtr, _ name: String) -> String? {
            guard let value = xmlGetProp(node, name) else { return nil }
            defer { cbff_xml_free(value) }
            return String(cString: value).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}
