import Basics
import Foundation
import Leads

/// Leads as a CSV file for Excel: UTF-8 with a byte order mark (without it Excel reads
/// Cyrillic as Windows-1251), semicolons (the list separator of Russian Excel), CRLF, and
/// RFC 4180 quoting.
enum LeadsCSV {
    static let header = [
        "№", "Дата (МСК)", "Источник", "Имя", "Телефон", "E-mail", "Компания", "Количество", "Комментарий", "Товар", "Артикул", "Цена",
        "Ссылка на товар", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "Почта", "amoCRM", "Сделка amoCRM",
    ]

    static let byteOrderMark = "\u{FEFF}"

    static func row(_ lead: Lead, _ deliveries: [DeliveryStatus]) -> [String] {
        func state(_ channel: DeliveryChannel) -> String {
            guard let status = deliveries.first(where: { $0.channel == channel }) else { return "" }
            return AdminController.stateText(status)
        }
        let amo = deliveries.first { $0.channel == .amocrm && $0.state == .delivered }?.externalID ?? ""
        let order = lead.order
        return [
            String(lead.number), MoscowTime.format(lead.createdAt), lead.source, order.name, order.phone ?? "", order.email ?? "",
            order.company ?? "", String(order.quantity), order.comment ?? "", lead.product?.name ?? Lead.generalRequest, lead.product?.sku ?? "",
            lead.product?.priceText ?? "", lead.product?.url ?? "", order.utm.source ?? "", order.utm.medium ?? "", order.utm.campaign ?? "",
            order.utm.term ?? "", order.utm.content ?? "", state(.email), state(.amocrm), amo,
        ]
    }

    static func line(_ cells: [String]) -> String {
        cells.map(cell).joined(separator: ";") + "\r\n"
    }

    /// One cell, quoted when it must be. A value a spreadsheet would take for a formula
    /// (`=`, `+`, `-`, `@`, a tab or a line break first: a phone `+7…` too) is prefixed with
    /// `'` so it stays text.
    ///
    /// Both checks read Unicode scalars: as `Character`s, CR LF is one character equal to
    /// neither CR nor LF, and `=` with a combining mark is not `=`, so a comment
    /// `"ok\r\n=2+5"` went out unquoted and started a row of its own with a live formula.
    static func cell(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, formulaStarts.contains(first) { text = "'" + text }
        guard text.unicodeScalars.contains(where: quoted.contains) else { return text }
        // Quotes doubled scalar by scalar too (Foundation's replacement compares clusters).
        var cell = String.UnicodeScalarView()
        cell.append("\"")
        for scalar in text.unicodeScalars {
            if scalar == "\"" { cell.append(scalar) }
            cell.append(scalar)
        }
        cell.append("\"")
        return String(cell)
    }

    private static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r", "\n"]
    private static let quoted: Set<Unicode.Scalar> = [";", "\"", "\n", "\r", ","]
}
