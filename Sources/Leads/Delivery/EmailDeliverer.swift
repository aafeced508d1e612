import SafeText
import Basics
import Foundation
import Mail
import Mustache

/// The `email` channel: every lead, always, to `MAIL_TO`.
public struct EmailDeliverer: LeadDeliverer {
    public let channel = DeliveryChannel.email
    let transport: any MailTransport
    let from: MailAddress
    let to: [MailAddress]
    let templates: MustacheLibrary

    /// - Parameter templates: a library holding `lead.txt` and `lead.html` (templates/mail).
    public init(transport: any MailTransport, from: MailAddress, to: [MailAddress], templates: MustacheLibrary) {
        self.transport = transport
        self.from = from
        self.to = to
        self.templates = templates
    }

    public func unavailableReason() async -> String? { nil }

    public func deliver(_ lead: Lead) async -> DeliveryOutcome {
        do {
            let message = try compose(lead)
            try await transport.send(message)
            return .delivered(externalID: message.messageID)
        } catch MailError.unavailable(let reason) {
            return .unavailable("почта: \(reason)")
        } catch MailError.refused(let reason) {
            return .failed("письмо отклонено: \(reason)")
        } catch {
            return .failed("\(error)")
        }
    }

    public func compose(_ lead: Lead) throws -> MailMessage {
        let model = LeadMailModel(lead)
        let bodies = try templates.mailBodies(model, named: "lead")
        return MailMessage(
            from: from, to: to,
            replyTo: lead.order.email.map { MailAddress($0, name: lead.order.name) },
            subject: lead.title, text: bodies.text, html: bodies.html,
            messageID: "lead-\(lead.number)-\(lead.id)@\(from.domain)", date: lead.createdAt)
    }
}

/// Ready-to-print values for the lead e-mail templates.
struct LeadMailModel {
    var title: String
    var productName: String
    var sku: String?
    var quantity: Int
    var priceText: String?
    var productURL: String?
    var name: String
    var phone: String?
    var email: String?
    var company: String?
    var comment: String?
    var source: String
    var utm: String?
    var createdAt: String
    var consent: String

    init(_ lead: Lead) {
        title = lead.title
        productName = lead.product?.name ?? Lead.generalRequest
        sku = lead.product?.sku
        quantity = lead.order.quantity
        priceText = lead.product?.priceText
        productURL = lead.product?.url
        name = lead.order.name
        phone = lead.order.phone
        email = lead.order.email
        company = lead.order.company
        comment = lead.order.comment
        source = lead.source
        let utmText = lead.order.utm.byKey.compactMap { key, value in value.map { "\(key)=\($0)" } }.joined(separator: ", ")
        utm = utmText.isEmpty ? nil : utmText
        createdAt = MoscowTime.format(lead.createdAt)
        var consentText = "дано \(MoscowTime.format(lead.consent.at)), версия текста \(lead.consent.version)"
        if let ip = lead.consent.ip { consentText += ", IP \(ip)" }
        consent = consentText
    }
}
