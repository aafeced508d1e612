import Basics
import AmoCRM
import AsyncHTTPClient
import Catalog
import Foundation
import Leads
import Mail
import Mustache
import Storage
import Testing
import TestSupport

@testable import Passport

@Suite("Passport worker")
struct PassportWorkerTests {
    @Test("a retry that is due but cannot be made (another instance holds the amoCRM role) is no reason to spin: it sleeps its idle poll")
    func noSpinWhileBlocked() async throws {
        let location = try await DatabaseEngine.sqlite.freshDatabase()
        let database = try await openDatabase(location, logger: quietLogger)
        let clock = TestWallClock()
        // amoCRM where nothing listens: the first look fails and sets a retry a second later.
        let amo = AmoCRMConfiguration(
            subdomain: "example", baseURL: "http://127.0.0.1:9", clientID: nil, clientSecret: nil, redirectURI: "http://127.0.0.1/cb",
            longLivedToken: "long-lived-t0ken-for-tests")
        let tokens = TokenManager(
            store: TokenStore(database: database, account: "example"), client: OAuthClient(configuration: amo, httpClient: .shared),
            longLivedToken: amo.longLivedToken, clock: clock, logger: quietLogger)
        let deals = AmoCRMDeals(api: AmoCRMAPI(configuration: amo, httpClient: .shared, tokens: tokens, timeout: .seconds(2)))
        let store = PassportStore(database: database, clock: clock)
        let mail = PassportMail(
            transport: FileMailTransport(directory: NSTemporaryDirectory() + "/passport-mail-\(UUID().uuidString)"), from: MailAddress("a@example.ru"),
            to: [MailAddress("b@example.ru")], templates: MustacheLibrary(), pageURL: { "https://example.ru/passport/" + $0 })
        let worker = PassportWorker(
            store: store,
            issuer: PassportIssuer(
                deals: deals, fields: .init(), leads: LeadStore(database: database, clock: clock, logger: quietLogger),
                catalog: Catalog(source: try DemoCatalogSource(), logger: quietLogger), warrantyMonths: 12, productURL: { _ in "" }),
            deals: deals, tokens: tokens, mail: mail, pageURL: { $0 }, instance: "b", logger: quietLogger)
        try await AmoCRMEvents(database: database, clock: clock).record([StatusEvent(leadID: 30_000_001, statusID: StatusEvent.won)])
        #expect(await !worker.runOnce())
        #expect(try await store.pendingEvents(limit: 10).count == 1)

        // The retry comes due, but instance "a" holds the role by then.
        clock.advance(by: .seconds(6))
        #expect(try await Instances(database: database, clock: clock).hold("amocrm", for: "a", duration: .seconds(600)))
        let start = clock.now()
        let running = Task { try await worker.run() }
        #expect(try await eventually { clock.nextDeadline == start.addingTimeInterval(30) })
        #expect(clock.sleeping == 1)
        running.cancel()
        _ = await running.result
        await database.close()
    }
}
