import Catalog
import Hummingbird
import HummingbirdTesting
import Logging
import Web

/// Builds the real application (as `serve` does) with test settings and drives it.
func withApp(
    source: (any CatalogSource)? = nil, environment: [String: String] = [:],
    _ test: @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    let configuration = try AppConfiguration(environment: environment)
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    let app = try await buildApplication(configuration: configuration, catalogSource: source ?? DemoCatalogSource(), logger: logger)
    try await app.test(.router, test)
}

extension TestResponse {
    var text: String { String(buffer: body) }
}
