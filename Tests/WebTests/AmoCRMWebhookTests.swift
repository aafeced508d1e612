import AmoCRM
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import Web

@Suite("amoCRM webhook: status events are recorded before the answer")
struct AmoCRMWebhookTests {
    static let token = "webhook-t0ken-for-tests"
    static let environment = [
        "AMOCRM_SUBDOMAIN": "example", "AMOCRM_BASE_URL": "http://127.0.0.1:9", "AMOCRM_LONG_LIVED_TOKEN": "long-lived-t0ken-for-tests",
        "AMOCRM_WEBHOOK_TOKEN": token,
    ]

    /// A status-change body as amoCRM posts it: form-encoded, brackets escaped, several events.
    static func body(subdomain: String = "example", _ events: [(lead: Int, status: Int)]) -> ByteBuffer {
        var fields = ["account[subdomain]=\(subdomain)", "account[id]=30000000"]
        for (index, event) in events.enumerated() {
            fields += [
                "leads[status][\(index)][id]=\(event.lead)", "leads[status][\(index)][status_id]=\(event.status)",
                "leads[status][\(index)][pipeline_id]=7000", "leads[status][\(index)][old_status_id]=142000",
            ]
        }
        let text = fields.map { $0.replacingOccurrences(of: "[", with: "%5B").replacingOccurrences(of: "]", with: "%5D") }.joined(separator: "&")
        return ByteBuffer(string: text)
    }

    static func post(_ client: any TestClientProtocol, query: String = "?token=\(token)", _ body: ByteBuffer) async throws -> TestResponse {
        try await client.execute(
            uri: "/webhook/amocrm" + query, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: body)
    }

    @Test("won events of the account are recorded before the 200, once per deal; other statuses need nothing")
    func recorded() async throws {
        try await withApp(environment: Self.environment) { (client: any TestClientProtocol) async throws in
            #expect(try await Self.post(client, Self.body([(101, 142), (102, 143), (103, 142)])).status == .ok)
            #expect(try await ExhaustionTests.metric("amocrm_events_pending", in: client) == 2)
            #expect(try await Self.post(client, Self.body([(101, 142), (103, 142)])).status == .ok)
            #expect(try await ExhaustionTests.metric("amocrm_events_pending", in: client) == 2)
        }
    }

    @Test("with amoCRM configured and no AMOCRM_WEBHOOK_TOKEN, a token derived from the client secret is required; /admin shows the address")
    func derivedToken() async throws {
        let environment = [
            "AMOCRM_SUBDOMAIN": "example", "AMOCRM_BASE_URL": "http://127.0.0.1:9", "AMOCRM_CLIENT_ID": "client-id-for-tests",
            "AMOCRM_CLIENT_SECRET": "client-secret-for-tests-0123456789", "PUBLIC_BASE_URL": "https://shop.example.ru",
        ]
        let configuration = try AppConfiguration(environment: environment)
        let token = try #require(configuration.amoCRMWebhookToken)
        #expect(token.count == 32 && !token.contains("client-secret"))
        // Stable: every instance and restart derives the same one; another secret another one.
        #expect(try AppConfiguration(environment: environment).amoCRMWebhookToken == token)
        var other = environment
        other["AMOCRM_CLIENT_SECRET"] = "another-secret-for-tests-98765"
        #expect(try AppConfiguration(environment: other).amoCRMWebhookToken != token)
        try await withApp(environment: environment) { (client: any TestClientProtocol) async throws in
            #expect(try await Self.post(client, query: "", Self.body([(101, 142)])).status == .forbidden)
            #expect(try await ExhaustionTests.metric("amocrm_events_pending", in: client) == 0)
            let admin = try await client.execute(uri: "/admin", method: .get, headers: operatorHeaders).text
            #expect(admin.contains("https://shop.example.ru/webhook/amocrm?token=" + token))
            #expect(try await Self.post(client, query: "?token=" + token, Self.body([(101, 142)])).status == .ok)
            #expect(try await ExhaustionTests.metric("amocrm_events_pending", in: client) == 1)
        }
    }

