import Basics
import AsyncHTTPClient
import Foundation
import Leads
import NIOCore
import Storage
import Testing
import TestSupport

/// SIGTERM with the real binary: what is in flight is finished, and what is held is given back.
@Suite("Graceful stop with the real binary")
struct GracefulStopTests {
    static let adminToken = "graceful-stop-admin-token"

    /// A GET that does not follow redirects (the connect link points at amoCRM).
    static func get(_ url: String, headers: [(String, String)] = []) async throws -> HTTPClientResponse {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        var request = HTTPClientRequest(url: url)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        do {
            let response = try await client.execute(request, timeout: .seconds(10))
            try await client.shutdown()
            return response
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test("SIGTERM while amoCRM takes its time with a lead: the delivery completes, the process exits 0, and after a restart the lead is not sent again")
    func sigtermDuringDelivery() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("graceful-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let port = freeLoopbackPort()
        let base = "http://127.0.0.1:\(port)"
        let amo = FakeAmoCRM(redirectURI: base + "/webhook/amocrm")
        amo.addCode("code-1")
        try await amo.run { (url: String) async throws in
            let environment = [
                "DATA_DIR": scratch.appendingPathComponent("data").path, "PUBLIC_BASE_URL": base, "INSTANCE_ID": "graceful-test",
                "ADMIN_TOKEN": Self.adminToken, "ORDER_RATE_LIMIT": "off", "LOG_LEVEL": "info",
                "AMOCRM_SUBDOMAIN": "example", "AMOCRM_BASE_URL": url, "AMOCRM_CLIENT_ID": FakeAmoCRM.clientID,
                "AMOCRM_CLIENT_SECRET": FakeAmoCRM.clientSecret, "AMOCRM_AUTH_URL": url + "/oauth",
            ]
            let log = scratch.appendingPathComponent("first.log")
            let server = try ServerProcess(port: port, environment: environment, log: log)
            try await server.waitUntilReady()
            let connect = try await Self.get(base + "/admin/amocrm/connect", headers: [("Authorization", "Bearer " + Self.adminToken)])
            let location = try #require(connect.headers.first(name: "Location"))
            let state = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "state" }?.value)
            #expect(try await Self.get(base + "/webhook/amocrm?code=code-1&referer=example.amocrm.ru&state=\(state)").status == .ok)

            // amoCRM stores the lead and takes 3 s to answer; SIGTERM comes meanwhile.
            amo.storeThenStall(.seconds(3))
            var order = HTTPClientRequest(url: base + "/api/leads")
            order.method = .POST
            order.headers.add(name: "Content-Type", value: "application/json")
            order.body = .bytes(ByteBuffer(string: #"{"name":"Иван Петров","phone":"+79001234567","consent":true}"#))
            #expect(try await HTTPClient.shared.execute(order, timeout: .seconds(10)).status == .accepted)
            #expect(try await eventually { amo.complexCalls == 1 })
            let signalled = ContinuousClock.now
            kill(server.process.processIdentifier, SIGTERM)
            server.process.waitUntilExit()
            let stopping = ContinuousClock.now - signalled
            #expect(server.process.terminationStatus == 0)
            // It waited for amoCRM's answer (about 3 s) instead of dropping the delivery.
            #expect(stopping > .seconds(1) && stopping < .seconds(25), "stopped after \(stopping)")
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            #expect(text.contains("instance stopped: its roles and leases are free"))

            // The same instance starts again: nothing is left to send.
            let restarted = try ServerProcess(port: freeLoopbackPort(), environment: environment, log: scratch.appendingPathComponent("second.log"))
            defer { restarted.kill(SIGTERM) }
            try await restarted.waitUntilReady()
            let database = try await openDatabase(.sqlite(path: scratch.appendingPathComponent("data/catalog-bff.sqlite").path), logger: quietLogger)
            let store = LeadStore(database: database, clock: SystemClock(), logger: quietLogger)
            let deliveries = try await store.deliveries(leadNumber: 1)
            await database.close()
            #expect(deliveries.first { $0.channel == .amocrm }?.state == .delivered)
            #expect(deliveries.first { $0.channel == .email }?.state == .delivered)
            // The restarted workers deliver a new order: they have looked at the outbox since,
            // and the first lead is still in amoCRM once.
            var next = HTTPClientRequest(url: restarted.baseURL + "/api/leads")
            next.method = .POST
            next.headers.add(name: "Content-Type", value: "application/json")
            next.body = .bytes(ByteBuffer(string: #"{"name":"Анна Смирнова","phone":"+79007654321","consent":true}"#))
            #expect(try await HTTPClient.shared.execute(next, timeout: .seconds(10)).status == .accepted)
            #expect(try await eventually(timeout: .seconds(20)) { amo.leads.count == 2 })
            let names = amo.leads.compactMap { $0["name"] as? String }
            #expect(names.filter { $0.hasPrefix("Заявка №1:") }.count == 1, "\(names)")
        }
    }
}
