import Basics
import Foundation
import SQLKit
import Storage

/// What the admin narrows the list of leads to (each part optional).
public struct LeadFilter: Sendable, Equatable {
    /// Leads with a delivery in this state (`dead`: something for an admin to look at).
    public var state: OutboxState?
    public var source: String?
    /// Taken at or after this time.
    public var from: Date?
    /// Taken before this time.
    public var until: Date?
    /// Part of the name, phone (digits), e-mail, company or comment, or the lead's number.
    public var text: String?

    public init(state: OutboxState? = nil, source: String? = nil, from: Date? = nil, until: Date? = nil, text: String? = nil) {
        self.state = state
        self.source = source
        self.from = from
        self.until = until
        self.text = text
    }

    public var isEmpty: Bool { self == LeadFilter() }
}

/// Leads per day and delivery failures per day (the admin chart).
public struct DayActivity: Sendable, Equatable {
    /// Midnight, Moscow time, of the day.
    public var day: Date
    public var leads: Int
    /// Attempts that failed (the lead's fault or the service's), not counting later successes.
    public var failures: Int
}

extension LeadStore {
    /// The newest leads that match, with their deliveries: a page by `offset`, or (for a walk
    /// through all of them that leads arriving meanwhile cannot shift) the ones numbered below
    /// `before`.
    public func leads(
        matching filter: LeadFilter, limit: Int, offset: Int = 0, before: Int? = nil
    ) async throws -> [(lead: Lead, deliveries: [DeliveryStatus])] {
        try await database.read { db in
            var query: SQLQueryString = "SELECT * FROM leads WHERE " + Self.conditions(filter, dialect: db.dialect.name)
            if let before { query += " AND number < \(bind: before)" }
            query += " ORDER BY number DESC LIMIT \(bind: max(1, limit)) OFFSET \(bind: max(0, offset))"
            let leads = try await db.raw(query).all().map(LeadStore.decodeLead)
            guard !leads.isEmpty else { return [] }
            let numbers = leads.map(\.number)
            let statuses = try await db.select().column("*").from("outbox").where("lead_number", .in, numbers).orderBy("channel").all()
                .map(DeliveryStatus.init(row:))
            let grouped = Dictionary(grouping: statuses, by: \.leadNumber)
            return leads.map { ($0, grouped[$0.number] ?? []) }
        }
    }

    /// How many leads match (the admin's count, the export's size).
    public func count(matching filter: LeadFilter) async throws -> Int {
        try await database.read { db in
            let row = try await db.raw("SELECT COUNT(*) AS n FROM leads WHERE " + Self.conditions(filter, dialect: db.dialect.name)).first()
            return try row?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// The sources leads came from (`сайт`, `telegram`), for the filter.
    public func sources() async throws -> [String] {
        try await database.read { db in
            try await db.raw("SELECT DISTINCT source FROM leads ORDER BY source").all().map { try $0.decode(column: "source", as: String.self) }
        }
    }

    /// The `days` days up to and including the day of `now`, in Moscow time, oldest first.
    public func dailyActivity(days: Int, now: Date) async throws -> [DayActivity] {
        let days = max(1, min(days, 366))
        let today = MoscowTime.startOfDay(now)
        let first = MoscowTime.calendar.date(byAdding: .day, value: -(days - 1), to: today) ?? today
        let start = first.milliseconds
        // Moscow has been UTC+3 all year since 2014: a day is a fixed stretch of milliseconds.
        let dayLength: Int64 = 86_400_000
        return try await database.read { db in
            var leads = [Int64: Int]()
            for row in try await db.raw(
                """
                SELECT (created_at - \(bind: start)) / \(bind: dayLength) AS day, COUNT(*) AS n FROM leads
                WHERE created_at >= \(bind: start) GROUP BY 1
                """
            ).all() {
                leads[try row.decode(column: "day", as: Int64.self)] = try row.decode(column: "n", as: Int.self)
            }
            var failures = [Int64: Int]()
            for row in try await db.raw(
                """
                SELECT (at - \(bind: start)) / \(bind: dayLength) AS day, COUNT(*) AS n FROM delivery_attempts
                WHERE at >= \(bind: start) AND outcome IN ('failed', 'dead', 'rejected', 'unavailable')
                GROUP BY 1
                """
            ).all() {
                failures[try row.decode(column: "day", as: Int64.self)] = try row.decode(column: "n", as: Int.self)
            }
            return (0..<days).map { index in
                DayActivity(
                    day: Date(milliseconds: start + Int64(index) * dayLength), leads: leads[Int64(index)] ?? 0,
                    failures: failures[Int64(index)] ?? 0)
            }
        }
    }

    /// The WHERE clause of a filter; every value is a bound parameter.
    static func conditions(_ filter: LeadFilter, dialect: String) -> SQLQueryString {
        var parts: [SQLQueryString] = ["1 = 1"]
        if let state = filter.state {
            parts.append("number IN (SELECT lead_number FROM outbox WHERE state = \(bind: state.rawValue))")
        }
        if let source = filter.source { parts.append("source = \(bind: source)") }
        if let from = filter.from { parts.append("created_at >= \(bind: from.milliseconds)") }
        if let until = filter.until { parts.append("created_at < \(bind: until.milliseconds)") }
        if let text = filter.text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty {
            let term = String(text.prefix(100))
            var alternatives: [SQLQueryString] = []
            // PostgreSQL folds case with ILIKE; SQLite's LIKE folds ASCII only, so there the
            // usual spellings of a Cyrillic word are tried.
            let postgres = dialect == "postgresql"
            let variants = postgres ? [term] : Array(Set([term, term.lowercased(), term.capitalized, term.uppercased()]))
            for variant in variants {
                let pattern = "%" + Self.escapeLike(variant) + "%"
                for column in ["name", "email", "company", "comment"] {
                    alternatives.append(
                        postgres
                            ? "\(ident: column) ILIKE \(bind: pattern) ESCAPE '\\'" : "\(ident: column) LIKE \(bind: pattern) ESCAPE '\\'")
                }
            }
            let digits = term.filter(\.isASCII).filter(\.isNumber)
            if digits.count >= 3 { alternatives.append("phone LIKE \(bind: "%" + digits + "%")") }
            if let number = Int(term), number > 0 { alternatives.append("number = \(bind: number)") }
            parts.append("(" + alternatives.joined(separator: " OR ") + ")")
        }
        return parts.joined(separator: " AND ")
    }

    /// `%` and `_` in what the admin typed are literal.
    static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}
