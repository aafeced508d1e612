import Foundation
import Leads

/// The admin's filter of leads as it travels in a URL (`/admin?state=dead&from=2026-11-01&q=иван`),
/// read back with every value checked: a value that does not parse is dropped and named in
/// `problems`, never used.
struct AdminLeadQuery: Equatable {
    var state: OutboxState?
    var source: String?
    /// Days as typed (`2026-11-01`), both inclusive, in Moscow time.
    var from: String?
    var to: String?
    var text: String?
    /// nil when `page` is not a page number (the list answers 404, as every list does).
    var page: Int? = 1
    /// What could not be understood, in Russian, for the page.
    var problems: [String] = []

    static let maxText = 100

    init(state: OutboxState? = nil, source: String? = nil, from: String? = nil, to: String? = nil, text: String? = nil, page: Int = 1) {
        self.state = state
        self.source = source
        self.from = from
        self.to = to
        self.text = text
        self.page = page
    }

    init(_ fields: [String: String]) {
        func value(_ name: String) -> String? {
            fields[name].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        if let raw = value("state") {
            if let state = OutboxState(rawValue: raw) { self.state = state } else { problems.append("Неизвестное состояние «\(raw.prefix(40))».") }
        }
        source = value("source").map { String($0.prefix(Self.maxText)) }
        for (name, label) in [("from", "с"), ("to", "по")] {
            guard let raw = value(name) else { continue }
            if Self.day(raw) != nil {
                if name == "from" { from = raw } else { to = raw }
            } else {
                problems.append("Дата «\(label)» должна быть в виде ГГГГ-ММ-ДД, получено «\(raw.prefix(40))».")
            }
        }
        text = value("q").map { String($0.prefix(Self.maxText)) }
        page = RequestNumber.page(fields["page"])
    }

    /// Midnight in Moscow of `2026-11-01`; nil for anything else (years 2000–2100).
    static func day(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (2000...2100).contains(year), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let components = DateComponents(year: year, month: month, day: day)
        let calendar = MoscowTime.calendar
        // 2026-02-31 is no day: the calendar would roll it over.
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == day else { return nil }
        return date
    }

    var filter: LeadFilter {
        LeadFilter(
            state: state, source: source, from: from.flatMap(Self.day),
            until: to.flatMap(Self.day).flatMap { MoscowTime.calendar.date(byAdding: .day, value: 1, to: $0) }, text: text)
    }

    /// The query string of this filter (without the page unless asked), empty values left out.
    func queryString(page: Int? = nil) -> String {
        var items: [String] = []
        if let state { items.append("state=" + state.rawValue) }
        if let source { items.append("source=" + SiteURL.queryValue(source)) }
        if let from { items.append("from=" + SiteURL.queryValue(from)) }
        if let to { items.append("to=" + SiteURL.queryValue(to)) }
        if let text { items.append("q=" + SiteURL.queryValue(text)) }
        if let page, page > 1 { items.append("page=\(page)") }
        return items.joined(separator: "&")
    }

    func url(_ path: String, page: Int? = nil) -> String {
        let query = queryString(page: page)
        return query.isEmpty ? path : path + "?" + query
    }
}
