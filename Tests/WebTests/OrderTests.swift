import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// Form bodies and the page's token, as a browser would send them.
struct Browser {
    let client: any TestClientProtocol
    static let origin = "http://127.0.0.1:8080"

    func csrf(from path: String = "/product/tokarnyj-stanok-chpu-ck6150") async throws -> String {
        let html = try await client.execute(uri: path, method: .get).text
        let marker = #"name="csrf" value=""#
        let start = try #require(html.range(of: marker)).upperBound
        return String(html[start...].prefix { $0 != "\"" })
    }

    static func form(_ fields: [(String, String)]) -> ByteBuffer {
        let allowed = CharacterSet.alphanumerics
        let body = fields.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $1)" }.joined(separator: "&")
        return ByteBuffer(string: body)
    }

    func post(_ fields: [(String, String)], origin: String? = Browser.origin, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let origin { headers[.origin] = origin }
        for field in extra { headers[field.name] = field.value }
        return try await client.execute(uri: "/order", method: .post, headers: headers, body: Self.form(fields))
    }

    func json(_ path: String, _ body: String, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        for field in extra { headers[field.name] = field.value }
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
    }
}

func validOrder(csrf: String, product: String = "1") -> [(String, String)] {
    [("product_id", product), ("name", "Иван Петров"), ("phone", "8 (900) 123-45-67"), ("email", ""), ("company", "ООО «Завод»"),
     ("quantity", "2"), ("comment", "Доставка в Тулу"), ("consent", "on"), ("csrf", csrf), ("website", ""),
     ("utm_source", "yandex")]
}

func jsonObject(_ response: TestResponse) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
}

@Suite("Orders: form, JSON API, ingest")
struct OrderTests {
    @Test("a valid form order redirects to its thanks page, which shows the lead's number; the e-mail is written")
    func formOrder() async throws {
        let mail = FileManager.default.temporaryDirectory.appendingPathComponent("mail-\(UUID().uuidString)")
        try await withApp(environment: ["MAIL_DIR": mail.path]) { client in
            let browser = Browser(client: client)
            let response = try await browser.post(validOrder(csrf: try await browser.csrf()))
            #expect(response.status == .seeOther)
            let location = try #require(response.headers[.location])
            #expect(location.hasPrefix("/order/thanks/"))
            let thanks = try await client.execute(uri: location, method: .get)
            #expect(thanks.text.contains("Заявка №1 принята"))
            #expect(thanks.headers[.cacheControl] == "no-store")
            let emails: @Sendable () -> [String] = { (try? FileManager.default.contentsOfDirectory(atPath: mail.path).filter { $0.hasSuffix(".eml") }) ?? [] }
            #expect(try await eventually { !emails().isEmpty })
            #expect(emails().count == 1)
        }
    }

    @Test("an unknown thanks id shows a generic thanks without data")
    func unknownThanks() async throws {
        try await withApp { client in
            let page = try await client.execute(uri: "/order/thanks/0123456789abcdef0123456789abcdef", method: .get)
            #expect(page.status == .ok)
            #expect(page.text.contains("Спасибо, заявка принята"))
            #expect(!page.text.contains("Номер вашей заявки"))
        }
    }

    @Test("invalid input re-renders the form with the visitor's values and Russian messages (422)")
    func invalidForm() async throws {
        try await withApp { client in
            let browser = Browser(client: client)
            let csrf = try await browser.csrf()
            let response = try await browser.post([
                ("product_id", "1"), ("name", ""), ("phone", "12345"), ("email", "ivan@"), ("company", "Завод <№1>"),
                ("quantity", "0"), ("comment", "Очень нужно"), ("csrf", csrf),
            ])
            #expect(response.status == .unprocessableContent)
            let html = response.text
            #expect(html.contains("<h1>Токарный станок с ЧПУ CK6150</h1>"))
            #expect(html.contains("Укажите, как к вам обращаться"))
            #expect(html.contains("Проверьте номер телефона"))
            #expect(html.contains("Проверьте адрес почты"))
            #expect(html.contains("Количество — целое число от 1 до 10 000"))
            #expect(html.contains("Нужно согласие на обработку персональных данных"))
            #expect(html.contains(#"value="12345""#))
            #expect(html.contains(#"value="Завод &lt;№1&gt;""#))
            #expect(html.contains(">Очень нужно</textarea>"))
            #expect(response.headers[.cacheControl] == "no-store")
        }
    }

