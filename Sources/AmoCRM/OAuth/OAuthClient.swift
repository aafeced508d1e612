import Basics
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Storage

/// A new token pair from `POST /oauth2/access_token`.
public struct TokenPair: Sendable, Equatable {
    public var accessToken: String
    public var refreshToken: String
    /// Seconds the access token lives (86400).
    public var expiresIn: Int

    public init(accessToken: String, refreshToken: String, expiresIn: Int) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
    }
}

/// amoCRM's OAuth2 token endpoint: the code exchange and the refresh.
public struct OAuthClient: Sendable {
    let configuration: AmoCRMConfiguration
    let httpClient: HTTPClient
    let timeout: TimeAmount

    public init(configuration: AmoCRMConfiguration, httpClient: HTTPClient, timeout: TimeAmount = .seconds(15)) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.timeout = timeout
    }

    public func exchange(code: String) async throws(AmoCRMError) -> TokenPair {
        try await request(grant: "authorization_code", field: "code", value: code)
    }

    public func refresh(_ refreshToken: String) async throws(AmoCRMError) -> TokenPair {
        try await request(grant: "refresh_token", field: "refresh_token", value: refreshToken)
    }

    private func request(grant: String, field: String, value: String) async throws(AmoCRMError) -> TokenPair {
        guard let clientID = configuration.clientID, let clientSecret = configuration.clientSecret else {
            throw .needsReauthorization("AMOCRM_CLIENT_ID и AMOCRM_CLIENT_SECRET не заданы")
        }
        let body: [String: String] = [
            "client_id": clientID, "client_secret": clientSecret, "grant_type": grant, field: value,
            "redirect_uri": configuration.redirectURI,
        ]
        var request = HTTPClientRequest(url: configuration.baseURL + "/oauth2/access_token")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        let status: Int
        let bytes: ByteBuffer
        do {
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder.sorted.encode(body)))
            let response = try await httpClient.execute(request, timeout: timeout)
            status = Int(response.status.code)
            bytes = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw .unavailable("token endpoint: \(type(of: error))")
        }
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any]
        guard status == 200 else {
            let hint = json?["hint"] as? String
            let title = json?["title"] as? String
            let detail = [title, hint].compactMap { $0 }.joined(separator: ": ")
            switch status {
            case 401 where hint?.localizedCaseInsensitiveContains("revoked") == true:
                throw .needsReauthorization("refresh-токен отозван (\(detail))")
            case 401:
                throw .badClient(detail.isEmpty ? "HTTP 401" : detail)
            case 400 where grant == "authorization_code":
                throw .badCode(detail.isEmpty ? "HTTP 400" : detail)
            case 400:
                throw .needsReauthorization("amoCRM не принимает refresh-токен (\(detail))")
            case 429:
                throw .rateLimited
            default:
                throw .unavailable("token endpoint answered \(status)")
            }
        }
        guard let access = json?["access_token"] as? String, let refresh = json?["refresh_token"] as? String else {
            throw .invalidResponse("token response without access_token/refresh_token")
        }
        let expiresIn = (json?["expires_in"] as? Int) ?? 86_400
        return TokenPair(accessToken: access, refreshToken: refresh, expiresIn: expiresIn)
    }
}
