import AsyncHTTPClient
import Catalog
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import Testing
import TestSupport
import Web

@Suite("The site on a loopback Directus")
struct DirectusSiteTests {
    @Test("pages come from Directus; images redirect to its transformed assets")
    func pages() async throws {
        let directus = try FakeDirectus()
        try await directus.run { (url: String) async throws in
            let environment = ["DIRECTUS_URL": url, "DIRECTUS_TOKEN": FakeDirectus.serviceToken]
            let configuration = try AppConfiguration(environment: environment)
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let source = try makeCatalogSource(configuration: configuration, logger: logger)
            try await withApp(source: source, environment: environment) { client in
                let page = try await client.execute(uri: "/product/tokarnyj-stanok-chpu-ck6150", method: .get)
                #expect(page.status == .ok)
                #expect(page.text.contains("1\u{00A0}250\u{00A0}000\u{00A0}₽"))
                #expect(page.text.contains("Мощность главного двигателя"))
                #expect(page.headers[.contentSecurityPolicy]?.contains(url) == true)
                let home = try await client.execute(uri: "/", method: .get)
                #expect(home.text.contains("Прессы"))
                #expect(try await client.execute(uri: "/product/tokarnyj-stanok-chpu-ck6180", method: .get).status == .notFound)
                let asset = try await client.execute(uri: "/assets/9b1c2f4e-6a7d-4c1e-9f0a-2d3b00000001?preset=thumb", method: .get)
                #expect(asset.status == .found)
                #expect(asset.headers[.location] == "\(url)/assets/9b1c2f4e-6a7d-4c1e-9f0a-2d3b00000001?width=160&height=120&fit=cover&quality=80")
            }
        }
    }
}
