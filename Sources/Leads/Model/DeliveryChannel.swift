/// Where every lead goes: one outbox row per channel, committed with the lead.
public enum DeliveryChannel: String, Sendable, CaseIterable, Hashable, Comparable {
    case email
    case amocrm

    /// As the sales team names it on the admin page.
    public var displayName: String {
        switch self {
        case .email: "почта"
        case .amocrm: "amoCRM"
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
