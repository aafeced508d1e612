import Catalog
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Web

/// Builds the real application (as `serve` does) with test settings and drives it.
func withApp(
    source: (any CatalogSource)? = nil, environment: [String: String] = [:],
    _ test: @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    // Every test app gets its own database and mail folder.
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("app-\(UUID().uuidString)")
    var settings = ["DATABASE_URL": "sqlite://" + scratch.appendingPathComponent("test.sqlite").path, "MAIL_DIR": scratch.appendingPathComponent("mail").path]
    settings.merge(environment) { _, given in given }
    let configuration = try AppConfiguration(environment: settings)
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    let app = try await buildApplication(configuration: configuration, catalogSource: source ?? DemoCatalogSource(), logger: logger)
    try await app.test(.router, test)
}

extension TestResponse {
    var text: String { String(buffer: body) }
}
