import Foundation

/// Times as the sales team reads them: Moscow time.
public enum MoscowTime {
    public static let timeZone = TimeZone(identifier: "Europe/Moscow") ?? TimeZone(secondsFromGMT: 3 * 3600)!

    public static var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    /// Midnight in Moscow of the day `date` falls on.
    public static func startOfDay(_ date: Date) -> Date { calendar.startOfDay(for: date) }

    /// `25.11.2026 16:45 МСК`
    public static func format(_ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(two(parts.day)).\(two(parts.month)).\(parts.year ?? 0) \(two(parts.hour)):\(two(parts.minute)) МСК"
    }

    /// `2026-11-25`, the day `date` falls on in Moscow.
    public static func isoDate(_ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// Midnight in Moscow of `2026-11-01`; nil for anything else (years 2000–2100).
    public static func day(iso text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (2000...2100).contains(year), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let calendar = calendar
        // 2026-02-31 is no day: the calendar would roll it over.
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day)), calendar.component(.day, from: date) == day
        else { return nil }
        return date
    }

    /// `25.11.2026`
    public static func formatDate(_ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%02d.%02d.%04d", parts.day ?? 0, parts.month ?? 0, parts.year ?? 0)
    }
}
