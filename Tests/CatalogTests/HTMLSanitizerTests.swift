import Testing

@testable import Catalog

@Suite("Description sanitizer (libxml2)")
struct HTMLSanitizerTests {
    func clean(_ html: String) -> String { HTMLSanitizer.sanitize(html).html }

    @Test("allowed markup passes unchanged")
    func allowed() {
        let html = "<h2>Станок</h2><p>Текст <strong>жирный</strong> и <em>курсив</em>.</p><ul><li>Один</li></ul>"
        #expect(clean(html) == html)
    }

    @Test("scripts and styles are removed with their content")
    func scripts() {
        #expect(clean("<p>a</p><script>alert('x')</script><style>p{}</style><p>b</p>") == "<p>a</p><p>b</p>")
        #expect(clean("<SCRIPT SRC=//evil.example/x.js></SCRIPT>ok") == "ok")
    }

    @Test("event handler and style attributes are removed")
    func handlers() {
        #expect(clean(#"<img src="/a.png" onerror="alert(1)" style="x">"#) == #"<img src="/a.png" loading="lazy">"#)
        #expect(clean(#"<p onclick="steal()" class="x" style="color:red">т</p>"#) == "<p>т</p>")
    }

    @Test("javascript:, data: and obfuscated schemes lose the link but keep the text", arguments: [
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
        "data:text/html,<script>x</script>", "vbscript:x", "&#106;avascript:alert(1)",
    ])
    func badLinks(href: String) {
        #expect(clean("<a href=\"\(href)\">ссылка</a>") == "ссылка")
    }

    @Test("http, https, mailto and relative links are kept")
    func goodLinks() {
        #expect(clean(#"<a href="https://example.ru/x">a</a>"#) == #"<a href="https://example.ru/x" rel="nofollow noopener">a</a>"#)
        #expect(clean(#"<a href="mailto:sales@example.ru">m</a>"#) == #"<a href="mailto:sales@example.ru">m</a>"#)
        #expect(clean(#"<a href="/catalog?a=1&b=2">k</a>"#) == #"<a href="/catalog?a=1&amp;b=2">k</a>"#)
        #expect(clean(#"<a href="docs/a:b">r</a>"#) == #"<a href="docs/a:b">r</a>"#)
    }

    @Test("iframes, objects and forms are dropped")
    func embeds() {
        #expect(clean(#"<iframe src="https://evil.example"></iframe><object data="x"></object><form><input name="a"></form><p>ok</p>"#) == "<p>ok</p>")
    }

    @Test("unknown tags are unwrapped and text is escaped")
    func unwrapAndEscape() {
        #expect(clean(#"<div><span class="a">1 &lt; 2 &amp; "3"</span></div>"#) == "1 &lt; 2 &amp; &quot;3&quot;")
        #expect(clean("<h1>Заголовок</h1>") == "<h2>Заголовок</h2>")
    }

    @Test("broken markup is repaired, not passed through")
    func broken() {
        let output = clean("<p>незакрытый <b>тег<p>второй <img src=x onerror=alert(1)//")
        #expect(!output.contains("onerror"))
        #expect(output.hasPrefix("<p>незакрытый <b>тег"))
    }

    @Test("empty input gives empty output; the text ends a sentence at each block, not inside inline tags")
    func text() {
        #expect(clean("") == "")
        #expect(clean("   ") == "")
        #expect(HTMLSanitizer.sanitize("<p>Один</p><p>два!</p>").text == "Один. два!")
        #expect(HTMLSanitizer.sanitize("<h3>Станок CK6150</h3><p>Для <b>серийного</b> производства</p>").text == "Станок CK6150. Для серийного производства.")
        #expect(HTMLSanitizer.sanitize("<ul><li>Fanuc</li><li>Направляющие:</li></ul>").text == "Fanuc. Направляющие:")
    }
}
