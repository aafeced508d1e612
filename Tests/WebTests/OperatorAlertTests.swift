import Basics
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Storage
import Testing
import TestSupport

@testable import Web

/// The application's own alerting: what its checks see becomes an incident on /readyz and /admin.
@Suite("Operator alerts in the application")
struct OperatorAlertTests {
    @Test("the mail server down: the alert shows on /readyz and /admin as not mailed, and is mailed once mail works")
    func mailDownShown() async throws {
        let clock = TestWallClock()
        let log = LogCapture()
        let probe = try SMTPTestServer()
        let (port, certificates, caFile, user, password) = (probe.port, probe.certificateDirectory, probe.caFile, probe.user, probe.password)
        probe.stop()
        let environment = [
            "ORDER_RATE_LIMIT": "off", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": String(port), "SMTP_SECURITY": "ssl", "SMTP_CA_FILE": caFile,
            "SMTP_USER": user, "SMTP_PASSWORD": password, "MAIL_TO": "sales@example.ru", "ALERT_TO": "ops@example.ru", "ALERT_AFTER": "1m",
        ]
        try await withApp(environment: environment, clock: clock, logger: log.logger(level: .info)) { (client: any TestClientProtocol) async throws in
            let order = try await Browser(client: client).json("/api/leads", #"{"name":"Иван","phone":"+79001234567","consent":true}"#)
            #expect(order.status == .accepted)
            #expect(try await eventually { try await scrape(client).value("outbox_channel_up", ["channel": "email"]) == 0 })
            // A minute (ALERT_AFTER) and a round later the incident is open; time moves in steps
            // until the alerter, asleep on the clock, has looked.
            let shown = try await eventually(timeout: .seconds(20)) {
                clock.advance(by: .seconds(10))
                return try await client.execute(uri: "/readyz", method: .get, headers: operatorHeaders).text.contains("alert.channel.email")
            }
            #expect(shown)
            let ready = try await client.execute(uri: "/readyz", method: .get, headers: operatorHeaders).text
            #expect(ready.contains("Почта (SMTP) не работает") && ready.contains("not mailed yet"))
            let admin = try await client.execute(uri: "/admin", method: .get, headers: operatorHeaders).text
            #expect(admin.contains("Тревога: Почта (SMTP) не работает"))
            // The alerter tries the mail at once (the server may be back by then); the failed
            // try is shown with its reason.
            #expect(try await eventually {
                try await client.execute(uri: "/admin", method: .get, headers: operatorHeaders).text.contains("письмо не отправлено: mail service unavailable")
            })
            #expect(try await scrape(client).value("alerts_active", ["alert": "channel.email"]) == 1)
            #expect(log.text.split(separator: "\n").contains { $0.hasPrefix("critical") && $0.contains("Почта (SMTP) не работает") })

            // The mail server is back: the lead goes out, and the alert reaches ALERT_TO – as one
            // «cleared» mail, or (when the alerter's next try came before the outbox noticed)
            // as the alert and then its clearing; never more.
            let server = try SMTPTestServer(port: port, certificates: certificates)
            defer { server.stop() }
            let subjects: @Sendable () -> [String] = {
                server.messages().filter { header("X-Envelope-To", in: $0) == "ops@example.ru" }.map { decodeHeader(header("Subject", in: $0) ?? "") }
            }
            let mailed = try await eventually(timeout: .seconds(30)) {
                clock.advance(by: .seconds(10))
                return subjects().contains("[catalog-bff] Восстановлено: Почта (SMTP) не работает")
                    && server.messages().contains { header("X-Envelope-To", in: $0) == "sales@example.ru" }
            }
            #expect(mailed)
            let alerts = subjects()
            #expect(alerts.filter { $0 == "[catalog-bff] Восстановлено: Почта (SMTP) не работает" }.count == 1)
            #expect(alerts.filter { $0 == "[catalog-bff] Тревога: Почта (SMTP) не работает" }.count <= 1)
            #expect(alerts.count <= 2)
            #expect(try await scrape(client).value("mail_sent_total", ["kind": "alert"]) == Double(alerts.count))
            #expect(!(try await client.execute(uri: "/admin", method: .get, headers: operatorHeaders).text.contains("Тревога:")))
        }
    }
}
