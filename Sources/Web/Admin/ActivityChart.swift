import Basics
import SafeText
import Catalog
import Foundation
import Leads

/// Leads per day (bars) and delivery failures per day (a line) as an inline SVG, drawn on the
/// server: no script, readable on a phone (it scales to the width), with a text summary for
/// screen readers.
enum ActivityChart {
    static let width = 600.0
    static let height = 170.0
    static let top = 16.0
    static let bottom = 24.0
    static let left = 28.0

    static func svg(_ days: [DayActivity]) -> String {
        guard !days.isEmpty else { return "" }
        let peak = max(1, days.map { max($0.leads, $0.failures) }.max() ?? 1)
        // A round top for the scale: 1, 2, 5, 10, 20, 50…
        let scale = niceCeiling(peak)
        let plotHeight = height - top - bottom
        let step = (width - left) / Double(days.count)
        func y(_ value: Int) -> Double { top + plotHeight * (1 - Double(value) / Double(scale)) }
        func number(_ value: Double) -> String { String(format: "%.1f", value) }

        let totalLeads = days.reduce(0) { $0 + $1.leads }
        let totalFailures = days.reduce(0) { $0 + $1.failures }
        let summary =
            "Заявки по дням за \(days.count) дн.: всего \(totalLeads), больше всего за день \(days.map(\.leads).max() ?? 0); "
            + "неудачных попыток доставки: \(totalFailures)."
        var parts: [String] = []
        parts.append(
            #"<svg class="activity-chart" viewBox="0 0 \#(Int(width)) \#(Int(height))" role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">"#)
        parts.append(#"<title id="chart-title">\#(HTMLEscaping.escape(summary))</title>"#)
        // Scale lines at 0, half and the top.
        for value in Set([0, scale / 2, scale]).sorted() {
            parts.append(
                #"<line x1="\#(number(left))" x2="\#(number(width))" y1="\#(number(y(value)))" y2="\#(number(y(value)))" class="grid"/>"#)
            parts.append(#"<text x="\#(number(left - 4))" y="\#(number(y(value) + 4))" class="axis" text-anchor="end">\#(value)</text>"#)
        }
        for (index, day) in days.enumerated() {
            let x = left + Double(index) * step
            let barHeight = plotHeight * Double(day.leads) / Double(scale)
            let label = "\(MoscowTime.formatDate(day.day)): заявок \(day.leads), неудачных попыток \(day.failures)"
            parts.append(
                #"<rect x="\#(number(x + step * 0.15))" y="\#(number(top + plotHeight - barHeight))" width="\#(number(step * 0.7))" height="\#(number(barHeight))" class="bar"><title>\#(HTMLEscaping.escape(label))</title></rect>"#)
            // A date under every seventh day, counted back from today.
            if (days.count - 1 - index) % 7 == 0 {
                let date = MoscowTime.formatDate(day.day).prefix(5)
                // The last label ends at the right edge instead of running over it.
                let last = index == days.count - 1
                parts.append(
                    #"<text x="\#(number(last ? width : x + step / 2))" y="\#(number(height - 6))" class="axis" text-anchor="\#(last ? "end" : "middle")">\#(date)</text>"#)
            }
        }
        let points = days.enumerated().map { index, day in
            "\(number(left + (Double(index) + 0.5) * step)),\(number(y(day.failures)))"
        }
        parts.append(#"<polyline points="\#(points.joined(separator: " "))" class="failures"/>"#)
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    static func niceCeiling(_ value: Int) -> Int {
        var magnitude = 1
        while magnitude * 10 <= value { magnitude *= 10 }
        for factor in [1, 2, 5, 10] where factor * magnitude >= value { return factor * magnitude }
        return 10 * magnitude
    }
}
