import Basics
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Leads
import Storage
import Testing
import TestSupport

@testable import Web

/// `/admin` as the sales team and the operators use it: filters, a lead's record, retry,
/// cancel, requeue, the CSV export, amoCRM's token and the chart.
@Suite("Admin workplace")
struct AdminWorkplaceTests {
    static let ingestKey = "k3y-0f-the-b0t-2026-for-tests"
    static let admin = operatorHeaders

    static func page(_ client: any TestClientProtocol, _ uri: String) async throws -> String {
        try await client.execute(uri: uri, method: .get, headers: admin).text
    }

    static func post(_ client: any TestClientProtocol, _ uri: String, csrf: String) async throws -> TestResponse {
        var headers = admin
        headers[.contentType] = "application/x-www-form-urlencoded"
        headers[.origin] = Browser.origin
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: "csrf=\(csrf)"))
    }

    static func csrf(_ html: String) throws -> String {
        let marker = #"name="csrf" value=""#
        let start = try #require(html.range(of: marker)).upperBound
        return String(html[start...].prefix { $0 != "\"" })
    }

    /// Three leads: two from the site (one of them «Иван Петров» with UTM), one from the bot.
    static func seed(_ client: any TestClientProtocol) async throws {
        let browser = Browser(client: client)
        #expect(try await browser.post(validOrder(csrf: try await browser.csrf())).status == .seeOther)
        #expect(
            try await browser.json("/api/leads", #"{"name":"Мария Соколова","email":"maria@example.ru","company":"АО «Пресс»","consent":true}"#)
                .status == .accepted)
        #expect(
            try await browser.json(
                "/ingest/leads", #"{"name":"Бот Клиент","phone":"+79167654321","consent":true}"#, headers: [.authorization: "Bearer " + ingestKey]
            ).status == .accepted)
    }

    static let environment = ["ORDER_RATE_LIMIT": "off", "INGEST_KEYS": "telegram:" + ingestKey]

    @Test("leads filter by source, text (any case, phone digits, number), state and dates; a bad date is named, not used")
    func filters() async throws {
        try await withApp(environment: Self.environment) { (client: any TestClientProtocol) async throws in
            try await Self.seed(client)
            let all = try await Self.page(client, "/admin")
            #expect(all.contains("Найдено: 3"))
            #expect(all.contains(#"<option value="telegram">telegram</option>"#))

            let bot = try await Self.page(client, "/admin?source=telegram")
            #expect(bot.contains("Бот Клиент") && !bot.contains("Иван Петров") && bot.contains("Найдено: 1"))
            // Lower case finds «Петров» on SQLite too; digits find the phone however it is written.
            let byName = try await Self.page(client, "/admin?q=%D0%BF%D0%B5%D1%82%D1%80%D0%BE%D0%B2")
            #expect(byName.contains("Иван Петров") && byName.contains("Найдено: 1"))
            let byPhone = try await Self.page(client, "/admin?q=765-43")
            #expect(byPhone.contains("Бот Клиент") && byPhone.contains("Найдено: 1"))
            let byCompany = try await Self.page(client, "/admin?q=%D0%BF%D1%80%D0%B5%D1%81%D1%81")
            #expect(byCompany.contains("Мария Соколова") && byCompany.contains("Найдено: 1"))
            let byNumber = try await Self.page(client, "/admin?q=2")
            #expect(byNumber.contains("Мария Соколова"))
            // A `%` typed is a percent sign, not "anything".
            #expect(try await Self.page(client, "/admin?q=%25").contains("Ничего не найдено"))

            // Without amoCRM its rows wait: every lead has a pending delivery, none is dead.
            #expect(try await Self.page(client, "/admin?state=pending").contains("Найдено: 3"))
            #expect(try await Self.page(client, "/admin?state=dead").contains("Ничего не найдено"))

            #expect(try await Self.page(client, "/admin?from=2099-01-01").contains("Ничего не найдено"))
            #expect(try await Self.page(client, "/admin?to=2000-01-01").contains("Ничего не найдено"))
            let bad = try await Self.page(client, "/admin?from=2026-02-31&state=lost")
            #expect(bad.contains("Дата «с» должна быть в виде ГГГГ-ММ-ДД, получено «2026-02-31»"))
            #expect(bad.contains("Неизвестное состояние «lost»"))
            #expect(bad.contains("Найдено: 3"))
            // The filter carries into the export link and the next page.
            #expect(bot.contains(#"href="/admin/leads.csv?source=telegram""#))
        }
    }

    @Test("a lead's page shows the order, the product as it was, UTM, the consent record and each delivery attempt with its error")
    func detail() async throws {
        let smtp = try SMTPTestServer(refuse: 1)
        defer { smtp.stop() }
        try await withApp(environment: smtpEnvironment(smtp, maxAttempts: 3)) { (client: any TestClientProtocol) async throws in
            let browser = Browser(client: client)
            #expect(
                try await browser.post(validOrder(csrf: try await browser.csrf()), headers: [.userAgent: "Mozilla/5.0 (Тест)"]).status == .seeOther)
            // The first message is refused (554): a failed attempt, retried after a backoff.
            #expect(try await eventually { try await Self.page(client, "/admin/leads/1").contains("ошибка, будет повтор") })
            let html = try await Self.page(client, "/admin/leads/1")
            for expected in [
                "Заявка №1", "Иван Петров", "+79001234567", "ООО «Завод»", "2 шт.", "Доставка в Тулу", "Токарный станок с ЧПУ CK6150",
                "CK6150-1000", "1\u{00A0}250\u{00A0}000\u{00A0}₽", "utm_source", "yandex", "Согласие дано", "Mozilla/5.0 (Тест)", "554",
            ] {
                #expect(html.contains(expected), "the lead's page shows \(expected)")
            }
            #expect(html.contains(#"<meta name="robots" content="noindex">"#))
            #expect(try await client.execute(uri: "/admin/leads/999", method: .get, headers: Self.admin).status == .notFound)
            #expect(try await client.execute(uri: "/admin/leads/0x1", method: .get, headers: Self.admin).status == .notFound)

            // The row waits out its backoff; a requeue sends it now, and the server takes it.
            let list = try await Self.page(client, "/admin")
            let requeued = try await Self.post(client, "/admin/outbox/email/requeue", csrf: try Self.csrf(list))
            #expect(requeued.status == .seeOther)
            #expect(requeued.headers[.location] == "/admin?done=requeued-email")
            #expect(try await eventually { try await Self.page(client, "/admin/leads/1").contains("<strong>почта</strong>: доставлена") })
            let after = try await Self.page(client, "/admin/leads/1")
            #expect(after.contains("ошибка, будет повтор") && after.contains(">доставлена<"))
            #expect(try await Self.page(client, "/admin?done=requeued-email").contains("Всё, что ждёт отправки по почте, отправляется сейчас."))
        }
    }

    @Test("a dead delivery is cancelled (handled by hand) and can still be retried; the actions are on the lead's record")
    func cancelAndRetry() async throws {
        let smtp = try SMTPTestServer(refuse: 1)
        defer { smtp.stop() }
        try await withApp(environment: smtpEnvironment(smtp, maxAttempts: 1)) { (client: any TestClientProtocol) async throws in
            let browser = Browser(client: client)
            _ = try await browser.post(validOrder(csrf: try await browser.csrf()))
            #expect(try await eventually { try await Self.page(client, "/admin?state=dead").contains("Найдено: 1") })
            let detail = try await Self.page(client, "/admin/leads/1")
            #expect(detail.contains("ошибка, попытки кончились"))

            let cancelled = try await Self.post(client, "/admin/leads/1/cancel", csrf: try Self.csrf(detail))
            #expect(cancelled.headers[.location] == "/admin/leads/1?done=cancelled")
            #expect(try await Self.page(client, "/admin?state=dead").contains("Ничего не найдено"))
            #expect(try await Self.page(client, "/admin?state=cancelled").contains("Найдено: 1"))
            #expect(try await scrape(client).value("outbox_deliveries", ["channel": "email", "state": "dead"]) == 0)
            // Cancelling again changes nothing, and says so.
            #expect(try await Self.post(client, "/admin/leads/1/cancel", csrf: try Self.csrf(detail)).headers[.location] == "/admin/leads/1?done=nothing")

            let retried = try await Self.post(client, "/admin/leads/1/retry", csrf: try Self.csrf(detail))
            #expect(retried.headers[.location] == "/admin/leads/1?done=retried")
            #expect(try await eventually { try await Self.page(client, "/admin/leads/1").contains("<strong>почта</strong>: доставлена") })
            let record = try await Self.page(client, "/admin/leads/1")
            #expect(record.contains("отменена администратором") && record.contains("повтор по кнопке администратора"))
        }
    }

    @Test("the CSV export opens as Excel and Python read it: BOM, semicolons, the right columns, Cyrillic, the filter applied")
    func csvExport() async throws {
        try await withApp(environment: Self.environment) { (client: any TestClientProtocol) async throws in
            try await Self.seed(client)
            let response = try await client.execute(uri: "/admin/leads.csv", method: .get, headers: Self.admin)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(response.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"leads-") == true)
            let bytes = Array(response.body.readableBytesView)
            #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])

            let rows = try await Self.csvRows(bytes)
            #expect(rows.count == 4)
            #expect(rows[0] == LeadsCSV.header)
            #expect(rows.allSatisfy { $0.count == LeadsCSV.header.count })
            let ivan = try #require(rows.first { $0[3] == "Иван Петров" })
            #expect(ivan[0] == "1" && ivan[2] == "сайт" && ivan[6] == "ООО «Завод»" && ivan[9] == "Токарный станок с ЧПУ CK6150")
            // A phone starts with `+`: kept as text, not a formula.
            #expect(ivan[4] == "'+79001234567")
            #expect(ivan[13] == "yandex")
            let maria = try #require(rows.first { $0[3] == "Мария Соколова" })
            #expect(maria[6] == "АО «Пресс»" && maria[5] == "maria@example.ru")

            let filtered = try await client.execute(uri: "/admin/leads.csv?source=telegram", method: .get, headers: Self.admin).text
            #expect(filtered.split(separator: "\r\n").count == 2)
            #expect(filtered.contains("Бот Клиент"))
            #expect(try await client.execute(uri: "/admin/leads.csv?from=31.12.2026", method: .get, headers: Self.admin).status == .badRequest)
        }
    }

    @Test("the cell writer quotes separators and quotes, and keeps formulas out")
    func csvCells() {
        #expect(LeadsCSV.cell("просто текст") == "просто текст")
        #expect(LeadsCSV.cell("a;b") == "\"a;b\"")
        #expect(LeadsCSV.cell("ООО \"Ромашка\"") == "\"ООО \"\"Ромашка\"\"\"")
        #expect(LeadsCSV.cell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(LeadsCSV.cell("@SUM(A1)") == "'@SUM(A1)")
        #expect(LeadsCSV.cell("строка\nвторая") == "\"строка\nвторая\"")
    }

    @Test("amoCRM's connection with the token's expiry and a reconnect link; the 30-day chart counts today's leads")
    func amoCRMAndChart() async throws {
        let clock = TestWallClock()
        let amo = FakeAmoCRM(redirectURI: "http://127.0.0.1:8080/webhook/amocrm")
        amo.addCode("code-1")
        try await amo.run { (url: String) async throws in
            let environment = MetricsTests.amoEnvironment(url).merging(Self.environment) { _, ours in ours }
            try await withApp(environment: environment, clock: clock) { (client: any TestClientProtocol) async throws in
                let before = try await Self.page(client, "/admin")
                #expect(before.contains("Подключить amoCRM") && before.contains(#"href="/admin/amocrm/connect""#))
                try await MetricsTests.connect(client)
                try await Self.seed(client)
                let html = try await Self.page(client, "/admin")
                #expect(html.contains("Подключён."))
                #expect(html.contains("Токен действует до ") && html.contains("обновляется сам за час до срока"))
                #expect(html.contains("Переподключить"))
                #expect(html.contains(#"<svg class="activity-chart""#))
                #expect(html.contains("Заявки по дням за 30 дн.: всего 3"))
                #expect(html.contains("\(MoscowTime.formatDate(clock.now())): заявок 3"))
            }
        }
    }

    @Test("every admin page and action refuses a visitor without the token (401), and all of them answer 403 when no token is set")
    func everythingGuarded() async throws {
        let routes: [(String, HTTPRequest.Method)] = [
            ("/admin", .get), ("/admin?state=dead", .get), ("/admin/leads/1", .get), ("/admin/leads.csv", .get),
            ("/admin/leads/1/retry", .post), ("/admin/leads/1/cancel", .post), ("/admin/outbox/email/requeue", .post),
            ("/admin/amocrm/connect", .get), ("/admin/passports", .get), ("/ingest/test-crm", .get),
        ]
        let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .origin: Browser.origin]
        try await withApp(environment: Self.environment) { (client: any TestClientProtocol) async throws in
            try await Self.seed(client)
            for (uri, method) in routes {
                let response = try await client.execute(uri: uri, method: method, headers: form, body: ByteBuffer(string: "csrf=x"))
                #expect(response.status == .unauthorized, "\(method) \(uri)")
                #expect(!response.text.contains("Иван Петров"))
            }
            // The leads are untouched.
            #expect(try await Self.page(client, "/admin?state=pending").contains("Найдено: 3"))
        }
        try await withApp(environment: ["ADMIN_TOKEN": ""]) { (client: any TestClientProtocol) async throws in
            for (uri, method) in routes {
                #expect(try await client.execute(uri: uri, method: method, headers: form).status == .forbidden, "\(method) \(uri)")
            }
        }
    }

    /// The export as Python's csv module reads it, as a spreadsheet would (BOM stripped by utf-8-sig).
    static func csvRows(_ bytes: [UInt8]) async throws -> [[String]] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("leads-\(UUID().uuidString).csv")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = """
            import csv, json, sys
            with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
                print(json.dumps(list(csv.reader(f, delimiter=";")), ensure_ascii=False))
            """
        let output = try await ExternalTool.run("/usr/bin/env", ["python3", "-c", script, file.path])
        return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String]])
    }
}
