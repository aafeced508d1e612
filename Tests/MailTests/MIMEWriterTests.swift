import Foundation
import Mail
import Testing
import TestSupport

@Suite("MIME messages")
struct MIMEWriterTests {
    let message = MailMessage(
        from: MailAddress("orders@example.ru", name: "Сайт"), to: [MailAddress("sales@example.ru")],
        replyTo: MailAddress("ivan@example.ru", name: "Иван \"Бригадир\" Петров"),
        subject: "Заявка №125: Токарный станок с ЧПУ CK6150 — очень длинное название, которое не влезает в одну строку",
        text: "Текст", html: "<p>HTML</p>", messageID: "lead-125-abc@example.ru", date: Date(timeIntervalSince1970: 1_764_000_000))

    @Test("headers are RFC 2047 encoded and folded under 78 characters; lines end in CRLF")
    func headers() {
        let raw = String(decoding: MIMEWriter.render(message), as: UTF8.self)
        for line in raw.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 78, "\(line)")
            #expect(!line.contains("\n"))
        }
        #expect(decodeHeader(header("Subject", in: raw) ?? "") == message.subject)
        #expect(raw.contains("Date: Mon, 24 Nov 2025 16:00:00 +0000\r\n"))
        #expect(raw.contains("MIME-Version: 1.0\r\n"))
    }

    @Test("a customer's internationalized address: the domain in its xn-- form, a non-ASCII mailbox left out of Reply-To")
    func internationalAddresses() {
        func render(replyTo address: String) -> String {
            var international = message
            international.replyTo = MailAddress(address, name: "Иван")
            return String(decoding: MIMEWriter.render(international), as: UTF8.self)
        }
        func headerBlock(_ raw: String) -> String { raw.components(separatedBy: "\r\n\r\n").first ?? raw }
        let domain = render(replyTo: "ivan@пример.рф")
        #expect(domain.contains("<ivan@xn--e1afmkfd.xn--p1ai>"))
        let mailbox = render(replyTo: "иван@пример.рф")
        #expect(header("Reply-To", in: mailbox) == nil)
        for raw in [domain, mailbox] {
            #expect(headerBlock(raw).unicodeScalars.allSatisfy { $0.isASCII }, "headers are 7-bit")
        }
        #expect(MailAddress("sales@münchen.de").asciiAddress == "sales@xn--mnchen-3ya.de")
        #expect(MailAddress("a@bücher.example").asciiAddress == "a@xn--bcher-kva.example")
        #expect(MailAddress("orders@example.ru").asciiAddress == "orders@example.ru")
    }

    @Test("ASCII subjects stay readable; header injection is impossible")
    func plain() {
        #expect(MIMEWriter.encodedWords("Order 5") == "Order 5")
        let injected = MIMEWriter.encodedWords("Hi\r\nBcc: victim@example.com")
        #expect(!injected.contains("\r\nBcc"))
    }
}
