import Basics

/// What a digital passport promises.
public struct PassportSettings: Sendable, Equatable {
    /// The warranty a passport shows, in calendar months from the sale (`PASSPORT_WARRANTY_MONTHS`; 0: none).
    public var warrantyMonths = 12

    public init() {}

    public init(environment env: Environment) throws(ConfigurationError) {
        if let months = try env.number("PASSPORT_WARRANTY_MONTHS", in: 0...600, unit: "months") { warrantyMonths = months }
    }
}
