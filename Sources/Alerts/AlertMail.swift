import SafeText
import Basics
import Foundation
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
        let bodies = try templates.mailBodies(model, named: "alert")
        return MailMessage(
            from: from, to: to, subject: model.subject, text: bodies.text, html: bodies.html,
            messageID: "alert-\(incident.id)-\(cleared ? "cleared" : "opened")@\(from.domain)", date: now)
    }

    public func send(_ incident: Incident, now: Date) async throws {
        try await transport.send(try compose(incident, now: now))
    }
}