    @Test("a client guessing the token gets 429, while the right token from the same address still passes; one with it may send 120 bodies a minute")
    func limits() async throws {
        try await withApp(environment: Self.environment) { (client: any TestClientProtocol) async throws in
            for attempt in 0..<10 {
                #expect(try await Self.post(client, query: "?token=guess-\(attempt)-xxxxxxxxxxxx", Self.body([(101, 142)])).status == .forbidden)
            }
            let waiting = try await Self.post(client, query: "?token=guess-11-xxxxxxxxxxxx", Self.body([(101, 142)]))
            #expect(waiting.status == .tooManyRequests)
            #expect(Int(waiting.headers[.retryAfter] ?? "") ?? 0 >= 1)
            // amoCRM sends every account's webhooks from the same addresses: ours must get through.
            #expect(try await Self.post(client, Self.body([(101, 142)])).status == .ok)
            #expect(try await ExhaustionTests.metric("amocrm_events_pending", in: client) == 1)
        }
        try await withApp(environment: Self.environment) { (client: any TestClientProtocol) async throws in
            // Bodies of another account cost no write. The bucket refills at 2 a second while
            // the run lasts, so that many more may pass, and no fewer than 120.
            var statuses: [HTTPResponse.Status] = []
            let started = ContinuousClock.now
            for index in 0..<200 { statuses.append(try await Self.post(client, Self.body(subdomain: "other", [(1_000 + index, 142)])).status) }
            let elapsed = ContinuousClock.now - started
            let refill = Int(elapsed.components.seconds) * 2 + 2
            #expect(statuses.prefix(120).allSatisfy { $0 == .ok })
            #expect(statuses.filter { $0 == .ok }.count <= 120 + refill)
            #expect(statuses.allSatisfy { $0 == .ok || $0 == .tooManyRequests })
            #expect(statuses.contains(.tooManyRequests) || 120 + refill >= 200)
            #expect(try await ExhaustionTests.metric("amocrm_events_pending", in: client) == 0)
        }
    }

    @Test("without the right ?token= the webhook answers 403 and records nothing")
    func token() async throws {
        try await withApp(environment: Self.environment) { (client: any TestClientProtocol) async throws in
            #expect(try await Self.post(client, query: "", Self.body([(101, 142)])).status == .forbidden)
            #expect(try await Self.post(client, query: "?token=wrong-token-of-16-chars", Self.body([(101, 142)])).status == .forbidden)
            #expect(try await ExhaustionTests.metric("amocrm_events_pending", in: client) == 0)
        }
    }

    @Test("events of another account, or while amoCRM is off, are answered 200 and dropped")
    func otherAccount() async throws {
        try await withApp(environment: Self.environment) { (client: any TestClientProtocol) async throws in
            #expect(try await Self.post(client, Self.body(subdomain: "intruder", [(101, 142)])).status == .ok)
            #expect(try await ExhaustionTests.metric("amocrm_events_pending", in: client) == 0)
        }
        try await withApp { (client: any TestClientProtocol) async throws in
            #expect(try await Self.post(client, query: "", Self.body([(101, 142)])).status == .ok)
            #expect(try await ExhaustionTests.metric("amocrm_events_pending", in: client) == 0)
        }
    }

    @Test("a body is read as amoCRM writes it: events in order, bad ids dropped, other entries ignored")
    func parsing() {
        let read = AmoCRMWebhookBody(fields: [
            "account[subdomain]": "Example",
            "leads[status][0][id]": "5", "leads[status][0][status_id]": "142", "leads[status][0][pipeline_id]": "7",
            "leads[status][1][id]": "-1", "leads[status][1][status_id]": "142",
            "leads[status][2][id]": "99999999999", "leads[status][2][status_id]": "142",
            "leads[status][3][id]": "6", "leads[status][3][status_id]": "143", "leads[status][3][old_status_id]": "142",
            "leads[add][0][id]": "9",
        ])
        #expect(read.subdomain == "example")
        #expect(read.events == [StatusEvent(leadID: 5, statusID: 142, pipelineID: 7), StatusEvent(leadID: 6, statusID: 143, oldStatusID: 142)])
    }
}
