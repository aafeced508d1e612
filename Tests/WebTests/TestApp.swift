import Basics
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Storage
import TestSupport
import Web

/// The admin token every test app has (unless a test sets `ADMIN_TOKEN` to "" for none).
let testAdminToken = "adm1n-t0ken-for-tests"
/// What an operator (or Prometheus) sends for `/metrics` and the detailed `/readyz`: the
/// router test client has no peer address, so the loopback allowance does not apply.
let operatorHeaders: HTTPFields = [.authorization: "Bearer \(testAdminToken)"]

/// Builds the real application (as `serve` does) with test settings and drives it.
func withApp(
    source: (any CatalogSource)? = nil, environment: [String: String] = [:], mode: TestingSetup = .router,
    clock: any WallClock = SystemClock(), logger given: Logger? = nil, _ test: @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    // Every test app gets its own database and mail folder.
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("app-\(UUID().uuidString)")
    var settings = [
        "DATABASE_URL": "sqlite://" + scratch.appendingPathComponent("test.sqlite").path, "MAIL_DIR": scratch.appendingPathComponent("mail").path,
        "ASSET_CACHE_DIR": scratch.appendingPathComponent("assets").path, "ADMIN_TOKEN": testAdminToken,
    ]
    settings.merge(environment) { _, given in given }
    let configuration = try AppConfiguration(environment: settings)
    var logger = given ?? Logger(label: "test")
    if given == nil { logger.logLevel = .critical }
    // With DIRECTUS_URL and no source given, the application makes its own (as `serve` does).
    let app = try await buildApplication(
        configuration: configuration, catalogSource: source ?? (settings["DIRECTUS_URL"] == nil ? DemoCatalogSource() : nil), clock: clock,
        logger: logger)
    try await app.test(mode, test)
}

extension TestResponse {
    var text: String { String(buffer: body) }
}

/// `/metrics` as Prometheus reads it (a line it could not read fails the test).
func scrape(_ client: any TestClientProtocol) async throws -> PrometheusText {
    try PrometheusText(try await client.execute(uri: "/metrics", method: .get, headers: operatorHeaders).text)
}

/// The real application on a loopback Directus (service token), with more settings.
func withDirectusApp(
    environment extra: [String: String] = [:],
    _ test: @Sendable (any TestClientProtocol, FakeDirectus, String) async throws -> Void
) async throws {
    let directus = try FakeDirectus()
    try await directus.run { (url: String) async throws in
        var environment = ["DIRECTUS_URL": url, "DIRECTUS_TOKEN": FakeDirectus.serviceToken]
        environment.merge(extra) { _, given in given }
        try await withApp(environment: environment) { (client: any TestClientProtocol) async throws in
            try await test(client, directus, url)
        }
    }
}
