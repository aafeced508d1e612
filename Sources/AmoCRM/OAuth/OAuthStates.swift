import Basics
import Foundation
import SQLKit
import Storage

/// The `state` of amoCRM's authorization redirect (OAuth 2.0, RFC 6749 §10.12): a random
/// value issued when an admin starts connecting (`/admin/amocrm/connect` or
/// `catalog-bff amocrm-connect-url`), kept in the database for ten minutes, and deleted when
/// the redirect brings it back. A callback without a live state exchanges nothing, so a code
/// obtained elsewhere cannot replace the stored tokens or spend the client secret.
public struct OAuthStates: Sendable {
    public static let lifetime: Duration = .seconds(600)
    /// Live states kept at most; only admins create them, this only bounds a runaway script.
    static let maxLive = 100

    let database: any Database
    let clock: any WallClock

    public init(database: any Database, clock: any WallClock) {
        self.database = database
        self.clock = clock
    }

    /// A new state, stored before it is handed out.
    public func issue() async throws -> String {
        let state = RandomHex.make(bytes: 32)
        let nowMS = clock.now().milliseconds
        try await database.transaction { db in
            try await db.raw("DELETE FROM oauth_states WHERE expires_at <= \(bind: nowMS)").run()
            try await db.raw(
                "INSERT INTO oauth_states (state, expires_at) VALUES (\(bind: state), \(bind: nowMS + Self.lifetime.milliseconds))"
            ).run()
            try await db.raw(
                """
                DELETE FROM oauth_states WHERE state NOT IN
                    (SELECT state FROM oauth_states ORDER BY expires_at DESC LIMIT \(literal: Self.maxLive))
                """
            ).run()
        }
        return state
    }

    /// Whether `state` was issued here and is still live; a live state is used up by this call.
    public func consume(_ state: String?) async throws -> Bool {
        guard let state, state.utf8.count == 64, state.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            return false
        }
        let nowMS = clock.now().milliseconds
        return try await database.transaction { db in
            let rows = try await db.raw(
                "DELETE FROM oauth_states WHERE state = \(bind: state) AND expires_at > \(bind: nowMS) RETURNING state"
            ).all()
            return !rows.isEmpty
        }
    }
}
