import Basics
import Mail

/// Who is told of incidents, and after how long.
public struct AlertSettings: Sendable {
    /// `ALERT_TO`; nil: the sales mailbox (`MAIL_TO`).
    public var to: [MailAddress]?
    /// How long a failing channel or Directus is tolerated before it is an incident (`ALERT_AFTER`).
    public var after: Duration = .seconds(600)

    public init() {}

    public init(environment env: Environment) throws(ConfigurationError) {
        if let raw = env["ALERT_TO"] { to = try MailSettings.addresses(raw, variable: "ALERT_TO") }
        if let after = try env.duration("ALERT_AFTER", in: 0...86_400) { self.after = after }
    }
}
