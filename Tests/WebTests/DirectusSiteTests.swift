import AsyncHTTPClient
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TestSupport
import Web

@Suite("The site on a loopback Directus")
struct DirectusSiteTests {
    @Test("pages come from Directus; drafts stay hidden")
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
                let home = try await client.execute(uri: "/", method: .get)
                #expect(home.text.contains("Прессы"))
                #expect(try await client.execute(uri: "/product/tokarnyj-stanok-chpu-ck6180", method: .get).status == .notFound)
            }
        }
    }

    @Test("the Directus webhook drops a changed product: its new price shows on the next request")
    func webhookPurge() async throws {
        let directus = try FakeDirectus()
        try await directus.run { (url: String) async throws in
            let environment = ["DIRECTUS_URL": url, "DIRECTUS_TOKEN": FakeDirectus.serviceToken, "DIRECTUS_WEBHOOK_SECRET": "hook-secret-for-tests"]
            let configuration = try AppConfiguration(environment: environment)
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let source = try makeCatalogSource(configuration: configuration, logger: logger)
            try await withApp(source: source, environment: environment) { (client: any TestClientProtocol) async throws in
                let path = "/product/tokarnyj-stanok-chpu-ck6150"
                #expect(try await client.execute(uri: path, method: .get).text.contains("1\u{00A0}250\u{00A0}000\u{00A0}₽"))
                directus.update("products", id: 1, field: "price", to: .string("1190000.00"))
                #expect(try await client.execute(uri: path, method: .get).text.contains("1\u{00A0}250\u{00A0}000\u{00A0}₽"))  // still fresh

                let event = #"{"event":"products.items.update","collection":"products","keys":["1"],"payload":{"price":"1190000.00"}}"#
                let wrong = try await client.execute(
                    uri: "/webhook/directus", method: .post,
                    headers: [.contentType: "application/json", HTTPField.Name("X-Webhook-Secret")!: "nope"], body: ByteBuffer(string: event))
                #expect(wrong.status == .unauthorized)
                let accepted = try await client.execute(
                    uri: "/webhook/directus", method: .post,
                    headers: [.contentType: "application/json", HTTPField.Name("X-Webhook-Secret")!: "hook-secret-for-tests"], body: ByteBuffer(string: event))
                #expect(accepted.status == .ok)
                #expect(try await client.execute(uri: path, method: .get).text.contains("1\u{00A0}190\u{00A0}000\u{00A0}₽"))
                let catalog = try await client.execute(uri: "/catalog/tokarnye-stanki-chpu", method: .get).text
                #expect(catalog.contains("1\u{00A0}190\u{00A0}000\u{00A0}₽"))
            }
        }
    }

    @Test("without DIRECTUS_WEBHOOK_SECRET the webhook does not exist")
    func webhookOff() async throws {
        try await withApp { (client: any TestClientProtocol) async throws in
            let response = try await client.execute(
                uri: "/webhook/directus", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{}"))
            #expect(response.status == .notFound)
        }
    }
}
