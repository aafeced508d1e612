import CLibXML2
import Foundation

/// An XML document parsed strictly by libxml2 (no network, no entity expansion), to check
/// what the server writes: well-formedness, a schema or DTD, and XPath queries.
public final class XMLCheck {
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    private let document: xmlDocPtr

    /// Throws when the bytes are not well-formed XML.
    public init(_ bytes: some Collection<UInt8>) throws {
        let data = Array(bytes)
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        let parsed = data.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { xmlReadMemory($0.baseAddress, Int32($0.count), "feed.xml", nil, options) }
        }
        guard let parsed else { throw Invalid(description: "not well-formed: \(Self.lastError())") }
        document = parsed
    }

    deinit {
        xmlFreeDoc(document)
    }

    /// Validates against an XML Schema; the messages of every violation, empty when valid.
    public func validate(schema: Data) throws -> [String] {
        let bytes = Array(schema)
        let parser = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { xmlSchemaNewMemParserCtxt($0.baseAddress, Int32($0.count)) }
        }
        guard let parser else { throw Invalid(description: "cannot read the schema") }
        defer { xmlSchemaFreeParserCtxt(parser) }
        guard let schema = xmlSchemaParse(parser) else { throw Invalid(description: "bad schema: \(Self.lastError())") }
        defer { xmlSchemaFree(schema) }
        guard let validator = xmlSchemaNewValidCtxt(schema) else { throw Invalid(description: "cannot validate") }
        defer { xmlSchemaFreeValidCtxt(validator) }
        let messages = Messages()
        let handler: xmlStructuredErrorFunc = { context, error in
            guard let context else { return }
            let messages = Unmanaged<Messages>.fromOpaque(context).takeUnretainedValue()
            let text = error?.pointee.message.map { String(cString: $0) } ?? "unknown error"
            messages.items.append("line \(error?.pointee.line ?? 0): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        xmlSchemaSetValidStructuredErrors(validator, handler, Unmanaged.passUnretained(messages).toOpaque())
        let result = xmlSchemaValidateDoc(validator, document)
        if result != 0, messages.items.isEmpty { messages.items.append("invalid (code \(result))") }
        return messages.items
    }

    /// Validates against a DTD; nil when valid, else libxml2's last message.
    public func validate(dtd: Data) throws -> String? {
        let bytes = Array(dtd)
        let input = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { xmlParserInputBufferCreateMem($0.baseAddress, Int32($0.count), XML_CHAR_ENCODING_UTF8) }
        }
        guard let input, let parsed = xmlIOParseDTD(nil, input, XML_CHAR_ENCODING_UTF8) else {
            throw Invalid(description: "bad DTD: \(Self.lastError())")
        }
        defer { xmlFreeDtd(parsed) }
        guard let validator = xmlNewValidCtxt() else { throw Invalid(description: "cannot validate") }
        defer { xmlFreeValidCtxt(validator) }
        validator.pointee.error = nil  // no printing; the last error is read below
        validator.pointee.warning = nil
        xmlResetLastError()
        return xmlValidateDtd(validator, document, parsed) == 1 ? nil : Self.lastError()
    }

    /// The text of every node an XPath expression selects; `ns` binds prefixes.
    public func strings(_ expression: String, ns: [String: String] = [:]) -> [String] {
        guard let context = xmlXPathNewContext(document) else { return [] }
        defer { xmlXPathFreeContext(context) }
        for (prefix, uri) in ns {
            _ = Self.withXML(prefix) { prefix in Self.withXML(uri) { xmlXPathRegisterNs(context, prefix, $0) } }
        }
        guard let result = Self.withXML(expression, { xmlXPathEvalExpression($0, context) }) else { return [] }
        defer { xmlXPathFreeObject(result) }
        guard let nodes = result.pointee.nodesetval else { return [] }
        return (0..<Int(nodes.pointee.nodeNr)).compactMap { position in
            guard let node = nodes.pointee.nodeTab[position], let content = xmlNodeGetContent(node) else { return nil }
            defer { cbff_xml_free(content) }
            return String(cString: content)
        }
    }

    private final class Messages {
        var items: [String] = []
    }

    private static func withXML<T>(_ text: String, _ body: (UnsafePointer<xmlChar>) -> T) -> T {
        text.withCString { $0.withMemoryRebound(to: xmlChar.self, capacity: text.utf8.count + 1, body) }
    }

    private static func lastError() -> String {
        guard let error = xmlGetLastError(), let message = error.pointee.message else { return "unknown error" }
        return "line \(error.pointee.line): " + String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
