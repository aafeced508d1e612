import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TestSupport

/// `catalog-bff backup` against a live service, and a restore from its copy.
@Suite("Backups")
struct BackupTests {
    static func order(_ base: String, name: String) async throws -> HTTPResponseStatus {
        var request = HTTPClientRequest(url: base + "/api/leads")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"name":"\#(name)","phone":"+79001234567","consent":true}"#))
        return try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status
    }

    static func backup(_ environment: [String], _ path: String) async throws -> String {
        try await ExternalTool.run("/usr/bin/env", environment + ["LOG_LEVEL=warning", try ServerProcess.binary().path, "backup", path])
    }

    @Test("a backup taken while orders come in is a consistent database; a service started on it has the leads")
    func backupAndRestore() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("backup-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let data = root.appendingPathComponent("data")
        let environment = ["DATA_DIR": data.path, "ORDER_RATE_LIMIT": "off", "ADMIN_TOKEN": "backup-test-admin-token"]
        let server = try ServerProcess(port: freeLoopbackPort(), environment: environment, log: root.appendingPathComponent("live.log"))
        defer { server.kill(SIGTERM) }
        try await server.waitUntilReady()
        for index in 1...20 { #expect(try await Self.order(server.baseURL, name: "Клиент \(index)") == .accepted) }

        // Orders keep coming while the copy is made.
        let copy = root.appendingPathComponent("backups/catalog-bff-1.sqlite")
        let (output, _) = try await (
            Self.backup(["DATA_DIR=" + data.path], copy.path),
            withThrowingTaskGroup(of: Void.self) { group in
                for index in 21...40 { group.addTask { _ = try await Self.order(server.baseURL, name: "Клиент \(index)") } }
                try await group.waitForAll()
            }
        )
        #expect(output.contains("the copy opens and passes SQLite's integrity check"))
        // Every customer's data is in it: its owner's to read only.
        let permissions = try FileManager.default.attributesOfItem(atPath: copy.path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        #expect(output.range(of: #"schema version \d+, \d+ leads"#, options: .regularExpression) != nil)
        // A second backup to the same file is refused, and the first is left alone.
        await #expect(throws: ExternalTool.Failed.self) { _ = try await Self.backup(["DATA_DIR=" + data.path], copy.path) }
        // PostgreSQL is pg_dump's work.
        await #expect(throws: ExternalTool.Failed.self) {
            _ = try await Self.backup(["DATABASE_URL=postgres://u:p@127.0.0.1:1/x"], root.appendingPathComponent("pg.sqlite").path)
        }

        // Restore: the copy in a new service's data folder.
        let restored = root.appendingPathComponent("restored")
        try FileManager.default.createDirectory(at: restored, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: copy, to: restored.appendingPathComponent("catalog-bff.sqlite"))
        var again = environment
        again["DATA_DIR"] = restored.path
        let second = try ServerProcess(port: freeLoopbackPort(), environment: again, log: root.appendingPathComponent("restored.log"))
        defer { second.kill(SIGTERM) }
        try await second.waitUntilReady()
        var admin = HTTPClientRequest(url: second.baseURL + "/admin?q=%D0%9A%D0%BB%D0%B8%D0%B5%D0%BD%D1%82")
        admin.headers.add(name: "Authorization", value: "Bearer backup-test-admin-token")
        let response = try await HTTPClient.shared.execute(admin, timeout: .seconds(10))
        let page = String(buffer: try await response.body.collect(upTo: 4 << 20))
        let found = try #require(page.firstMatch(of: /Найдено: (\d+)/).map { Int($0.1) ?? 0 })
        // Every lead stored before the copy began is in it; some taken meanwhile may be too.
        #expect((20...40).contains(found))
        #expect(page.contains("Клиент 1<"))
        // And the restored service takes new orders after them.
        #expect(try await Self.order(second.baseURL, name: "После восстановления") == .accepted)
    }
}
