import SafeText
import Basics
import Foundation
import Leads
import Mail
import Mustache

/// The sales mailbox's copy of a new passport (`MAIL_TO`), from templates/mail/passport.*.
public struct PassportMail: Sendable {
    let transport: any MailTransport
    let from: MailAddress
    let to: [MailAddress]
    let templates: MustacheLibrary
    let pageURL: @Sendable (String) -> String

    public init(
        transport: any MailTransport, from: MailAddress, to: [MailAddress], templates: MustacheLibrary, pageURL: @escaping @Sendable (String) -> String
    ) {
        self.transport = transport
        self.from = from
        self.to = to
        self.templates = templates
        self.pageURL = pageURL
    }

    public func compose(_ passport: Passport) throws -> MailMessage {
        let model = PassportText(passport, url: pageURL(passport.code))
        let bodies = try templates.mailBodies(model, named: "passport")
        return MailMessage(
            from: from, to: to, subject: model.subject, text: bodies.text, html: bodies.html,
            // Stable: a copy sent again after a crash is recognizably the same message.
            messageID: "passport-\(passport.code)@\(from.domain)", date: passport.issuedAt)
    }

    public func send(_ passport: Passport) async throws {
        try await transport.send(try compose(passport))
    }
}

/// A passport's fields as people read them: the mail, the note on the deal.
struct PassportText {
    var subject: String
    var url: String
    var dealID: Int
    var leadNumber: Int?
    var productName: String
    var sku: String?
    var serial: String?
    var buyer: String
    var soldAt: String
    var warranty: String
    var specs: [Passport.Spec]
    var hasSpecs: Bool

    init(_ passport: Passport, url: String) {
        subject = "Цифровой паспорт: \(passport.product.name)"
        self.url = url
        dealID = passport.amoLeadID
        leadNumber = passport.leadNumber
        productName = passport.product.name
        sku = passport.product.sku
        serial = passport.serial
        buyer = passport.buyer.isEmpty ? "не указан" : passport.buyer
        soldAt = MoscowTime.formatDate(passport.soldAt)
        warranty = passport.warrantyText
        specs = passport.specs
        hasSpecs = !passport.specs.isEmpty
    }

    /// The note added to the deal in amoCRM.
    var note: String {
        var lines = ["Цифровой паспорт изделия: \(url)", "Изделие: \(productName)"]
        if let serial { lines.append("Серийный номер: \(serial)") }
        lines.append("Гарантия: \(warranty)")
        return lines.joined(separator: "\n")
    }
}
