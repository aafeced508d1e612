import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import Web

@Suite("Connecting amoCRM from the admin")
struct AmoCRMConnectTests {
    static let admin: HTTPFields = [.authorization: "Bearer adm1n-t0ken"]

    func environment(_ url: String) -> [String: String] {
        [
            "ADMIN_TOKEN": "adm1n-t0ken", "AMOCRM_SUBDOMAIN": "example", "AMOCRM_BASE_URL": url,
            "AMOCRM_CLIENT_ID": FakeAmoCRM.clientID, "AMOCRM_CLIENT_SECRET": FakeAmoCRM.clientSecret,
            "AMOCRM_AUTH_URL": "https://www.amocrm.ru/oauth",
        ]
    }

    func state(from location: String) throws -> String {
        let items = URLComponents(string: location)?.queryItems ?? []
        return try #require(items.first { $0.name == "state" }?.value)
    }

    @Test("connect sends the admin to amoCRM with client_id, state and mode=post_message; the redirect stores the tokens")
    func connect() async throws {
        let amo = FakeAmoCRM(redirectURI: "http://127.0.0.1:8080/webhook/amocrm")
        amo.addCode("code-1")
        try await amo.run { (url: String) async throws in
            try await withApp(environment: environment(url)) { (client: any TestClientProtocol) async throws in
                let before = try await client.execute(uri: "/readyz", method: .get).text
                #expect(before.contains(#""status":"degraded""#))
                #expect(before.contains("amoCRM не подключён"))

                let connect = try await client.execute(uri: "/admin/amocrm/connect", method: .get, headers: Self.admin)
                #expect(connect.status == .found)
                let location = try #require(connect.headers[.location])
                #expect(location.hasPrefix("https://www.amocrm.ru/oauth?client_id=\(FakeAmoCRM.clientID)&state="))
                #expect(location.hasSuffix("&mode=post_message"))
                let state = try state(from: location)

                let done = try await client.execute(
                    uri: "/webhook/amocrm?code=code-1&referer=example.amocrm.ru&state=\(state)", method: .get)
                #expect(done.status == .ok)
                #expect(done.text.contains("amoCRM подключён"))
                let after = try await client.execute(uri: "/readyz", method: .get).text
                #expect(after.contains(#""amocrm":"ok""#))
                #expect(try await client.execute(uri: "/metrics", method: .get).text.contains("amocrm_connected 1"))

                let again = try await client.execute(
                    uri: "/webhook/amocrm?code=code-1&referer=example.amocrm.ru&state=\(state)", method: .get)
                #expect(again.status == .badGateway)
                #expect(again.text.contains("Код авторизации устарел или уже использован"))
            }
        }
    }

    @Test("a redirect without a valid state, or for another account, is refused")
    func refused() async throws {
        let amo = FakeAmoCRM(redirectURI: "http://127.0.0.1:8080/webhook/amocrm")
        amo.addCode("code-1")
        try await amo.run { (url: String) async throws in
            try await withApp(environment: environment(url)) { (client: any TestClientProtocol) async throws in
                let forged = try await client.execute(uri: "/webhook/amocrm?code=code-1&state=1.abc", method: .get)
                #expect(forged.status == .forbidden)
                let location = try #require(
                    try await client.execute(uri: "/admin/amocrm/connect", method: .get, headers: Self.admin).headers[.location])
                let other = try await client.execute(
                    uri: "/webhook/amocrm?code=code-1&referer=evil.amocrm.ru&state=\(try state(from: location))", method: .get)
                #expect(other.status == .forbidden)
                #expect(other.text.contains("другого аккаунта"))
                #expect(try await client.execute(uri: "/admin/amocrm/connect", method: .get).status == .unauthorized)
            }
        }
    }

    @Test("AMOCRM_SUBDOMAIN without client credentials stops start-up with the variable named")
    func configuration() {
        #expect(throws: ConfigurationError(variable: "AMOCRM_CLIENT_ID", reason: "is required with AMOCRM_SUBDOMAIN (or set AMOCRM_LONG_LIVED_TOKEN)")) {
            try AppConfiguration(environment: ["AMOCRM_SUBDOMAIN": "example"])
        }
    }
}
