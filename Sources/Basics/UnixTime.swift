import Foundation

// Times are stored as Unix milliseconds (`BIGINT`), identical on SQLite and PostgreSQL.
// These conversions are the one place that knows it.

extension Date {
    public init(milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    public var milliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
}

extension Duration {
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

extension Date {
    /// `date` moved on by `duration` (the outbox's and the alerts' retry times).
    public static func + (date: Date, duration: Duration) -> Date {
        date.addingTimeInterval(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}
