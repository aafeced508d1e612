import Basics

/// How leads are delivered and kept.
public struct LeadSettings: Sendable, Equatable {
    /// Delivery attempts per lead and channel before a row is dead (`OUTBOX_MAX_ATTEMPTS`).
    public var maxAttempts = 10
    /// How long a worker owns a claimed row; after it the row is claimed again, which is how
    /// deliveries interrupted by a crash resume (`OUTBOX_LEASE_SECONDS`).
    public var lease: Duration = .seconds(120)
    /// Erase customers' personal data from leads delivered longer ago (`LEAD_RETENTION_DAYS`);
    /// nil: keep it.
    public var retentionDays: Int?

    public init() {}

    public init(environment env: Environment) throws(ConfigurationError) {
        if let raw = env["OUTBOX_MAX_ATTEMPTS"] {
            guard let number = Int(raw), (1...100).contains(number) else {
                throw ConfigurationError(variable: "OUTBOX_MAX_ATTEMPTS", reason: "must be a number from 1 to 100, got '\(raw)'")
            }
            maxAttempts = number
        }
        if let raw = env["OUTBOX_LEASE_SECONDS"] {
            guard let number = Int(raw), (1...86_400).contains(number) else {
                throw ConfigurationError(variable: "OUTBOX_LEASE_SECONDS", reason: "must be a number of seconds from 1, got '\(raw)'")
            }
            lease = .seconds(number)
        }
        retentionDays = try env.number("LEAD_RETENTION_DAYS", in: 1...3_650, unit: "days")
    }
}
