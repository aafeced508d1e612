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

/// A bad day: amoCRM and the mail server down for an hour of the application's clock while
/// orders keep coming.
@Suite("Outages")
struct OutageTests {
    static let customers = ["+79001110001", "+79001110002", "+79001110003", "+79001110004", "+79001110005"]

    @Test(
        "amoCRM and SMTP down for an hour under 200 orders: nothing dead, no attempts spent, one log line each way, all delivered once soon after",
        arguments: DatabaseEngine.allCases)
    func hourLongOutage(_ engine: DatabaseEngine) async throws {
        let location = try await engine.freshDatabase()
        let databaseURL: String
        switch location {
        case .sqlite(let path): databaseURL = "sqlite://" + path
        case .postgres(let url): databaseURL = url
        }
        let clock = TestWallClock()
        let log = LogCapture()
        let smtp = try SMTPTestServer()
        let amo = FakeAmoCRM(redirectURI: "http://127.0.0.1:8080/webhook/amocrm")
        amo.addCode("code-1")
        try await amo.run { (url: String) async throws in
            let environment = [
                "DATABASE_URL": databaseURL, "ORDER_RATE_LIMIT": "off",
                "AMOCRM_SUBDOMAIN": "example", "AMOCRM_BASE_URL": url, "AMOCRM_CLIENT_ID": FakeAmoCRM.clientID,
                "AMOCRM_CLIENT_SECRET": FakeAmoCRM.clientSecret,
                "SMTP_HOST": "127.0.0.1", "SMTP_PORT": String(smtp.port), "SMTP_SECURITY": "ssl", "SMTP_CA_FILE": smtp.caFile,
                "SMTP_USER": smtp.user, "SMTP_PASSWORD": smtp.password, "MAIL_TO": "sales@example.ru",
            ]
            try await withApp(environment: environment, clock: clock, logger: log.logger(level: .info)) { (client: any TestClientProtocol) async throws in
                let connectURL = try #require(
                    try await client.execute(uri: "/admin/amocrm/connect", method: .get, headers: operatorHeaders).headers[.location])
                let state = try #require(URLComponents(string: connectURL)?.queryItems?.first { $0.name == "state" }?.value)
                _ = try await client.execute(uri: "/webhook/amocrm?code=code-1&referer=example.amocrm.ru&state=\(state)", method: .get)

                // Both go down; 200 orders from a handful of customers come in.
                amo.setDown(true)
                smtp.stop()
                let browser = Browser(client: client)
                for index in 1...200 {
                    let phone = Self.customers[index % Self.customers.count]
                    let order = try await browser.json("/api/leads", #"{"name":"Клиент \#(index)","phone":"\#(phone)","consent":true}"#)
                    #expect(order.status == .accepted)
                }
                // Both channels have seen they are down (each worker's first try) before time moves.
                #expect(try await eventually(timeout: .seconds(30)) {
                    let metrics = try await scrape(client)
                    return metrics.value("outbox_channel_up", ["channel": "email"]) == 0 && metrics.value("outbox_channel_up", ["channel": "amocrm"]) == 0
                })
                // An hour of the application's clock, a probe's worth at a time: every sleeper
                // (two outbox workers, heartbeat, token keeper, passport worker, alerter) is asleep
                // again before time moves on.
                #expect(try await eventually { clock.sleeping >= 6 })
                let sleepers = clock.sleeping
                for _ in 0..<120 {
                    clock.advance(by: .seconds(30))
                    #expect(try await eventually { clock.sleeping == sleepers })
                }
                let metrics = try await scrape(client)
                #expect(metrics.value("outbox_channel_up", ["channel": "email"]) == 0)
                #expect(metrics.value("outbox_channel_up", ["channel": "amocrm"]) == 0)
                #expect(metrics.value("outbox_deliveries", ["channel": "email", "state": "dead"]) == 0)
                #expect(metrics.value("outbox_deliveries", ["channel": "amocrm", "state": "dead"]) == 0)
                #expect(metrics.value("outbox_deliveries", ["channel": "email", "state": "pending"]) == 200)
                let ready = try await client.execute(uri: "/readyz", method: .get, headers: operatorHeaders).text
                #expect(ready.contains(#""status":"degraded""#) && ready.contains(#""delivery_email":"down since"#))
                let admin = try await client.execute(uri: "/admin", method: .get, headers: operatorHeaders).text
                #expect(admin.contains("<strong>почта</strong>: не работает с") && admin.contains("<strong>amoCRM</strong>: не работает с"))
                let lines = log.text
                #expect(lines.components(separatedBy: "delivery channel down").count - 1 == 2)
                // A reminder every 10 minutes of the hour, per channel.
                #expect(lines.components(separatedBy: "delivery channel still down").count - 1 <= 12)
                #expect(!lines.contains("lead delivery failed"))

                // Both come back: within one probe interval of the clock, and then at once.
                amo.setDown(false)
                let again = try SMTPTestServer(port: smtp.port, certificates: smtp.certificateDirectory)
                defer { again.stop() }
                let requestsBefore = amo.apiRequestCount
                let allDelivered: @Sendable () async throws -> Bool = {
                    let metrics = try await scrape(client)
                    return metrics.value("outbox_deliveries", ["channel": "amocrm", "state": "delivered"]) == 200
                        && metrics.value("outbox_deliveries", ["channel": "email", "state": "delivered"]) == 200
                }
                clock.advance(by: ChannelBreaker.maxProbeDelay)
                var drainStart = ContinuousClock.now
                var delivered = try await eventually(timeout: .seconds(30), allDelivered)
                if !delivered {
                    // The sleeper count cannot tell a worker out on a probe from one asleep (its
                    // lease keeper sleeps meanwhile). A probe that was out when both came back
                    // failed, and set the next one a probe interval after it: one more interval.
                    print("outage drill (\(engine)): a probe was out at recovery; one more probe interval")
                    #expect(try await eventually { clock.sleeping == sleepers })
                    clock.advance(by: ChannelBreaker.maxProbeDelay)
                    drainStart = ContinuousClock.now
                    delivered = try await eventually(timeout: .seconds(60), allDelivered)
                }
                #expect(delivered)
                let drained = ContinuousClock.now - drainStart
                let requests = amo.apiRequestCount - requestsBefore
                print("outage drill (\(engine)): 200 leads drained in \(drained) after recovery with \(requests) amoCRM requests (floor \(Double(requests) / 7) s)")

                // Exactly once, and no attempt was spent on the outage.
                let names = amo.leads.compactMap { $0["name"] as? String }
                #expect(Set(names).count == 200)
                let ids = again.messages().compactMap { header("Message-ID", in: $0) }
                #expect(Set(ids.filter { $0.hasPrefix("<lead-") }).count == 200)
                // Besides the leads: the operators' alerts about the two channels (the outage
                // lasted longer than ALERT_AFTER), each once when it opened and once when it cleared.
                let alerts = ids.filter { $0.hasPrefix("<alert-") }
                #expect(Set(alerts).count == alerts.count && alerts.count <= 4)
                let database = try await openDatabase(location, logger: quietLogger)
                let store = LeadStore(database: database, clock: clock, logger: quietLogger)
                let recent = try await store.recentLeads(limit: 300)
                #expect(recent.count == 200)
                let odd = recent.flatMap(\.deliveries).filter { $0.state != .delivered || $0.attempts != 1 }
                #expect(odd.isEmpty, "\(odd.prefix(3))")
                await database.close()
                #expect(log.text.components(separatedBy: "delivery channel recovered").count - 1 == 2)
            }
        }
    }
}
