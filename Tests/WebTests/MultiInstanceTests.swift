import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Storage
import Testing
import TestSupport

@testable import Web

/// Several instances on one PostgreSQL database, as a deployment runs them.
@Suite("Instances of one deployment")
struct MultiInstanceTests {
    static let secret = "hook-secret-for-tests"
    static let product = "/product/tokarnyj-stanok-chpu-ck6150"

    @Test("a Directus purge received by one instance is seen on another's next request within a second")
    func purgeFanOut() async throws {
        guard case .postgres(let databaseURL) = try await DatabaseEngine.postgres.freshDatabase() else { return }
        let directus = try FakeDirectus()
        try await directus.run { (url: String) async throws in
            let shared = [
                "DIRECTUS_URL": url, "DIRECTUS_TOKEN": FakeDirectus.serviceToken, "DIRECTUS_WEBHOOK_SECRET": Self.secret,
                "DATABASE_URL": databaseURL,
            ]
            let source = try makeCatalogSource(configuration: try AppConfiguration(environment: shared), logger: quietLogger)
            try await withApp(source: source, environment: shared.merging(["INSTANCE_ID": "a"]) { $1 }) { (a: any TestClientProtocol) async throws in
                let other = try makeCatalogSource(configuration: try AppConfiguration(environment: shared), logger: quietLogger)
                try await withApp(source: other, environment: shared.merging(["INSTANCE_ID": "b"]) { $1 }) { (b: any TestClientProtocol) async throws in
                    for client in [a, b] {
                        #expect(try await client.execute(uri: Self.product, method: .get).text.contains("1\u{00A0}250\u{00A0}000\u{00A0}₽"))
                    }
                    directus.update("products", id: 1, field: "price", to: .string("990000.00"))
                    let purge = try await a.execute(
                        uri: "/webhook/directus", method: .post,
                        headers: [HTTPField.Name("X-Webhook-Secret")!: Self.secret, .contentType: "application/json"],
                        body: ByteBuffer(string: #"{"event":"products.items.update","collection":"products","keys":[1]}"#))
                    #expect(purge.status == .ok)
                    #expect(try await eventually(timeout: .seconds(1)) {
                        try await b.execute(uri: Self.product, method: .get).text.contains("990\u{00A0}000\u{00A0}₽")
                    })
                }
            }
        }
    }
}
