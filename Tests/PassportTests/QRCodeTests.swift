import Foundation
import Testing
import TestSupport

@testable import Passport

@Suite("QR codes")
struct QRCodeTests {
    @Test("the SVG decodes to the encoded address (rendered by rsvg-convert, read by zbarimg)")
    func decodes() async throws {
        let url = "https://stanki.example.ru/passport/0123456789abcdef01234567"
        let code = try #require(QRCode(url))
        let decoded = try await QRDecoder.decode(svg: code.svg(title: "QR"))
        #expect(decoded == url)
    }

    @Test("the quiet zone is 4 modules of white on every side, and the finder patterns sit in the corners")
    func layout() throws {
        let code = try #require(QRCode("https://example.ru/p/1"))
        #expect(code.width >= 21 && (code.width - 17) % 4 == 0)
        // A finder pattern: a dark 7×7 ring around a 3×3 dark core.
        for (x0, y0) in [(0, 0), (code.width - 7, 0), (0, code.width - 7)] {
            #expect((0..<7).allSatisfy { code.isDark(x: x0 + $0, y: y0) && code.isDark(x: x0, y: y0 + $0) })
            #expect(code.isDark(x: x0 + 3, y: y0 + 3) && !code.isDark(x: x0 + 1, y: y0 + 1))
        }
        let svg = code.svg(title: "QR")
        let side = code.width + 2 * QRCode.quietZone
        #expect(svg.contains(#"viewBox="0 0 \#(side) \#(side)""#))
        #expect(svg.contains("M4 4h7v1h-7z"))
    }

    @Test("the title is escaped")
    func escapedTitle() throws {
        let svg = try #require(QRCode("x")).svg(title: #"<a href="x">&"#)
        #expect(svg.contains("&lt;a href=&quot;x&quot;&gt;&amp;") && !svg.contains("<a href"))
    }
}
