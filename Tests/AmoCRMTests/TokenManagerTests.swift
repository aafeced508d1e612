import Basics
import AmoCRM
import AsyncHTTPClient
import Foundation
import Logging
import Storage
import Testing
import TestSupport


/// A token manager on a fresh database, talking to `amo` at `url`.
func withTokens<T: Sendable>(
    _ url: String, amo: FakeAmoCRM, at location: DatabaseLocation? = nil, secret: String = FakeAmoCRM.clientSecret,
    clock: TestWallClock = TestWallClock(), _ body: (TokenManager, TokenStore) async throws -> T
) async throws -> T {
    var resolved = location
    if resolved == nil { resolved = try await DatabaseEngine.sqlite.freshDatabase() }
    let database = try await openDatabase(resolved!, logger: quietLogger)
    let configuration = AmoCRMConfiguration(
        subdomain: "example", baseURL: url, clientID: FakeAmoCRM.clientID, clientSecret: secret, redirectURI: amo.redirectURI)
    let store = TokenStore(database: database, account: "example")
    let manager = TokenManager(
        store: store, client: OAuthClient(configuration: configuration, httpClient: HTTPClient.shared), clock: clock,
        logger: quietLogger)
    do {
        let result = try await body(manager, store)
        await database.close()
        return result
    } catch {
        await database.close()
        throw error
    }
}


@Suite("amoCRM OAuth2 token lifecycle against a loopback amoCRM")
struct TokenManagerTests {
    @Test("the authorization code is exchanged once and the pair stored")
    func exchange() async throws {
        let amo = FakeAmoCRM()
        amo.addCode("code-1")
        try await amo.run { (url: String) async throws in
            try await withTokens(url, amo: amo) { (manager: TokenManager, store: TokenStore) async throws in
                try await manager.connect(code: "code-1")
                #expect(try await manager.accessToken() == amo.currentAccessToken)
                #expect(try await store.load()?.refreshToken == amo.currentRefreshToken)
                #expect(await manager.problem() == nil)
                await #expect(throws: AmoCRMError.self) { try await manager.connect(code: "code-1") }
            }
        }
    }

    @Test("a wrong client secret is reported as such, without the secret")
    func badClient() async throws {
        let amo = FakeAmoCRM()
        amo.addCode("code-1")
        try await amo.run { (url: String) async throws in
            try await withTokens(url, amo: amo, secret: "wrong-secret-value") { (manager: TokenManager, _: TokenStore) async throws in
                do {
                    try await manager.connect(code: "code-1")
                    Issue.record("expected an error")
                } catch let error as AmoCRMError {
                    guard case .badClient = error else { Issue.record("got \(error)"); return }
                    #expect(!"\(error)".contains("wrong-secret-value"))
                }
            }
        }
    }

