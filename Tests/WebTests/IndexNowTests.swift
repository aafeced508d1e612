import Basics
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import Web

@Suite("IndexNow")
struct IndexNowTests {
    static let key = "5f0c2a9e7b4d4e1c8a6b3d2f1e0a9c7b"

    @Test("with INDEXNOW_KEY the key is served as plain text at /{key}.txt, and only there")
    func keyFile() async throws {
        try await withApp(environment: ["INDEXNOW_KEY": Self.key]) { (client: any TestClientProtocol) async throws in
            let file = try await client.execute(uri: "/\(Self.key).txt", method: .get)
            #expect(file.status == .ok)
            #expect(file.text == Self.key)
            #expect(file.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(try await client.execute(uri: "/0123456789abcdef.txt", method: .get).status == .notFound)
        }
        // Off without the key: no such file.
        try await withApp { (client: any TestClientProtocol) async throws in
            #expect(try await client.execute(uri: "/\(Self.key).txt", method: .get).status == .notFound)
        }
    }

    @Test("a key IndexNow would refuse stops start-up, naming the variable; the endpoint defaults to Yandex's")
    func settings() throws {
        for bad in ["short", String(repeating: "a", count: 129), "key_with_underscore", "ключ-ключ-ключ"] {
            #expect(throws: ConfigurationError.self) { try AppConfiguration(environment: ["INDEXNOW_KEY": bad]) }
        }
        #expect(try AppConfiguration(environment: [:]).indexNow == IndexNowSettings())
        #expect(try AppConfiguration(environment: [:]).indexNow.endpoint == "https://yandex.com/indexnow")
        #expect(try AppConfiguration(environment: ["INDEXNOW_ENDPOINT": "http://127.0.0.1:9/indexnow/"]).indexNow.endpoint == "http://127.0.0.1:9/indexnow")
    }
}
