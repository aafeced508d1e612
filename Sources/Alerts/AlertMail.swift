import Foundation
import Leads
import Mail
import Mustache

/// An incident mailed to the operators (`ALERT_TO`), from templates/mail/alert.*: once when it
/// opens, once when it clears – or once for both when the mail server was itself the trouble.
public struct AlertMail: Sendable {
    let transport: any MailTransport
    let from: MailAddress
    let to: [MailAddress]
    let templates: MustacheLibrary
    let adminURL: String

    public init(transport: any MailTransport, from: MailAddress, to: [MailAddress], templates: MustacheLibrary, adminURL: String) {
        self.transport = transport
        self.from = from
        self.to = to
        self.templates = templates
        self.adminURL = adminURL
    }

    struct MissingTemplate: Error, CustomStringConvertible {
        var description: String { "mail templates alert.txt / alert.html are missing" }
    }

    struct Model {
        var subject: String
        var title: String
        var detail: [String]
        var openedAt: String
        var closedAt: String?
        var adminURL: String
    }

    public func compose(_ incident: Incident, now: Date) throws -> MailMessage {
        let cleared = incident.closedAt != nil
        let model = Model(
            subject: "[catalog-bff] " + (cleared ? "Восстановлено: " : "Тревога: ") + incident.title,
            title: incident.title, detail: incident.detail.split(separator: "\n", omittingEmptySubsequences: false).map(String.init),
            openedAt: MoscowTime.format(incident.openedAt), closedAt: incident.closedAt.map(MoscowTime.format), adminURL: adminURL)
        guard let text = templates.render(model, withTemplate: "alert.txt"), let html = templates.render(model, withTemplate: "alert.html") else {
            throw MissingTemplate()
        }
        let domain = from.address.split(separator: "@").last.map(String.init) ?? "localhost"
        return MailMessage(
            from: from, to: to, subject: model.subject, text: text, html: html,
            messageID: "alert-\(incident.id)-\(cleared ? "cleared" : "opened")@\(domain)", date: now)
    }

    public func send(_ incident: Incident, now: Date) async throws {
        try await transport.send(try compose(incident, now: now))
    }
}
