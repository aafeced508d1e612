import Basics
import AsyncHTTPClient
import Foundation
import Leads
import Logging
import NIOCore
import Storage
import Testing
import TestSupport

@Suite("Crash recovery with the real binary")
struct CrashRecoveryTests {
    @Test(
        "orders posted while the server is SIGKILLed: every acknowledged one is stored exactly once and delivered after restart",
        arguments: DatabaseEngine.allCases)
    func sigkill(_ engine: DatabaseEngine) async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID().uuidString)")
        let location: DatabaseLocation =
            engine == .sqlite ? .sqlite(path: scratch.appendingPathComponent("leads.sqlite").path) : try await engine.freshDatabase()
        let databaseURL: String
        switch location {
        case .sqlite(let path): databaseURL = "sqlite://" + path
        case .postgres(let url): databaseURL = url
        }
        let mail = scratch.appendingPathComponent("mail")
        let port = freeLoopbackPort()
        let environment = [
            // The default 120 s lease: the restarted instance (the same INSTANCE_ID) takes back
            // its own work at once instead of waiting for it.
            "DATABASE_URL": databaseURL, "MAIL_DIR": mail.path, "ORDER_RATE_LIMIT": "off", "INSTANCE_ID": "crash-test",
            "LOG_LEVEL": "info",
        ]
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let server = try ServerProcess(port: port, environment: environment, log: scratch.appendingPathComponent("first.log"))
        try await server.waitUntilReady()

        let acknowledged = Locked<[String: String]>([:])  // lead id → the order's name
        let stop = Locked(false)
        await withTaskGroup(of: Void.self) { group in
            for client in 0..<12 {
                group.addTask {
                    var sequence = 0
                    while !stop.value {
                        sequence += 1
                        let name = "Клиент \(client)-\(sequence)"
                        var request = HTTPClientRequest(url: server.baseURL + "/api/leads")
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(ByteBuffer(string: #"{"name":"\#(name)","phone":"+79001234567","consent":true}"#))
                        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)) else { continue }
                        guard response.status == .accepted, let body = try? await response.body.collect(upTo: 4096),
                            let json = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
                            let id = json["id"] as? String
                        else { continue }
                        acknowledged.withLock { $0[id] = name }
                    }
                }
            }
            group.addTask {
                // Killed in the middle of the stream of orders: once enough were acknowledged
                // to say something, whatever the machine's speed.
                _ = try? await eventually(timeout: .seconds(30)) { acknowledged.value.count >= 40 }
                server.kill(SIGKILL)
                stop.withLock { $0 = true }
            }
        }
        let acked = acknowledged.value
        #expect(acked.count > 20, "too few orders were acknowledged before the kill to say anything")

        // A new port: the HTTP client backs off from the one that refused connections.
        let restarted = try ServerProcess(port: freeLoopbackPort(), environment: environment, log: scratch.appendingPathComponent("second.log"))
        try await restarted.waitUntilReady()
        // The same database, read beside the running server.
        let database = try await openDatabase(location, logger: Logger(label: "test"))
        let store = LeadStore(database: database, clock: SystemClock(), logger: Logger(label: "test"))
        // Every stored lead gets its e-mail, including those whose delivery the kill
        // interrupted (taken back at start, sent again: at least once), within 15 s of the restart.
        let start = ContinuousClock.now
        let delivered = try await eventually(timeout: .seconds(15)) {
            let email = try await store.outboxCounts()[.email]
            return email != nil && (email?[.pending] ?? 0) == 0
        }
        let recovery = ContinuousClock.now - start
        #expect(delivered)
        print("crash recovery (\(engine)): every acknowledged lead delivered \(recovery) after the restart was ready")
        let mailed = ((try? FileManager.default.contentsOfDirectory(atPath: mail.path)) ?? []).filter { $0.hasSuffix(".eml") }.count
        restarted.kill(SIGTERM)

        let all = try await store.recentLeads(limit: 100_000)
        let names = all.map(\.lead.order.name)
        #expect(Set(names).count == names.count, "an order was stored twice")
        for (id, name) in acked {
            #expect(try await store.lead(id: id)?.order.name == name, "acknowledged lead \(id) is missing")
        }
        #expect(all.allSatisfy { $0.deliveries.first { $0.channel == .email }?.state == .delivered })
        #expect(mailed == all.count)
        await database.close()
    }
}