    @Test("a general request without a product re-renders the stand-alone form")
    func generalRequest() async throws {
        try await withApp { client in
            let browser = Browser(client: client)
            let csrf = try await browser.csrf(from: "/order")
            let bad = try await browser.post([("name", "Анна"), ("csrf", csrf), ("consent", "on")])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains("Заявка на подбор оборудования"))
            #expect(bad.text.contains(#"value="Анна""#))
            let good = try await browser.post([("name", "Анна"), ("email", "anna@example.ru"), ("csrf", csrf), ("consent", "on")])
            #expect(good.status == .seeOther)
        }
    }

    @Test("a missing or forged form token gives a 403 page with a link back to the form")
    func csrf() async throws {
        try await withApp { client in
            let browser = Browser(client: client)
            let valid = try await browser.csrf()
            let window = valid.split(separator: ".")[0]
            for token in ["", "garbage", "\(window).00000000000000000000000000000000", "1.\(valid.split(separator: ".")[1])"] {
                let response = try await browser.post(validOrder(csrf: token))
                #expect(response.status == .forbidden, "\(token)")
                #expect(response.text.contains("Форма устарела"))
                #expect(response.text.contains(#"href="/product/1#order""#))
            }
        }
    }

    @Test("a POST from another site is refused by Origin or Sec-Fetch-Site")
    func crossSite() async throws {
        try await withApp { client in
            let browser = Browser(client: client)
            let csrf = try await browser.csrf()
            #expect(try await browser.post(validOrder(csrf: csrf), origin: "https://evil.example").status == .forbidden)
            #expect(try await browser.post(validOrder(csrf: csrf), origin: "null").status == .forbidden)
            let fetchSite = try await browser.post(validOrder(csrf: csrf), origin: nil, headers: [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"])
            #expect(fetchSite.status == .forbidden)
            let api = try await browser.json("/api/leads", #"{"name":"А","email":"a@b.ru","consent":true}"#, headers: [.origin: "https://evil.example"])
            #expect(api.status == .forbidden)
            #expect(api.headers[.contentType] == "application/problem+json")
            #expect(try await browser.post(validOrder(csrf: csrf)).status == .seeOther)
        }
    }

    @Test("a filled honeypot sees the usual redirect, and nothing is stored")
    func honeypot() async throws {
        let mail = FileManager.default.temporaryDirectory.appendingPathComponent("mail-\(UUID().uuidString)")
        try await withApp(environment: ["MAIL_DIR": mail.path]) { client in
            let browser = Browser(client: client)
            var fields = validOrder(csrf: try await browser.csrf())
            fields.removeAll { $0.0 == "website" }
            fields.append(("website", "http://spam.example"))
            let response = try await browser.post(fields)
            #expect(response.status == .seeOther)
            let thanks = try await client.execute(uri: try #require(response.headers[.location]), method: .get)
            #expect(thanks.text.contains("Спасибо, заявка принята"))
            let real = try await browser.post(validOrder(csrf: try await browser.csrf()))
            let realThanks = try await client.execute(uri: try #require(real.headers[.location]), method: .get)
            #expect(realThanks.text.contains("Заявка №1 принята"))  // the bot's order took no number
            let metrics = try await scrape(client)
            #expect(metrics.value("orders_honeypot_total") == 1)
            #expect(metrics.value("orders_accepted_total", ["source": "сайт"]) == 1)
        }
    }

    @Test("orders per client are rate limited with Retry-After")
    func rateLimit() async throws {
        try await withApp(environment: ["ORDER_RATE_LIMIT": "2/min"]) { client in
            let browser = Browser(client: client)
            let csrf = try await browser.csrf()
            #expect(try await browser.post(validOrder(csrf: csrf)).status == .seeOther)
            #expect(try await browser.post(validOrder(csrf: csrf)).status == .seeOther)
            let limited = try await browser.post(validOrder(csrf: csrf))
            #expect(limited.status == .tooManyRequests)
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            let api = try await browser.json("/api/leads", #"{"name":"А","email":"a@b.ru","consent":true}"#)
            #expect(api.status == .tooManyRequests)
            #expect(api.headers[.retryAfter] != nil)
        }
    }

    @Test("bodies over 64 KiB are refused with 413")
    func tooLarge() async throws {
        try await withApp { client in
            let browser = Browser(client: client)
            let huge = String(repeating: "я", count: 40_000)
            let form = try await browser.post(validOrder(csrf: try await browser.csrf()) + [("comment", huge)])
            #expect(form.status == .contentTooLarge)
            let api = try await browser.json("/api/leads", #"{"name":"А","comment":"\#(huge)"}"#)
            #expect(api.status == .contentTooLarge)
            #expect(api.headers[.contentType] == "application/problem+json")
        }
    }

    @Test("the JSON API: 202 with id and number; 400 malformed; 415 wrong type; 422 with errors")
    func jsonAPI() async throws {
        try await withApp { client in
            let browser = Browser(client: client)
            let accepted = try await browser.json(
                "/api/leads", #"{"product_id":3,"name":"Пётр","email":"petr@example.ru","quantity":"3","consent":true}"#)
            #expect(accepted.status == .accepted)
            let body = try jsonObject(accepted)
            #expect(body["number"] as? Int == 1)
            #expect(body["status"] as? String == "accepted")
            #expect((body["id"] as? String)?.count == 32)

            let malformed = try await browser.json("/api/leads", #"{"name": "#)
            #expect(malformed.status == .badRequest)
            #expect(malformed.headers[.contentType] == "application/problem+json")
            let notObject = try await browser.json("/api/leads", "[1,2]")
            #expect(notObject.status == .badRequest)
            let wrongType = try await client.execute(
                uri: "/api/leads", method: .post, headers: [.contentType: "text/plain"], body: ByteBuffer(string: "name=x"))
            #expect(wrongType.status == .unsupportedMediaType)
            let invalid = try await browser.json("/api/leads", #"{"name":"Пётр","phone":"12"}"#)
            #expect(invalid.status == .unprocessableContent)
            let errors = try #require(try jsonObject(invalid)["errors"] as? [String: String])
            #expect(errors["phone"]?.hasPrefix("Проверьте номер телефона") == true)
            #expect(errors["consent"] != nil)
        }
    }

    @Test("ingest needs a known key; the key's source is recorded; Idempotency-Key returns the first lead")
    func ingest() async throws {
        try await withApp(environment: ["INGEST_KEYS": "telegram:tg-secret-key-for-tests-1,partner:partner-key-for-tests-22"]) { client in
            let browser = Browser(client: client)
            let order = #"{"name":"Ольга","phone":"+7 912 000-11-22","consent":true,"comment":"из бота"}"#
            let noKey = try await browser.json("/ingest/leads", order)
            #expect(noKey.status == .unauthorized)
            #expect(noKey.headers[.wwwAuthenticate] == "Bearer")
            let badKey = try await browser.json("/ingest/leads", order, headers: [.authorization: "Bearer wrong-key-0000"])
            #expect(badKey.status == .unauthorized)

            let headers: HTTPFields = [.authorization: "Bearer tg-secret-key-for-tests-1", HTTPField.Name("Idempotency-Key")!: "update-42"]
            let first = try await browser.json("/ingest/leads", order, headers: headers)
            #expect(first.status == .accepted)
            let retry = try await browser.json("/ingest/leads", order, headers: headers)
            #expect(retry.status == .accepted)
            #expect(try jsonObject(retry)["id"] as? String == jsonObject(first)["id"] as? String)
            let other = try await browser.json("/ingest/leads", order, headers: [.authorization: "Bearer tg-secret-key-for-tests-1"])
            #expect(try jsonObject(other)["number"] as? Int == 2)
            // Server-to-server: no Origin check on ingest.
            let withOrigin = try await browser.json("/ingest/leads", order, headers: [.authorization: "Bearer partner-key-for-tests-22", .origin: "https://bot.example"])
            #expect(withOrigin.status == .accepted)
            // Each lead records the source its key names, as the admin's list shows it.
            let admin = try await client.execute(uri: "/admin", method: .get, headers: operatorHeaders).text
            for (number, source) in [(1, "telegram"), (2, "telegram"), (3, "partner")] {
                let row = #"<td data-label="№"><a href="[^"]*">\#(number)</a></td>\s*<td data-label="Получена">[^<]*</td>\s*<td data-label="Источник">\#(source)</td>"#
                #expect(admin.range(of: row, options: .regularExpression) != nil, "lead \(number) from \(source)")
            }
        }
    }

    @Test("the privacy policy page exists and the form links to it")
    func privacy() async throws {
        try await withApp { client in
            let page = try await client.execute(uri: "/privacy", method: .get)
            #expect(page.status == .ok)
            #expect(page.text.contains("152-ФЗ"))
            #expect(try await client.execute(uri: "/order", method: .get).text.contains(#"href="/privacy""#))
        }
    }
}
