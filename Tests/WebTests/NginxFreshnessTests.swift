import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Synchronization
import Testing
import TestSupport

/// The deployment we ship, end to end: the real nginx with `deploy/nginx.conf` (only its paths
/// and ports replaced) in front of the real binary on a loopback Directus. An editor's change
/// must reach visitors through nginx's cache within 2 s of the Directus webhook – on the
/// product page and on its category page, with visitors loading the page all the while.
@Suite("Freshness through nginx", .serialized)
struct NginxFreshnessTests {
    static let nginx = "/usr/sbin/nginx"
    static let oldPrice = "1\u{00A0}250\u{00A0}000\u{00A0}₽"
    static let newPrice = "1\u{00A0}390\u{00A0}000\u{00A0}₽"
    static let product = "/product/tokarnyj-stanok-chpu-ck6150"
    static let category = "/catalog/tokarnye-stanki-chpu"
    static let secret = "hook-secret-for-nginx-tests"

    /// nginx with the shipped site configuration, on loopback ports, in a folder of its own.
    final class Nginx: @unchecked Sendable {
        let directory: URL
        let port: Int
        let process: Process

        init(upstreamPort: Int) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("nginx-\(UUID().uuidString)")
            port = freeLoopbackPort()
            // The shipped file, only paths and ports replaced (the same copy `make test`'s `nginx -t` checks).
            let local = Process()
            local.executableURL = URL(fileURLWithPath: "scripts/nginx-local.sh")
            local.arguments = [directory.path, String(upstreamPort), String(port), String(freeLoopbackPort())]
            try local.run()
            local.waitUntilExit()
            #expect(local.terminationStatus == 0, "scripts/nginx-local.sh failed")
            process = Process()
            process.executableURL = URL(fileURLWithPath: NginxFreshnessTests.nginx)
            process.arguments = ["-p", directory.path, "-c", directory.appendingPathComponent("nginx.conf").path, "-g", "daemon off;"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        func stop() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// What the visitors saw: when each page was asked for, and whether it had the old price.
    final class Visits: Sendable {
        let seen = Mutex<[(at: ContinuousClock.Instant, path: String, old: Bool)]>([])
        let stop = Atomic<Bool>(false)
    }

    /// A client that trusts the test's self-signed certificate, as a visitor's browser trusts
    /// the real one.
    static func client() -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        // One request per connection's turn, as most visitors' browsers still speak to a site.
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    static func get(_ client: HTTPClient, port: Int, _ path: String) async throws -> (status: Int, body: String, cache: String?) {
        var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)\(path)")
        request.headers.add(name: "Host", value: "shop.example.ru")
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), String(buffer: body), response.headers.first(name: "X-Cache-Status"))
    }

    @Test("a price changed in Directus shows through nginx within 2 s on the product and its category, visitors loading the page meanwhile")
    func priceThroughNginx() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.nginx), "make test installs nginx-light")
        let directus = try FakeDirectus()
        try await directus.run { (url: String) async throws in
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fresh-\(UUID().uuidString)")
            let server = try ServerProcess(
                port: freeLoopbackPort(),
                environment: [
                    "DIRECTUS_URL": url, "DIRECTUS_TOKEN": FakeDirectus.serviceToken, "DIRECTUS_WEBHOOK_SECRET": Self.secret,
                    "DATABASE_URL": "sqlite://" + scratch.path + "-db.sqlite", "MAIL_DIR": scratch.path + "/mail",
                    "ASSET_CACHE_DIR": scratch.path + "/assets", "TRUSTED_PROXIES": "127.0.0.1/32", "LOG_LEVEL": "critical",
                    "PUBLIC_BASE_URL": "https://shop.example.ru",
                ])
            defer { server.kill(SIGTERM) }
            try await server.waitUntilReady()
            let nginx = try Nginx(upstreamPort: server.port)
            defer { nginx.stop() }
            let client = Self.client()
            #expect(try await eventually { (try? await Self.get(client, port: nginx.port, "/healthz"))?.status == 200 })

            // Warm: both pages are rendered and kept by the service; nginx keeps images.
            for path in [Self.product, Self.category] {
                let first = try await Self.get(client, port: nginx.port, path)
                #expect(first.status == 200 && first.body.contains(Self.oldPrice), "\(path)")
            }
            #expect(try await eventually { try await Self.get(client, port: nginx.port, "/css/site.css").cache == "HIT" }, "static files are not cached by nginx")

            // Visitors keep loading both pages while the editor changes the price.
            let visits = Visits()
            let visitors = (0..<4).map { index in
                Task {
                    let path = index.isMultiple(of: 2) ? Self.product : Self.category
                    while !visits.stop.load(ordering: .relaxed) {
                        let started = ContinuousClock.now
                        guard let page = try? await Self.get(client, port: nginx.port, path), page.status == 200 else { continue }
                        visits.seen.withLock { $0.append((started, path, page.body.contains(Self.oldPrice))) }
                    }
                }
            }
            directus.update("products", id: 1, field: "price", to: .string("1390000.00"))
            var webhook = HTTPClientRequest(url: "https://127.0.0.1:\(nginx.port)/webhook/directus")
            webhook.method = .POST
            webhook.headers.add(name: "Host", value: "shop.example.ru")
            webhook.headers.add(name: "Content-Type", value: "application/json")
            webhook.headers.add(name: "X-Webhook-Secret", value: Self.secret)
            webhook.body = .bytes(ByteBuffer(string: #"{"event":"products.items.update","collection":"products","keys":["1"],"payload":{"price":"1390000.00"}}"#))
            #expect(try await client.execute(webhook, timeout: .seconds(10)).status == .ok)
            let purged = ContinuousClock.now

            var shown: [String: Duration] = [:]
            for path in [Self.product, Self.category] {
                #expect(try await eventually(timeout: .seconds(5)) { try await Self.get(client, port: nginx.port, path).body.contains(Self.newPrice) }, "\(path)")
                shown[path] = purged.duration(to: .now)
            }
            // Visitors go on until each page has been loaded again after the promise ran out.
            let promise = purged + .seconds(2)
            #expect(try await eventually {
                let after = visits.seen.withLock { $0.filter { $0.at > promise }.map(\.path) }
                return after.contains(Self.product) && after.contains(Self.category)
            }, "no visitor page more than 2 s after the purge")
            visits.stop.store(true, ordering: .relaxed)
            for visitor in visitors { await visitor.value }

            let answers = visits.seen.withLock { $0 }
            let late = answers.filter { $0.old && $0.at > purged + .seconds(2) }
            print("freshness through nginx: product shown after \(shown[Self.product] ?? .zero), category after \(shown[Self.category] ?? .zero); "
                    + "\(answers.count) visitor pages, \(answers.filter { $0.at > purged && !$0.old }.count) with the new price")
            for (path, took) in shown { #expect(took <= .seconds(2), "\(path) took \(took)") }
            #expect(late.isEmpty, "\(late.count) old prices served more than 2 s after the purge")
            #expect(answers.contains { $0.at > purged + .seconds(2) && !$0.old }, "no visitor page after the purge")
            try await client.shutdown()
        }
    }
}
