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
        #expect(
            clean(#"<img src="/assets/3f2a9c1e-0b7d-4c1a-9e8f-2d6b5a4c3e21" onerror="alert(1)" style="x">"#)
                == #"<img src="/assets/3f2a9c1e-0b7d-4c1a-9e8f-2d6b5a4c3e21?preset=full" loading="lazy">"#)
        #expect(clean(#"<p onclick="steal()" class="x" style="color:red">т</p>"#) == "<p>т</p>")
    }

    @Test("javascript:, data: and obfuscated schemes lose the link but keep the text", arguments: [
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
        "data:text/html,<script>x</script>", "vbscript:x", "&#106;avascript:alert(1)",
    ])
    func badLinks(href: String) {
        #expect(clean("<a href=\"\(href)\">ссылка</a>") == "ссылка")
    }

    @Test("http, https, mailto, tel and site links are kept")
    func goodLinks() {
        #expect(clean(#"<a href="https://example.ru/x">a</a>"#) == #"<a href="https://example.ru/x" rel="nofollow noopener">a</a>"#)
        #expect(clean(#"<a href="mailto:sales@example.ru">m</a>"#) == #"<a href="mailto:sales@example.ru">m</a>"#)
        #expect(clean(#"<a href="tel:+78001234567">t</a>"#) == #"<a href="tel:+78001234567">t</a>"#)
        #expect(clean(#"<a href="/catalog?a=1&b=2">k</a>"#) == #"<a href="/catalog?a=1&amp;b=2">k</a>"#)
        #expect(clean(##"<a href="#specs">s</a>"##) == ##"<a href="#specs">s</a>"##)
        // Another site, even without the slashes, is marked as such.
        #expect(clean(#"<a href="https:evil.example/x">e</a>"#) == #"<a href="https:evil.example/x" rel="nofollow noopener">e</a>"#)
    }

    @Test("relative, protocol-relative and other-scheme links lose the link but keep the text", arguments: [
        "docs/a:b", "x", "../admin", "//evil.example/x", "/\\evil.example/x", "ftp://example.ru/f", "sms:+7900", "#",
        // A mark that joins the second slash into one grapheme cluster (browsers drop it from a host).
        "//\u{FE0F}evil.example/x", "//\u{34F}evil.example/x", "/\\\u{FE0F}evil.example/x",
    ])
    func otherLinks(href: String) {
        #expect(clean("<a href=\"\(href)\">ссылка</a>") == "ссылка")
    }

    @Test("images: only catalog files, through the image proxy; Directus asset URLs are rewritten")
    func images() {
        let links = AssetLinks(directusURL: "https://cms.example.ru/")
        func clean(_ html: String) -> String { HTMLSanitizer.sanitize(html, assets: links).html }
        let id = "3f2a9c1e-0b7d-4c1a-9e8f-2d6b5a4c3e21"
        let proxied = #"<img src="/assets/\#(id)?preset=full" alt="Станок" loading="lazy">"#
        #expect(clean(#"<img src="https://cms.example.ru/assets/\#(id)?width=800" alt="Станок">"#) == proxied)
        #expect(clean(#"<img src="HTTP://CMS.example.ru/assets/\#(id)/lathe.jpg" alt="Станок">"#) == proxied)
        #expect(clean(#"<img src="//cms.example.ru/assets/\#(id)" alt="Станок">"#) == proxied)
        #expect(clean(#"<img src="/assets/\#(id)?preset=thumb&key=x" alt="Станок">"#) == proxied)
        // Anything else would make every visitor's browser (or an admin's) request it.
        for src in [
            "x", "/admin?page=9223372036854775807", "/product/x", "https://evil.example/assets/\(id)",
            "https://cms.example.ru.evil.example/assets/\(id)", "https://cms.example.ru/assets/../admin", "/assets/a%2F..%2Fb",
            "data:image/svg+xml,<svg/>", "javascript:alert(1)",
        ] {
            #expect(clean("<p>т<img src=\"\(src)\" alt=\"a\"></p>") == "<p>т</p>", "\(src)")
        }
        // Without Directus (the demo catalog) only the proxy's own paths are images.
        #expect(HTMLSanitizer.sanitize(#"<img src="https://cms.example.ru/assets/\#(id)">"#).html == "")
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
