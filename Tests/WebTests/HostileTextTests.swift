import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Leads
import Testing
import TestSupport

@testable import Web

/// Text that slips past checks written over `Character`s (grapheme clusters): a quote or `<`
/// with a combining mark, CR LF, control characters – on every page that reflects it, in the
/// CSV export, the mail and at intake from every source.
@Suite("Hostile text: combining marks, CR LF and control characters")
struct HostileTextTests {
    /// A quote with a combining acute accent after it: one `Character`, two scalars.
    static let markedQuote = "x\"\u{301}/autofocus/onfocus=alert(1)//"
    static let ingestKey = "tg-secret-key-for-tests-1"

    /// Whether the answer's bytes hold an unescaped `"`, `<` or `>` that a combining mark follows.
    static func hasMarkedMarkup(_ bytes: some Sequence<UInt8>) -> Bool {
        let bytes = Array(bytes)
        let mark: [UInt8] = [0xCC, 0x81]
        return bytes.indices.dropLast(2).contains { index in
            [UInt8(ascii: "\""), UInt8(ascii: "<"), UInt8(ascii: ">")].contains(bytes[index]) && Array(bytes[(index + 1)...(index + 2)]) == mark
        }
    }

    static func jsonString(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed]), as: UTF8.self).dropFirst().dropLast()
            .description
    }

    @Test("a quote with a combining mark is escaped on the search page, in a re-rendered form, in the admin and in the lead's HTML mail")
    func markedQuotes() async throws {
        let mail = FileManager.default.temporaryDirectory.appendingPathComponent("mail-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: mail) }
        try await withApp(environment: ["MAIL_DIR": mail.path, "ORDER_RATE_LIMIT": "off"]) { client in
            let query = Self.markedQuote.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let search = try await client.execute(uri: "/catalog?q=" + query, method: .get)
            #expect(search.status == .ok)
            #expect(search.text.unicodeScalars.count > 0 && !Self.hasMarkedMarkup(search.body.readableBytesView))
            #expect(Array(search.body.readableBytesView).count > 0 && search.text.contains("x&quot;\u{301}/autofocus"))

            // The form comes back with the visitor's values (consent missing).
            let browser = Browser(client: client)
            var order = validOrder(csrf: try await browser.csrf())
            order = order.map { $0.0 == "name" ? ("name", Self.markedQuote) : $0.0 == "company" ? ("company", "<\u{301}b>ООО") : $0 }
            let refused = try await browser.post(order.filter { $0.0 != "consent" })
            #expect(refused.status == .unprocessableContent)
            #expect(!Self.hasMarkedMarkup(refused.body.readableBytesView))
            #expect(refused.text.contains("x&quot;\u{301}/autofocus"))

            // Accepted: the admin's list and the lead's page, and the HTML mail.
            #expect(try await browser.post(order).status == .seeOther)
            for page in ["/admin", "/admin/leads/1"] {
                let admin = try await client.execute(uri: page, method: .get, headers: operatorHeaders)
                #expect(admin.status == .ok)
                #expect(admin.text.contains("x&quot;\u{301}/autofocus"), "\(page)")
                #expect(!Self.hasMarkedMarkup(admin.body.readableBytesView), "\(page)")
            }
            #expect(try await eventually { (try? FileManager.default.contentsOfDirectory(atPath: mail.path))?.contains { $0.hasSuffix(".eml") } == true })
            let file = try #require(try FileManager.default.contentsOfDirectory(atPath: mail.path).first { $0.hasSuffix(".eml") })
            let message = try String(contentsOfFile: mail.path + "/" + file, encoding: .utf8)
            let html = try #require(bodyParts(message).first { $0.contains("<html") || $0.contains("<table") || $0.contains("<p") })
            #expect(html.contains("x&quot;\u{301}/autofocus"))
            #expect(!Self.hasMarkedMarkup(Array(html.utf8)))
        }
    }

    @Test("a comment with CR LF and a formula after it stays in its cell: every CSV row has every column, none starts a formula")
    func csvLineBreaks() async throws {
        #expect(LeadsCSV.cell("ok\r\n=2+5") == "\"ok\r\n=2+5\"")
        #expect(LeadsCSV.cell("=\u{301}1+1") == "'=\u{301}1+1")
        #expect(LeadsCSV.cell("\r\n=2+5") == "\"'\r\n=2+5\"")
        #expect(LeadsCSV.cell("a\"\u{301}b") == "\"a\"\"\u{301}b\"")
        try await withApp(environment: ["ORDER_RATE_LIMIT": "off"]) { client in
            let browser = Browser(client: client)
            let body = #"{"name":"Иван","phone":"+79001234567","consent":true,"comment":"ok\r\n=2+5\r\n@SUM(A1)"}"#
            #expect(try await browser.json("/api/leads", body).status == .accepted)
            let csv = try await client.execute(uri: "/admin/leads.csv", method: .get, headers: operatorHeaders)
            let rows = try await AdminWorkplaceTests.csvRows(Array(csv.body.readableBytesView))
            #expect(rows.count == 2)
            #expect(rows.allSatisfy { $0.count == LeadsCSV.header.count })
            #expect(rows.allSatisfy { row in !row.contains { $0.hasPrefix("=") || $0.hasPrefix("@") } })
            #expect(rows.last?[8] == "ok\r\n=2+5\r\n@SUM(A1)")
        }
    }

    @Test("control characters are refused with a Russian message from the form, the JSON API and ingest; a comment keeps its line breaks")
    func controlCharacters() async throws {
        try await withApp(environment: ["INGEST_KEYS": "telegram:" + Self.ingestKey, "ORDER_RATE_LIMIT": "off"]) { client in
            let browser = Browser(client: client)
            var order = validOrder(csrf: try await browser.csrf())
            order = order.map { $0.0 == "name" ? ("name", "Иван\u{1B}]0;pwned\u{07}") : $0 }
            let form = try await browser.post(order)
            #expect(form.status == .unprocessableContent)
            #expect(form.text.contains("Уберите служебные символы"))

            let sources: [(path: String, headers: HTTPFields)] = [
                ("/api/leads", [:]), ("/ingest/leads", [.authorization: "Bearer " + Self.ingestKey]),
            ]
            for source in sources {
                for (field, value) in [("name", "Иван\u{0085}Петров"), ("email", "p@x.ru\ncritical-2026 forged"), ("company", "ООО\r\nЗавод"), ("phone", "+7900\u{7F}1234567")] {
                    var object: [String: Any] = ["name": "Иван", "phone": "+79001234567", "consent": true]
                    object[field] = value
                    let body = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
                    let answer = try await browser.json(source.path, body, headers: source.headers)
                    #expect(answer.status == .unprocessableContent, "\(source.path) \(field)")
                    #expect(answer.headers[.contentType] == "application/problem+json")
                    let errors = try #require(try jsonObject(answer)["errors"] as? [String: String], "\(source.path) \(field)")
                    #expect(errors[field]?.hasPrefix("Уберите служебные символы") == true || errors[field]?.hasPrefix("Проверьте") == true, "\(field): \(errors)")
                }
                // A lone surrogate escaped in JSON is no crash: it reads as U+FFFD and is taken as text.
                let surrogate = try await browser.json(source.path, #"{"name":"Иван\ud800","phone":"+79001234567","consent":true}"#, headers: source.headers)
                #expect(surrogate.status == .accepted, "\(source.path)")
                // Line breaks and tabs belong in a comment.
                let comment = try await browser.json(
                    source.path, #"{"name":"Иван","phone":"+79001234567","consent":true,"comment":"строка 1\r\nстрока 2\tконец"}"#, headers: source.headers)
                #expect(comment.status == .accepted, "\(source.path)")
            }
            #expect(LeadValidator.validate(LeadInput(name: "Иван", email: "p@x.ru\r\ncritical", consent: true)).errors?["email"] != nil)
            #expect(!EmailAddress.isValid("p@x.ru\ncritical"))
            #expect(EmailAddress.isValid("p@x.ru"))
        }
    }

    @Test("UTM labels with control characters, from the form or the utm cookie, are dropped and the order is taken")
    func utmLabels() async throws {
        try await withApp(environment: ["ORDER_RATE_LIMIT": "off"]) { client in
            let browser = Browser(client: client)
            var order = validOrder(csrf: try await browser.csrf())
            order = order.map { $0.0 == "utm_source" ? ("utm_source", "") : $0 }
            let cookie = "utm=" + "utm_source=ya%1B%5B2J&utm_medium=cpc".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            #expect(try await browser.post(order, headers: [.cookie: cookie]).status == .seeOther)
            var labelled = validOrder(csrf: try await browser.csrf())
            labelled = labelled.map { $0.0 == "utm_source" ? ("utm_source", "ya\r\nforged") : $0 }
            #expect(try await browser.post(labelled).status == .seeOther)
            let first = try await client.execute(uri: "/admin/leads/1", method: .get, headers: operatorHeaders).text
            #expect(first.contains("cpc") && !first.contains("ya\u{1B}"))
            let second = try await client.execute(uri: "/admin/leads/2", method: .get, headers: operatorHeaders).text
            #expect(!second.contains("forged"))
        }
        let input = LeadInput(name: "Иван", phone: "+79001234567", consent: true, utm: UTM(source: "ya\u{1B}[2J", medium: "cpc"))
        #expect(LeadValidator.validate(input).valid?.utm == UTM(medium: "cpc"))
    }

    @Test("a masked e-mail in a log line shows a control character instead of breaking the line")
    func maskedEmail() {
        #expect(PersonalData.mask(email: "p@x.ru\ncritical") == "p***@x.ru\\u{A}critical")
        #expect(PersonalData.mask(email: "petrov@example.com") == "p***@example.com")
    }
}

extension Result where Success == ValidLead, Failure == LeadValidator.Failure {
    var errors: [String: String]? {
        guard case .failure(let failure) = self else { return nil }
        return failure.errors
    }

    var valid: ValidLead? { try? get() }
}
