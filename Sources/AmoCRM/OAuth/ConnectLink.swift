import Basics
import Foundation
import Logging
import Storage

/// What connecting the account needs to know – where to send the admin and which account
/// the redirect must name – without the client secret or tokens.
public struct AmoCRMAccount: Sendable {
    public let subdomain: String
    public let baseURL: String
    public let authURL: String
    public let clientID: String?

    public var accountHost: String { "\(subdomain).amocrm.ru" }
}

extension AmoCRMConfiguration {
    public var account: AmoCRMAccount {
        AmoCRMAccount(subdomain: subdomain, baseURL: baseURL, authURL: authURL, clientID: clientID)
    }
}

extension AmoCRMAccount {
    /// amoCRM's authorization page with this integration's client id, a `state` and
    /// `mode=post_message`.
    public func authorizationURL(state: String) -> String {
        var components = URLComponents(string: authURL)
        components?.queryItems = [
            URLQueryItem(name: "client_id", value: clientID ?? ""),
            URLQueryItem(name: "state", value: state),
            URLQueryItem(name: "mode", value: "post_message"),
        ]
        return components?.string ?? authURL
    }

    /// Whether the `referer` of an OAuth redirect names this account (`example.amocrm.ru`).
    public func isThisAccount(referer: String) -> Bool {
        let host = (URL(string: referer.contains("://") ? referer : "https://" + referer)?.host ?? referer).lowercased()
        let base = URL(string: baseURL)?.host?.lowercased()
        return host == accountHost.lowercased() || host == base
    }
}

/// The authorization link for the command line (`catalog-bff amocrm-connect-url`): its
/// state is stored in the database the running server reads, so the redirect is accepted
/// within `OAuthStates.lifetime`.
public enum ConnectLink {
    public static func make(_ amo: AmoCRMConfiguration, database location: DatabaseLocation, logger: Logger) async throws -> String {
        let database = try await openDatabase(location, logger: logger)
        let state: String
        do {
            state = try await OAuthStates(database: database, clock: SystemClock()).issue()
        } catch {
            await database.close()
            throw error
        }
        await database.close()
        return amo.account.authorizationURL(state: state)
    }
}
