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

    @Test("events of the account are recorded, each with its lead and status, before the 200")
    func recorded() async throws {
        try await withApp(environment: Self.environment) { (client: any TestClientProtocol) async throws in
            #expect(try await Self.post(client, Self.body([(101, 142), (102, 143)])).status == .ok)
            #expect(try await ExhaustionTests.metric("amocrm_events_pending", in: client) == 2)
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
