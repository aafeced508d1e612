import Basics
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
            if MoscowTime.day(iso: raw) != nil {
                if name == "from" { from = raw } else { to = raw }
            } else {
                problems.append("Дата «\(label)» должна быть в виде ГГГГ-ММ-ДД, получено «\(raw.prefix(40))».")
            }
        }
        text = value("q").map { String($0.prefix(Self.maxText)) }
        page = RequestNumber.page(fields["page"])
    }

    var filter: LeadFilter {
        LeadFilter(
            state: state, source: source, from: from.flatMap { MoscowTime.day(iso: $0) },
            until: to.flatMap { MoscowTime.day(iso: $0) }.flatMap { MoscowTime.calendar.date(byAdding: .day, value: 1, to: $0) }, text: text)
    }

    /// `path` with this filter's query (without the page unless asked), empty values left out.
    func url(_ path: String, page: Int? = nil) -> String {
        var items: [(name: String, value: String)] = []
        if let state { items.append(("state", state.rawValue)) }
        if let source { items.append(("source", source)) }
        if let from { items.append(("from", from)) }
        if let to { items.append(("to", to)) }
        if let text { items.append(("q", text)) }
        if let page, page > 1 { items.append(("page", String(page))) }
        return path + SiteURL.querySuffix(items)
    }
}
