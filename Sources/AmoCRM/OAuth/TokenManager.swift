import AsyncHTTPClient
import Basics
import CoreMetrics
import Foundation
import Logging
import Storage

/// Hands out a valid amoCRM access token and keeps the connection alive.
///
/// The refresh token is single-use and rotates; using it twice revokes the connection.
/// So: one refresh at a time in this process (a shared task) and across processes (a
/// lease in the token row); the new pair is committed before it is used; after a 401 the
/// stored pair is re-read first, because another worker may already have refreshed. The
/// pair is refreshed ahead of expiry and at least daily (an unused refresh token dies after
/// three months). A revoked token marks the connection "needs re-authorization": callers
/// then wait instead of failing their leads.
public actor TokenManager {
    let store: TokenStore
    let client: OAuthClient
    let longLivedToken: String?
    /// Token expiry, the daily refresh and the refresh lease are judged by this clock.
    public nonisolated let clock: any WallClock
    let logger: Logger
    let owner = "tokens-\(ProcessInfo.processInfo.processIdentifier)-\(UInt64.random(in: 0...UInt64.max))"
    /// Refresh when less than this is left of the access token's life.
    let refreshMargin: TimeInterval
    /// Refresh a pair older than this even when it is still valid.
    let maxAge: TimeInterval
    private var refreshing: Task<String, any Error>?
    /// Refreshes that failed in a row, and the last reason (alerts: "the refresh keeps failing");
    /// nil until this process has tried one (it knows nothing of other instances' tries).
    public private(set) var failedRefreshes: (count: Int, reason: String?)?
    private let refreshed: Counter
    /// Failed refreshes by kind: `rejected`, `unavailable`.
    private let refreshFailures: [String: Counter]

    public init(
        store: TokenStore, client: OAuthClient, longLivedToken: String? = nil, clock: any WallClock,
        metrics: any MetricsFactory = NOOPMetricsHandler.instance, logger: Logger,
        refreshMargin: TimeInterval = 3600, maxAge: TimeInterval = 86_400
    ) {
        refreshed = Counter(label: "amocrm_token_refreshes_total", factory: metrics)
        refreshFailures = Dictionary(uniqueKeysWithValues: ["rejected", "unavailable"].map { kind in
            (kind, Counter(label: "amocrm_token_refresh_failures_total", dimensions: [("kind", kind)], factory: metrics))
        })
        self.store = store
        self.clock = clock
        self.client = client
        self.longLivedToken = longLivedToken
        self.logger = logger
        self.refreshMargin = refreshMargin
        self.maxAge = maxAge
    }

    /// A usable access token, refreshing first when it is due.
    public func accessToken() async throws -> String {
        if let longLivedToken { return longLivedToken }
        let now = clock.now()
        let tokens = try await current()
        let due = tokens.expiresAt.timeIntervalSince(now) < refreshMargin || now.timeIntervalSince(tokens.issuedAt) > maxAge
        guard due else { return tokens.accessToken }
        do {
            return try await refresh(from: tokens.refreshToken)
        } catch AmoCRMError.unavailable(let reason) where tokens.expiresAt > now {
            // amoCRM's token endpoint is down, but the token in hand still works: use it.
            logger.warning("amoCRM token refresh failed, using the current token", metadata: ["error": "\(reason)"])
            return tokens.accessToken
        }
    }

    /// After a 401 with `token`: a newer stored token if someone refreshed, else a refresh.
    public func tokenRejected(_ token: String) async throws -> String {
        if longLivedToken != nil {
            throw AmoCRMError.needsReauthorization("amoCRM не принимает долгосрочный токен AMOCRM_LONG_LIVED_TOKEN")
        }
        let tokens = try await current()
        if tokens.accessToken != token { return tokens.accessToken }
        return try await refresh(from: tokens.refreshToken)
    }

    /// Exchanges the authorization code from the OAuth redirect and stores the pair.
    public func connect(code: String) async throws {
        let pair = try await client.exchange(code: code)
        try await store.save(pair, now: clock.now())
        logger.notice("amoCRM connected")
    }

    /// Nil when connected; otherwise what is wrong, for `/readyz` and the admin page.
    public func problem() async -> String? {
        await status().problem
    }

    /// What `problem()` says, and when the stored access token expires (nil when there is none,
    /// or with a long-lived token), from one read of the stored tokens.
    public func status() async -> (problem: String?, expiry: Date?) {
        if longLivedToken != nil { return (nil, nil) }
        do {
            guard let tokens = try await store.load() else { return ("amoCRM не подключён: откройте /admin/amocrm/connect", nil) }
            return (tokens.reauthorizationReason.map { "нужно переподключить amoCRM: \($0)" }, tokens.expiresAt)
        } catch {
            return ("токены amoCRM недоступны: \(error)", nil)
        }
    }

    private func current() async throws -> StoredTokens {
        guard let tokens = try await store.load() else {
            throw AmoCRMError.needsReauthorization("amoCRM не подключён")
        }
        if let reason = tokens.reauthorizationReason { throw AmoCRMError.needsReauthorization(reason) }
        return tokens
    }

    /// One refresh at a time: concurrent callers share it.
    private func refresh(from refreshToken: String) async throws -> String {
        if let refreshing { return try await refreshing.value }
        let task = Task { try await self.performRefresh(from: refreshToken) }
        refreshing = task
        defer { refreshing = nil }
        return try await task.value
    }

    private func refreshFailed(_ kind: String, reason: String) {
        failedRefreshes = ((failedRefreshes?.count ?? 0) + 1, reason)
        refreshFailures[kind]?.increment()
    }

    private func performRefresh(from expected: String) async throws -> String {
        // Waiting for another process's refresh – its network call to amoCRM – takes real time
        // whatever the application's clock says (a test's clock stands still meanwhile).
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await store.acquireRefreshLease(owner: owner, expected: expected, lease: .seconds(30), now: clock.now()) {
                do {
                    let pair = try await client.refresh(expected)
                    // The old refresh token is dead now: commit the new pair before using it.
                    try await store.save(pair, now: clock.now())
                    failedRefreshes = (0, nil)
                    refreshed.increment()
                    logger.info("amoCRM tokens refreshed")
                    return pair.accessToken
                } catch AmoCRMError.needsReauthorization(let reason) {
                    refreshFailed("rejected", reason: reason)
                    try? await store.markNeedsReauthorization(reason)
                    logger.critical("amoCRM connection lost: re-authorize it in /admin/amocrm/connect", metadata: ["reason": "\(reason)"])
                    throw AmoCRMError.needsReauthorization(reason)
                } catch {
                    refreshFailed("unavailable", reason: "\(error)")
                    try? await store.releaseLease(owner: owner)
                    throw error
                }
            }
            // Another process holds the lease or has already refreshed: read what it stored.
            let stored = try await current()
            if stored.refreshToken != expected { return stored.accessToken }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw AmoCRMError.unavailable("another instance is still refreshing the amoCRM token")
    }
}

extension TokenManager {
    /// The tokens of `amo` kept in `database` (or its long-lived token): what `serve`, the doctor
    /// and `amocrm-setup` all talk to amoCRM through.
    public static func stored(
        for amo: AmoCRMConfiguration, in database: any Database, clock: any WallClock,
        metrics: any MetricsFactory = NOOPMetricsHandler.instance, logger: Logger
    ) -> TokenManager {
        TokenManager(
            store: TokenStore(database: database, account: amo.subdomain),
            client: OAuthClient(configuration: amo, httpClient: .shared), longLivedToken: amo.longLivedToken,
            clock: clock, metrics: metrics, logger: logger)
    }
}
