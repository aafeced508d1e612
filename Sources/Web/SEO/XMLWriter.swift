import CLibXML2

/// Builds an XML document with libxml2's text writer: escaping, encoding declaration and
/// well-formedness are the library's job, not string concatenation's.
///
/// One writer makes one document on one thread; `finish()` hands back the bytes.
final class XMLWriter {
    struct Failure: Error, CustomStringConvertible {
        var operation: String
        var description: String { "libxml2 could not \(operation)" }
    }

    private let buffer: xmlBufferPtr
    private var writer: xmlTextWriterPtr?

    init(indent: Bool = true) throws {
        guard let buffer = xmlBufferCreate() else { throw Failure(operation: "allocate a buffer") }
        guard let writer = xmlNewTextWriterMemory(buffer, 0) else {
            xmlBufferFree(buffer)
            throw Failure(operation: "create a writer")
        }
        self.buffer = buffer
        self.writer = writer
        if indent {
            xmlTextWriterSetIndent(writer, 1)
            _ = Self.withXMLString("  ") { xmlTextWriterSetIndentString(writer, $0) }
        }
        try check(xmlTextWriterStartDocument(writer, "1.0", "UTF-8", nil), "start the document")
    }

    deinit {
        if let writer { xmlFreeTextWriter(writer) }
        xmlBufferFree(buffer)
    }

    /// `<name a="…">…</name>` around whatever `body` writes.
    func element(_ name: String, _ attributes: KeyValuePairs<String, String> = [:], _ body: () throws -> Void) throws {
        try start(name, attributes)
        try body()
        try check(xmlTextWriterEndElement(writer), "end <\(name)>")
    }

    /// `<name a="…">text</name>`, or `<name a="…"/>` without text.
    func element(_ name: String, _ attributes: KeyValuePairs<String, String> = [:], text: String?) throws {
        try start(name, attributes)
        if let text {
            try check(Self.withXMLString(Self.clean(text)) { xmlTextWriterWriteString(writer, $0) }, "write the text of <\(name)>")
        }
        try check(xmlTextWriterEndElement(writer), "end <\(name)>")
    }

    /// The finished document.
    func finish() throws -> [UInt8] {
        try check(xmlTextWriterEndDocument(writer), "end the document")
        xmlFreeTextWriter(writer)  // flushes into the buffer
        writer = nil
        guard let content = xmlBufferContent(buffer) else { return [] }
        return Array(UnsafeBufferPointer(start: content, count: Int(xmlBufferLength(buffer))))
    }

    private func start(_ name: String, _ attributes: KeyValuePairs<String, String>) throws {
        try check(Self.withXMLString(name) { xmlTextWriterStartElement(writer, $0) }, "start <\(name)>")
        for (key, value) in attributes {
            let result = Self.withXMLString(key) { key in
                Self.withXMLString(Self.clean(value)) { xmlTextWriterWriteAttribute(writer, key, $0) }
            }
            try check(result, "write \(key)= on <\(name)>")
        }
    }

    private func check(_ result: Int32, _ operation: @autoclosure () -> String) throws {
        if result < 0 { throw Failure(operation: operation()) }
    }

    private static func withXMLString<T>(_ text: String, _ body: (UnsafePointer<xmlChar>) -> T) -> T {
        text.withCString { pointer in
            pointer.withMemoryRebound(to: xmlChar.self, capacity: text.utf8.count + 1, body)
        }
    }

    /// XML 1.0 cannot carry most control characters, even escaped; editors paste them.
    static func clean(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { !isAllowed($0) }) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.filter(isAllowed)))
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }
}
