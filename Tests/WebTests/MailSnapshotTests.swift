import Foundation
import Mail
import Mustache
import SafeText
import SnapshotTesting
import Testing

@testable import Alerts
@testable import Leads
@testable import Passport

/// Every mail template against a reference file under `__Snapshots__`, as the sales team and
/// the operators read them: the lead (from a product page, and a general request), the
/// passport's mailbox copy, an alert opened and cleared – each as its text and its HTML part.
/// `RECORD_SNAPSHOTS=1 make test` rewrites the references.
@Suite("Mail snapshots")
struct MailSnapshotTests {
    static let sent = Date(timeIntervalSince1970: 1_796_000_000)  // 30.11.2026 03:53 МСК
    static let from = MailAddress("orders@stanki.example.ru", name: "Станки")
    static let to = [MailAddress("sales@stanki.example.ru")]

    func expectSnapshot(_ message: MailMessage, named name: String, line: UInt = #line) {
        let record: SnapshotTestingConfiguration.Record = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" ? .all : .missing
        withSnapshotTesting(record: record) {
            let text = "Subject: \(message.subject)\n\n" + message.text
            assertSnapshot(of: text, as: .mailPart("txt"), named: name, testName: "mail", line: line)
            assertSnapshot(of: message.html, as: .mailPart("html"), named: name, testName: "mail", line: line)
        }
    }

    static func templates() throws -> MustacheLibrary { try MustacheLibrary(safeHTMLDirectory: "templates/mail") }

    static func lead(number: Int, product: ProductSnapshot?, comment: String?) -> Lead {
        Lead(
            id: "0123456789abcdef0123456789abcdef", number: number, source: LeadSource.site.name,
            order: ValidLead(
                productID: product?.id, name: "Иван Петров", phone: "+79001234567", email: "ivan@zavod.example.ru", company: "ООО «Завод»",
                quantity: 2, comment: comment, utm: UTM(source: "yandex", medium: "cpc", campaign: "stanki")),
            product: product, consent: ConsentRecord(at: sent, ip: "203.0.113.7", userAgent: "Mozilla/5.0", version: "2026-01"), createdAt: sent)
    }

    @Test("the lead mail: an order from a product page, and a general request")
    func leadMail() throws {
        let mail = EmailDeliverer(transport: FileMailTransport(directory: "/nonexistent"), from: Self.from, to: Self.to, templates: try Self.templates())
        let product = ProductSnapshot(
            id: 1, name: "Токарный станок с ЧПУ CK6150", sku: "CK6150-1000", url: "https://stanki.example.ru/product/tokarnyj-stanok-chpu-ck6150",
            priceText: "1 250 000 ₽", amount: "1250000.00")
        expectSnapshot(try mail.compose(Self.lead(number: 42, product: product, comment: "Доставка в Тулу.\nНужен монтаж.")), named: "lead")
        expectSnapshot(try mail.compose(Self.lead(number: 43, product: nil, comment: nil)), named: "lead-general-request")
    }

    @Test("the passport's copy for the sales mailbox")
    func passportMail() throws {
        let mail = PassportMail(
            transport: FileMailTransport(directory: "/nonexistent"), from: Self.from, to: Self.to, templates: try Self.templates(),
            pageURL: { "https://stanki.example.ru/passport/" + $0 })
        let passport = Passport(
            code: "K7PQ-2M9X-TR4D", amoLeadID: 30_000_001, leadNumber: 42,
            product: .init(id: 1, name: "Токарный станок с ЧПУ CK6150", sku: "CK6150-1000", url: "https://stanki.example.ru/product/tokarnyj-stanok-chpu-ck6150"),
            specs: [.init(name: "Диаметр обработки над станиной", value: "500 мм"), .init(name: "Система ЧПУ", value: "Fanuc 0i-TF")],
            buyer: "ООО «Завод»", serial: "SN-2026-0042", soldAt: Self.sent, warrantyMonths: 18,
            warrantyUntil: Passport.warrantyEnd(soldAt: Self.sent, months: 18), issuedAt: Self.sent)
        expectSnapshot(try mail.compose(passport), named: "passport")
    }

    @Test("an operator alert: when it opens, and when it clears")
    func alertMail() throws {
        let mail = AlertMail(
            transport: FileMailTransport(directory: "/nonexistent"), from: Self.from, to: Self.to, templates: try Self.templates(),
            adminURL: "https://stanki.example.ru/admin")
        var incident = Incident(
            id: 7, key: "channel.email", title: "Почта (SMTP) не работает",
            detail: "mail service unavailable: connection refused.\nЗаявки сохраняются, попытки не тратятся; всё уйдёт в течение секунд после восстановления.",
            openedAt: Self.sent)
        expectSnapshot(try mail.compose(incident, now: Self.sent), named: "alert-opened")
        incident.closedAt = Self.sent.addingTimeInterval(1_800)
        expectSnapshot(try mail.compose(incident, now: Self.sent.addingTimeInterval(1_800)), named: "alert-cleared")
    }
}

extension Snapshotting where Value == String, Format == String {
    /// A mail part, compared line by line, kept with its own extension.
    static func mailPart(_ pathExtension: String) -> Snapshotting {
        var snapshotting = Snapshotting(pathExtension: pathExtension, diffing: .lines)
        snapshotting.pathExtension = pathExtension
        return snapshotting
    }
}
