import Basics
import Foundation
import SQLKit
import Storage

/// The OAuth pair as stored: the access token, the single-use refresh token, and whether
/// the connection still works.
public struct StoredTokens: Sendable, Equatable {
    public var accessToken: String
    public var refreshToken: String
    public var expiresAt: Date
    /// When the pair was issued; an unused refresh token dies after 3 months, so the pair is
    /// refreshed at least daily.
    public var issuedAt: Date
    /// Set when the connection is dead until an admin reconnects it.
    public var reauthorizationReason: String?
}

/// `amocrm_tokens`: one row per account. A refresh is guarded by a lease in the same row,
/// so that only one process (and one task) uses a refresh token: amoCRM revokes the whole
/// connection when a refresh token is used twice.
public struct TokenStore: Sendable {
    let database: any Database
    let account: String

    public init(database: any Database, account: String) {
        self.database = database
        self.account = account
    }

    public func load() async throws -> StoredTokens? {
        try await database.read { db in
            try await db.raw("SELECT * FROM amocrm_tokens WHERE account = \(bind: account)").first().map(Self.decode)
        }
    }

    /// Commits a new pair (from a code exchange or a refresh) and clears any lease and
    /// re-authorization mark. Called before the new access token is used.
    public func save(_ pair: TokenPair, now: Date) async throws {
        // amoCRM says a day; whatever it says, a year at most (and no date arithmetic that traps).
        let expires = now.addingTimeInterval(TimeInterval(min(max(pair.expiresIn, 0), 365 * 86_400))).milliseconds
        try await database.transaction { db in
            try await db.raw(
                """
                INSERT INTO amocrm_tokens (account, access_token, refresh_token, expires_at, issued_at, reauth_reason, lease_owner, lease_expires_at)
                VALUES (\(bind: account), \(bind: pair.accessToken), \(bind: pair.refreshToken), \(bind: expires), \(bind: now.milliseconds), NULL, NULL, NULL)
                ON CONFLICT (account) DO UPDATE SET access_token = excluded.access_token, refresh_token = excluded.refresh_token,
                    expires_at = excluded.expires_at, issued_at = excluded.issued_at, reauth_reason = NULL,
                    lease_owner = NULL, lease_expires_at = NULL
                """
            ).run()
        }
    }

    /// Takes the refresh lease if nobody holds it and the stored refresh token is still
    /// `expected`; returns false otherwise (someone else refreshed or is refreshing).
    public func acquireRefreshLease(owner: String, expected refreshToken: String, lease: Duration, now: Date) async throws -> Bool {
        let nowMS = now.milliseconds
        let until = nowMS + lease.milliseconds
        return try await database.transaction { db in
            let rows = try await db.raw(
                """
                UPDATE amocrm_tokens SET lease_owner = \(bind: owner), lease_expires_at = \(bind: until)
                WHERE account = \(bind: account) AND refresh_token = \(bind: refreshToken) AND reauth_reason IS NULL
                  AND (lease_expires_at IS NULL OR lease_expires_at < \(bind: nowMS))
                RETURNING account
                """
            ).all()
            return !rows.isEmpty
        }
    }

    public func releaseLease(owner: String) async throws {
        try await database.transaction { db in
            try await db.raw(
                "UPDATE amocrm_tokens SET lease_owner = NULL, lease_expires_at = NULL WHERE account = \(bind: account) AND lease_owner = \(bind: owner)"
            ).run()
        }
    }

    /// The connection is dead until an admin reconnects it.
    public func markNeedsReauthorization(_ reason: String) async throws {
        try await database.transaction { db in
            try await db.raw(
                """
                UPDATE amocrm_tokens SET reauth_reason = \(bind: reason), lease_owner = NULL, lease_expires_at = NULL
                WHERE account = \(bind: account)
                """
            ).run()
        }
    }

    static func decode(_ row: any SQLRow) throws -> StoredTokens {
        StoredTokens(
            accessToken: try row.decode(column: "access_token", as: String.self),
            refreshToken: try row.decode(column: "refresh_token", as: String.self),
            expiresAt: Date(milliseconds: try row.decode(column: "expires_at", as: Int64.self)),
            issuedAt: Date(milliseconds: try row.decode(column: "issued_at", as: Int64.self)),
            reauthorizationReason: try row.decodeNil(column: "reauth_reason") ? nil : try row.decode(column: "reauth_reason", as: String.self))
    }
}
