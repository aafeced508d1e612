import AsyncHTTPClient
import NIOCore
import Foundation
import Testing
import TestSupport

/// `make install` and the installed service, run from somewhere else than the source folder.
@Suite("Installed layout")
struct InstallTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func get(_ url: String) async throws -> (status: UInt, body: String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (response.status.code, String(buffer: body))
    }

    @Test("installed into a prefix and started from another folder, with templates through a symlinked release folder: pages, static files, data under DATA_DIR")
    func installedLayout() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("install-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let prefix = root.appendingPathComponent("prefix")
        // The debug build as `make test` made it (BUILD=debug: nothing is built here).
        _ = try await ExternalTool.run(
            "/usr/bin/make", ["-s", "-C", Self.repository.path, "install", "PREFIX=\(prefix.path)", "BUILD=debug"], timeout: .seconds(120))
        let files = FileManager.default
        for installed in [
            "bin/catalog-bff", "share/catalog-bff/templates/layout.mustache", "share/catalog-bff/templates/mail/lead.txt.mustache",
            "share/catalog-bff/public/css/site.css", "etc/catalog-bff/catalog-bff.env.sample", "share/catalog-bff/catalog-bff.service",
            "share/catalog-bff/nginx.conf",
        ] {
            #expect(files.fileExists(atPath: prefix.appendingPathComponent(installed).path), "installed \(installed)")
        }

        // A release folder deployment: current → releases/r1, whose templates link to the
        // installed ones; the working folder's `templates` links to current/templates.
        let release = root.appendingPathComponent("releases/r1")
        try files.createDirectory(at: release, withIntermediateDirectories: true)
        try files.createSymbolicLink(
            at: release.appendingPathComponent("templates"), withDestinationURL: prefix.appendingPathComponent("share/catalog-bff/templates"))
        try files.createSymbolicLink(at: root.appendingPathComponent("current"), withDestinationURL: release)
        let work = root.appendingPathComponent("work")
        try files.createDirectory(at: work, withIntermediateDirectories: true)
        try files.createSymbolicLink(at: work.appendingPathComponent("templates"), withDestinationURL: root.appendingPathComponent("current/templates"))
        let data = root.appendingPathComponent("data")

        let port = freeLoopbackPort()
        let log = root.appendingPathComponent("server.log")
        // No TEMPLATES_DIR or PUBLIC_DIR: `templates` is found in the working folder (a link),
        // `public` next to the installed binary.
        let server = try ServerProcess(
            port: port, environment: ["DATA_DIR": data.path, "ORDER_RATE_LIMIT": "off"], log: log,
            executable: prefix.appendingPathComponent("bin/catalog-bff"), workingDirectory: work)
        defer { server.kill(SIGTERM) }
        do {
            try await server.waitUntilReady()
        } catch {
            Issue.record("the installed service did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            throw error
        }
        let home = try await Self.get(server.baseURL + "/")
        #expect(home.status == 200 && home.body.contains("Токарные станки"))
        let css = try await Self.get(server.baseURL + "/css/site.css")
        #expect(css.status == 200 && css.body.contains(".admin-table"))
        #expect(try await Self.get(server.baseURL + "/product/tokarnyj-stanok-chpu-ck6150").status == 200)

        var order = HTTPClientRequest(url: server.baseURL + "/api/leads")
        order.method = .POST
        order.headers.add(name: "Content-Type", value: "application/json")
        order.body = .bytes(ByteBuffer(string: #"{"name":"Иван","phone":"+79001234567","consent":true}"#))
        #expect(try await HTTPClient.shared.execute(order, timeout: .seconds(10)).status == .accepted)
        // The database and the mail files are under DATA_DIR, nothing in the working folder.
        #expect(files.fileExists(atPath: data.appendingPathComponent("catalog-bff.sqlite").path))
        #expect(try await eventually {
            ((try? files.contentsOfDirectory(atPath: data.appendingPathComponent("mail").path)) ?? []).contains { $0.hasSuffix(".eml") }
        })
        #expect(try files.contentsOfDirectory(atPath: work.path) == ["templates"])
    }
}
