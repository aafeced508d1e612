import Catalog
import Foundation
import Leads

/// Reading orders from a form body or a JSON body into `LeadInput`.
enum OrderInput {
    /// Whether a form or JSON value ticks the consent box: the form's `on`, or a
    /// client's `true`, `1`, `yes`. Decided here only, for validation and the re-rendered form.
    static func consentGiven(_ value: String?) -> Bool {
        ["on", "true", "1", "yes"].contains(value?.trimmingCharacters(in: .whitespaces).lowercased() ?? "")
    }

    static func lead(fromForm fields: [String: String], cookies utm: [String: String] = [:]) -> LeadInput {
        func utmValue(_ key: String) -> String? {
            let value = fields[key]?.trimmingCharacters(in: .whitespaces) ?? ""
            return value.isEmpty ? utm[key] : value
        }
        return LeadInput(
            productID: fields["product_id"], name: fields["name"], phone: fields["phone"], email: fields["email"],
            company: fields["company"], quantity: fields["quantity"], comment: fields["comment"],
            consent: consentGiven(fields["consent"]), utm: UTM(utmValue))
    }

    enum JSONProblem: Error {
        case malformed(String)
        case notAnObject
    }

    /// A JSON object with the order's keys (those of `LeadInput`); numbers and strings are both accepted.
    static func lead(fromJSON bytes: some Collection<UInt8>) throws(JSONProblem) -> LeadInput {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw .malformed(error.description)
        }
        guard case .object = json else { throw .notAnObject }
        func text(_ key: String) -> String? {
            switch json[key] {
            case .string(let value): value
            case .number(let value): "\(value)"
            default: nil
            }
        }
        let consent: Bool
        switch json["consent"] {
        case .bool(let value): consent = value
        case .string(let value): consent = consentGiven(value)
        case .number(let value): consent = value == 1
        default: consent = false
        }
        return LeadInput(
            productID: text("product_id"), name: text("name"), phone: text("phone"), email: text("email"),
            company: text("company"), quantity: text("quantity"), comment: text("comment"), consent: consent, utm: UTM(text))
    }

    /// UTM labels the site's script keeps in the `utm` cookie (`utm_source=…&utm_medium=…`).
    static func utmCookie(_ header: String?) -> [String: String] {
        guard let header else { return [:] }
        for cookie in header.split(separator: ";") {
            let parts = cookie.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0] == "utm" else { continue }
            let decoded = String(parts[1]).removingPercentEncoding ?? String(parts[1])
            return FormURLEncoded.decode(decoded).filter { UTM.keys.contains($0.key) && !$0.value.isEmpty }
        }
        return [:]
    }
}
