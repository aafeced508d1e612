import Basics
import Foundation

/// Where mail goes: an SMTP server, or `.eml` files in a folder; who sends it and who gets it.
public struct MailSettings: Sendable {
    /// nil: SMTP is off and mail is written as files to `directory`.
    public var smtp: SMTPMailTransport.Configuration?
    public var from = MailAddress("orders@localhost")
    public var to = [MailAddress("orders@localhost")]
    /// `MAIL_DIR`: the file transport's folder.
    public var directory = "var/mail"

    public init() {}

    /// `dataDirectory` (`DATA_DIR`) holds the mail folder unless `MAIL_DIR` says otherwise.
    public init(environment env: Environment, dataDirectory: String) throws(ConfigurationError) {
        directory = env["MAIL_DIR"] ?? dataDirectory + "/mail"
        let user = env["SMTP_USER"]
        guard let host = env["SMTP_HOST"] else {
            from = MailAddress(env["MAIL_FROM"] ?? "orders@localhost")
            to = try Self.addresses(env["MAIL_TO"] ?? "orders@localhost", variable: "MAIL_TO")
            return
        }
        var security = SMTPMailTransport.Security.ssl
        if let raw = env["SMTP_SECURITY"] {
            guard let parsed = SMTPMailTransport.Security(rawValue: raw.lowercased()) else {
                throw ConfigurationError(variable: "SMTP_SECURITY", reason: "must be ssl, starttls or none, got '\(raw)'")
            }
            security = parsed
        }
        var port: Int?
        if let raw = env["SMTP_PORT"] {
            guard let number = Int(raw), (1...65_535).contains(number) else {
                throw ConfigurationError(variable: "SMTP_PORT", reason: "must be a port number, got '\(raw)'")
            }
            port = number
        }
        if let caFile = env["SMTP_CA_FILE"], !FileManager.default.isReadableFile(atPath: caFile) {
            throw ConfigurationError(variable: "SMTP_CA_FILE", reason: "cannot read \(caFile)")
        }
        smtp = SMTPMailTransport.Configuration(
            host: host, port: port, security: security, user: user, password: env["SMTP_PASSWORD"], caFile: env["SMTP_CA_FILE"])
        guard let sender = env["MAIL_FROM"] ?? user else {
            throw ConfigurationError(variable: "MAIL_FROM", reason: "is required with SMTP_HOST (or set SMTP_USER)")
        }
        guard Self.isMailbox(sender) else {
            throw ConfigurationError(variable: "MAIL_FROM", reason: "'\(sender)' is not an e-mail address")
        }
        from = MailAddress(sender)
        guard let recipients = env["MAIL_TO"] else {
            throw ConfigurationError(variable: "MAIL_TO", reason: "is required with SMTP_HOST: where orders are sent")
        }
        to = try Self.addresses(recipients, variable: "MAIL_TO")
    }

    /// `name@domain`, judged on scalars; unlike visitors' addresses, a dotless domain
    /// (`orders@localhost`) is fine.
    public static func isMailbox(_ text: String) -> Bool {
        let parts = text.unicodeScalars.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && !text.unicodeScalars.contains(where: {
                $0.properties.isWhitespace || $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || "<>,;\"".unicodeScalars.contains($0)
            })
    }

    /// Comma-separated addresses (`MAIL_TO`, `ALERT_TO`).
    public static func addresses(_ raw: String, variable: String) throws(ConfigurationError) -> [MailAddress] {
        let list = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !list.isEmpty else { throw ConfigurationError(variable: variable, reason: "needs at least one address") }
        for address in list where !Self.isMailbox(address) {
            throw ConfigurationError(variable: variable, reason: "'\(address)' is not an e-mail address")
        }
        return list.map { MailAddress($0) }
    }
}