    @Test("50 concurrent callers at expiry cause exactly one refresh, and nobody sees a revoked token")
    func singleRefresh() async throws {
        let amo = FakeAmoCRM()
        amo.addCode("code-1")
        amo.setRefreshDelay(.milliseconds(200))
        let clock = TestWallClock()
        try await amo.run { (url: String) async throws in
            try await withTokens(url, amo: amo, clock: clock) { (manager: TokenManager, _: TokenStore) async throws in
                try await manager.connect(code: "code-1")
                clock.advance(by: .seconds(86_000))  // within the refresh margin
                let tokens = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<50 { group.addTask { try await manager.accessToken() } }
                    return try await group.reduce(into: Set<String>()) { $0.insert($1) }
                }
                #expect(amo.refreshCalls == 1)
                #expect(tokens == [amo.currentAccessToken!])
            }
        }
    }

    @Test("two instances on one database refresh once between them", arguments: DatabaseEngine.allCases)
    func twoInstances(_ engine: DatabaseEngine) async throws {
        let amo = FakeAmoCRM()
        amo.addCode("code-1")
        amo.setRefreshDelay(.milliseconds(300))
        let path = try await engine.freshDatabase()
        let clock = TestWallClock()
        try await amo.run { (url: String) async throws in
            try await withTokens(url, amo: amo, at: path, clock: clock) { (first: TokenManager, _: TokenStore) async throws in
                try await first.connect(code: "code-1")
                try await withTokens(url, amo: amo, at: path, clock: clock) { (second: TokenManager, _: TokenStore) async throws in
                    clock.advance(by: .seconds(86_000))
                    async let a = first.accessToken()
                    async let b = second.accessToken()
                    let (tokenA, tokenB) = try await (a, b)
                    #expect(tokenA == tokenB)
                    #expect(amo.refreshCalls == 1)
                }
            }
        }
    }

    @Test("after a restart the rotated pair is used, and refreshing again works")
    func restart() async throws {
        let amo = FakeAmoCRM()
        amo.addCode("code-1")
        let path = try await DatabaseEngine.sqlite.freshDatabase()
        let clock = TestWallClock()
        try await amo.run { (url: String) async throws in
            try await withTokens(url, amo: amo, at: path, clock: clock) { (manager: TokenManager, _: TokenStore) async throws in
                try await manager.connect(code: "code-1")
                clock.advance(by: .seconds(86_000))
                _ = try await manager.accessToken()
            }
            try await withTokens(url, amo: amo, at: path, clock: clock) { (restarted: TokenManager, _: TokenStore) async throws in
                #expect(try await restarted.accessToken() == amo.currentAccessToken)
                clock.advance(by: .seconds(86_000))
                _ = try await restarted.accessToken()
                #expect(amo.refreshCalls == 2)
                #expect(await restarted.problem() == nil)
            }
        }
    }

    @Test("a revoked refresh token marks the connection as needing re-authorization, loudly and once")
    func revoked() async throws {
        let amo = FakeAmoCRM()
        amo.addCode("code-1")
        let clock = TestWallClock()
        try await amo.run { (url: String) async throws in
            try await withTokens(url, amo: amo, clock: clock) { (manager: TokenManager, store: TokenStore) async throws in
                try await manager.connect(code: "code-1")
                let stale = try #require(try await store.load())
                clock.advance(by: .seconds(86_000))
                _ = try await manager.accessToken()  // rotates
                // Someone restores the old pair (a backup, a second copy): its refresh token is dead.
                try await store.save(
                    TokenPair(accessToken: stale.accessToken, refreshToken: stale.refreshToken, expiresIn: 60), now: clock.now())
                await #expect(throws: AmoCRMError.self) { try await manager.accessToken() }
                #expect(await manager.problem()?.contains("переподключить") == true)
                let calls = amo.refreshCalls
                await #expect(throws: AmoCRMError.self) { try await manager.accessToken() }
                #expect(amo.refreshCalls == calls)  // no more calls with a dead token
            }
        }
    }

    @Test("after a 401 the stored pair is re-read first: a token someone else refreshed is used as is")
    func rejectedAfterOtherRefresh() async throws {
        let amo = FakeAmoCRM()
        amo.addCode("code-1")
        let path = try await DatabaseEngine.sqlite.freshDatabase()
        let clock = TestWallClock()
        try await amo.run { (url: String) async throws in
            try await withTokens(url, amo: amo, at: path, clock: clock) { (first: TokenManager, _: TokenStore) async throws in
                try await first.connect(code: "code-1")
                let old = try await first.accessToken()
                try await withTokens(url, amo: amo, at: path, clock: clock) { (second: TokenManager, _: TokenStore) async throws in
                    clock.advance(by: .seconds(86_000))
                    _ = try await second.accessToken()
                }
                #expect(amo.refreshCalls == 1)
                #expect(try await first.tokenRejected(old) == amo.currentAccessToken)
                #expect(amo.refreshCalls == 1)
            }
        }
    }

    @Test("no connection yet: callers are told to connect, not failed")
    func notConnected() async throws {
        let amo = FakeAmoCRM()
        try await amo.run { (url: String) async throws in
            try await withTokens(url, amo: amo) { (manager: TokenManager, _: TokenStore) async throws in
                await #expect(throws: AmoCRMError.needsReauthorization("amoCRM не подключён")) { try await manager.accessToken() }
                #expect(await manager.problem()?.contains("/admin/amocrm/connect") == true)
            }
        }
    }
}
