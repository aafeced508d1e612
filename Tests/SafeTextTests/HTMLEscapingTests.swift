import Foundation
import Mustache
import SafeText
import Testing

@Suite("Escaping and control characters on Unicode scalars")
struct HTMLEscapingTests {
    /// A quote with a combining acute accent: one `Character`, two scalars.
    static let quoteWithMark = "x\"\u{301}/autofocus/onfocus=alert(1)//"

    @Test("a quote, < or & followed by a combining mark is escaped all the same")
    func combiningMarks() {
        #expect(HTMLEscaping.escape(Self.quoteWithMark) == "x&quot;\u{301}/autofocus/onfocus=alert(1)//")
        #expect(HTMLEscaping.escape("<\u{301}script>") == "&lt;\u{301}script&gt;")
        #expect(HTMLEscaping.escape("a&\u{20DD}b'\u{0300}") == "a&amp;\u{20DD}b&#39;\u{0300}")
        // A prepended mark (U+0600) makes one cluster with the quote after it, too.
        #expect(HTMLEscaping.escape("\u{600}\"") == "\u{600}&quot;")
    }

    @Test("text without anything to escape comes back unchanged, Cyrillic included")
    func plainText() {
        #expect(HTMLEscaping.escape("Токарный станок 16К20") == "Токарный станок 16К20")
        #expect(HTMLEscaping.escape("") == "")
    }

    @Test("templates loaded with the safe loader escape on scalars, in partials too")
    func templates() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("safe-text-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("partials"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try #"<input value="{{query}}">{{> partials/field}}"#.write(
            to: directory.appendingPathComponent("page.mustache"), atomically: true, encoding: .utf8)
        try #"<p title="{{query}}"></p>"#.write(to: directory.appendingPathComponent("partials/field.mustache"), atomically: true, encoding: .utf8)
        try "{{% CONTENT_TYPE: TEXT}}{{query}}".write(to: directory.appendingPathComponent("mail.txt.mustache"), atomically: true, encoding: .utf8)
        let library = try MustacheLibrary(safeHTMLDirectory: directory.path)
        let page = try #require(library.render(["query": Self.quoteWithMark], withTemplate: "page"))
        #expect(page == #"<input value="x&quot;"# + "\u{301}" + #"/autofocus/onfocus=alert(1)//"><p title="x&quot;"# + "\u{301}" + #"/autofocus/onfocus=alert(1)//"></p>"#)
        #expect(!page.unicodeScalars.split(separator: "\"").contains { $0.first == "\u{301}" })
        // A plain-text template keeps its own content type: nothing escaped, and no blank
        // line where the pragmas were.
        #expect(library.render(["query": "a < b"], withTemplate: "mail.txt") == "a < b")
        try "{{% CONTENT_TYPE: TEXT}}\n{{query}}\n".write(
            to: directory.appendingPathComponent("mail2.txt.mustache"), atomically: true, encoding: .utf8)
        #expect(try MustacheLibrary(safeHTMLDirectory: directory.path).render(["query": "Заявка"], withTemplate: "mail2.txt") == "Заявка\n")
    }

    @Test("control characters are found inside clusters: CR LF, C1 and DEL")
    func controlCharacters() {
        #expect(ControlCharacters.contains(in: "ok\r\n=2+5"))
        #expect(!ControlCharacters.contains(in: "ok\r\nдальше", beyond: .multiline))
        #expect(ControlCharacters.contains(in: "p@x.ru\ncritical"))
        #expect(ControlCharacters.contains(in: "name\u{1B}]0;title\u{07}"))
        #expect(ControlCharacters.contains(in: "name\u{9B}31m", beyond: .multiline))
        #expect(ControlCharacters.contains(in: "a\u{7F}", beyond: .multiline))
        #expect(!ControlCharacters.contains(in: "Иван Петров, ООО «Станки»"))
        // Invisible reordering: a right-to-left override turns "+7 900 123-45-67" around on screen.
        #expect(ControlCharacters.contains(in: "+7 900\u{202E}76-54-321", beyond: .multiline))
        #expect(ControlCharacters.contains(in: "Иван\u{2066}x\u{2069}", beyond: .multiline))
        #expect(ControlCharacters.contains(in: "строка\u{2028}вторая"))
        #expect(!ControlCharacters.contains(in: "строка\u{2028}вторая", beyond: .multiline))
    }

    @Test("text for a terminal shows control characters instead of sending them")
    func terminal() {
        #expect(PrintableText.escape("Иван\u{1B}]0;pwned\u{07}") == "Иван\\u{1B}]0;pwned\\u{7}")
        #expect(PrintableText.escape("a\r\nb") == "a\\u{D}\\u{A}b")
        #expect(PrintableText.escape("обычный текст") == "обычный текст")
        #expect(PrintableText.escape("a\u{202E}b") == "a\\u{202E}b")
    }
}
