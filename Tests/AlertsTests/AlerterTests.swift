import Basics
import SafeText
import Foundation
import Logging
import Mail
import Mustache
import Storage
import Synchronization
import Testing
import TestSupport

@testable import Alerts

/// Incidents and their mail, over a real database and a real SMTP server.
@Suite("Operator alerts", .serialized)
struct AlerterTests {
    /// What the checks report, set by the test.
    final class Conditions: Sendable {
        private let signals = Mutex<[String: AlertSignal]>([:])
        let keys: [String]

        init(keys: [String]) { self.keys = keys }

        func set(_ signal: AlertSignal) { signals.withLock { $0[signal.key] = signal } }
        func clear(_ key: String) { _ = signals.withLock { $0.removeValue(forKey: key) } }

        func checks() -> [AlertCheck] {
            let current = signals.withLock { $0 }
            return keys.map { AlertCheck(key: $0, signal: current[$0]) }
        }
    }

    static func smtp(_ server: SMTPTestServer) -> SMTPMailTransport {
        SMTPMailTransport(
            configuration: .init(
                host: "127.0.0.1", port: server.port, security: .ssl, user: server.user, password: server.password, caFile: server.caFile,
                connectTimeout: .seconds(3), timeout: .seconds(10)))
    }

    static func alerter(
        database: any Database, clock: TestWallClock, transport: any MailTransport, conditions: Conditions, instance: String? = nil,
        logger: Logger = quietLogger
    ) async throws -> Alerter {
        let mail = AlertMail(
            transport: transport, from: MailAddress("orders@example.ru"), to: [MailAddress("ops@example.ru")],
            templates: try MustacheLibrary(safeHTMLDirectory: "templates/mail"), adminURL: "https://shop.example.ru/admin")
        return Alerter(
            store: AlertStore(database: database, clock: clock), mail: mail,
            configuration: .init(
                leader: instance.map { Alerter.roleLeader(instance: $0, database: database, clock: clock, duration: .seconds(30)) } ?? { @Sendable in true }),
            logger: logger,
            checks: { conditions.checks() })
    }

    @Test("a failing channel is an incident after ALERT_AFTER: mailed once while it lasts, and once when it clears", arguments: DatabaseEngine.allCases)
    func oncePerIncident(_ engine: DatabaseEngine) async throws {
        let server = try SMTPTestServer()
        defer { server.stop() }
        let database = try await openDatabase(try await engine.freshDatabase(), logger: quietLogger)
        let clock = TestWallClock()
        let conditions = Conditions(keys: ["channel.amocrm", "directus"])
        let alerter = try await Self.alerter(database: database, clock: clock, transport: Self.smtp(server), conditions: conditions)
        let down = AlertSignal(
            key: "channel.amocrm", title: "Доставка заявок в amoCRM не работает", detail: "amoCRM отвечает 503.\nЗаявки сохраняются.",
            since: clock.now(), after: .seconds(600))
        conditions.set(down)

        // A blip is no incident: nothing before ten minutes.
        await alerter.runOnce()
        clock.advance(by: .seconds(540))
        await alerter.runOnce()
        #expect(try await AlertStore(database: database, clock: clock).openIncidents().isEmpty)
        #expect(server.messages().isEmpty)

        clock.advance(by: .seconds(61))
        for _ in 0..<3 {
            await alerter.runOnce()
            clock.advance(by: .seconds(10))
        }
        let opened = try await server.waitForMessages(1)
        #expect(opened.count == 1)
        #expect(decodeHeader(header("Subject", in: opened[0]) ?? "") == "[catalog-bff] Тревога: Доставка заявок в amoCRM не работает")
        #expect(header("X-Envelope-To", in: opened[0]) == "ops@example.ru")
        #expect(bodyParts(opened[0])[0].contains("amoCRM отвечает 503."))
        #expect(bodyParts(opened[0])[0].contains("Админка: https://shop.example.ru/admin"))

        // It clears: one more mail, then silence.
        conditions.clear("channel.amocrm")
        for _ in 0..<3 {
            await alerter.runOnce()
            clock.advance(by: .seconds(10))
        }
        let all = try await server.waitForMessages(2)
        #expect(all.count == 2)
        // The mail folder does not keep the order they came in.
        let cleared = try #require(all.first { decodeHeader(header("Subject", in: $0) ?? "").contains("Восстановлено") })
        #expect(decodeHeader(header("Subject", in: cleared) ?? "") == "[catalog-bff] Восстановлено: Доставка заявок в amoCRM не работает")
        #expect(bodyParts(cleared)[0].contains("Закончилось:"))
        #expect(try await AlertStore(database: database, clock: clock).mailDue().isEmpty)

        // The same trouble again later is a new incident.
        conditions.set(AlertSignal(key: "channel.amocrm", title: down.title, detail: down.detail, since: clock.now(), after: .zero))
        await alerter.runOnce()
        #expect(try await server.waitForMessages(3).count == 3)
        #expect(try await AlertStore(database: database, clock: clock).recent(limit: 10).count == 2)
        await database.close()
    }

    @Test("while the mail server is the trouble the alert is logged at critical, once; it is mailed once mail works again, as one message", arguments: [DatabaseEngine.sqlite])
    func mailItselfDown(_ engine: DatabaseEngine) async throws {
        let database = try await openDatabase(try await engine.freshDatabase(), logger: quietLogger)
        let clock = TestWallClock()
        let log = LogCapture()
        let conditions = Conditions(keys: ["channel.email"])
        // Nothing listens on the port yet: every send fails.
        let probe = try SMTPTestServer()
        let port = probe.port
        let certificates = probe.certificateDirectory
        let transport = Self.smtp(probe)
        probe.stop()
        let alerter = try await Self.alerter(
            database: database, clock: clock, transport: transport, conditions: conditions, logger: log.logger(level: .info))
        conditions.set(
            AlertSignal(
                key: "channel.email", title: "Почта (SMTP) не работает", detail: "connection refused", since: clock.now(), after: .zero,
                blocksMail: true))
        for _ in 0..<5 {
            await alerter.runOnce()
            clock.advance(by: .seconds(10))
        }
        let store = AlertStore(database: database, clock: clock)
        let open = try await store.openIncidents()
        #expect(open.map(\.key) == ["channel.email"])
        #expect(open.first?.openMailedAt == nil)
        // Tried once (it failed), not at every round; the log said so once, loudly.
        #expect(open.first?.mailError?.contains("mail service unavailable") == true)
        let unsent = log.text.split(separator: "\n").filter { $0.contains("alert not mailed: Почта (SMTP) не работает") }
        #expect(unsent.count == 1)
        #expect(unsent.first?.hasPrefix("critical") == true)

        // Mail works again: the channel's breaker closes, and the incident goes out once, as cleared.
        let server = try SMTPTestServer(port: port, certificates: certificates)
        defer { server.stop() }
        conditions.clear("channel.email")
        for _ in 0..<3 {
            await alerter.runOnce()
            clock.advance(by: .seconds(10))
        }
        let messages = try await server.waitForMessages(1)
        #expect(messages.count == 1)
        #expect(decodeHeader(header("Subject", in: messages[0]) ?? "") == "[catalog-bff] Восстановлено: Почта (SMTP) не работает")
        let text = bodyParts(messages[0])[0]
        #expect(text.contains("Началось:") && text.contains("Закончилось:"))
        #expect(try await store.mailDue().isEmpty)
        await database.close()
    }

    @Test("a mail that fails is tried again (not at every round) and sent once the server answers", arguments: [DatabaseEngine.sqlite])
    func mailRetried(_ engine: DatabaseEngine) async throws {
        let database = try await openDatabase(try await engine.freshDatabase(), logger: quietLogger)
        let clock = TestWallClock()
        let conditions = Conditions(keys: ["outbox.dead.amocrm"])
        let server = try SMTPTestServer(refuse: 1)
        defer { server.stop() }
        let alerter = try await Self.alerter(database: database, clock: clock, transport: Self.smtp(server), conditions: conditions)
        conditions.set(AlertSignal(key: "outbox.dead.amocrm", title: "Заявки не доставлены (amoCRM)", detail: "2 шт."))
        await alerter.runOnce()
        let store = AlertStore(database: database, clock: clock)
        #expect(try await store.mailDue().first?.mailError != nil)
        clock.advance(by: Alerter.firstMailRetry + .seconds(1))
        await alerter.runOnce()
        #expect(try await server.waitForMessages(1).count == 1)
        #expect(try await store.mailDue().isEmpty)
        await database.close()
    }

    @Test("a condition left out of the checks (this instance knows nothing of it yet) closes nothing; one reported fine does")
    func unknownClosesNothing() async throws {
        let server = try SMTPTestServer()
        defer { server.stop() }
        let database = try await openDatabase(try await DatabaseEngine.sqlite.freshDatabase(), logger: quietLogger)
        let clock = TestWallClock()
        let watching = Conditions(keys: ["channel.amocrm"])
        watching.set(AlertSignal(key: "channel.amocrm", title: "Доставка заявок в amoCRM не работает", detail: "503"))
        await (try await Self.alerter(database: database, clock: clock, transport: Self.smtp(server), conditions: watching)).runOnce()
        // Another instance takes over the look; its amoCRM breaker has seen nothing yet.
        let fresh = try await Self.alerter(database: database, clock: clock, transport: Self.smtp(server), conditions: Conditions(keys: []))
        await fresh.runOnce()
        let store = AlertStore(database: database, clock: clock)
        #expect(try await store.openIncidents().map(\.key) == ["channel.amocrm"])
        let fine = try await Self.alerter(database: database, clock: clock, transport: Self.smtp(server), conditions: Conditions(keys: ["channel.amocrm"]))
        await fine.runOnce()
        #expect(try await store.openIncidents().isEmpty)
        #expect(try await server.waitForMessages(2).count == 2)
        await database.close()
    }

    /// PostgreSQL only: a deployment's instances share it (two SQLite writers in one process
    /// starve sqlite-nio's shared thread pool).
    @Test("three instances watching the same trouble mail it once", arguments: [DatabaseEngine.postgres])
    func oneInstanceMails(_ engine: DatabaseEngine) async throws {
        let server = try SMTPTestServer()
        defer { server.stop() }
        let location = try await engine.freshDatabase()
        let clock = TestWallClock()
        let conditions = Conditions(keys: ["directus"])
        conditions.set(AlertSignal(key: "directus", title: "Directus не отвечает: сайт показывает прежний каталог", detail: "HTTP 503"))
        var databases: [any Database] = []
        var alerters: [Alerter] = []
        for index in 0..<3 {
            let database = try await openDatabase(location, logger: quietLogger)
            databases.append(database)
            try await Instances(database: database, clock: clock).heartbeat("instance-\(index)")
            alerters.append(
                try await Self.alerter(database: database, clock: clock, transport: Self.smtp(server), conditions: conditions, instance: "instance-\(index)"))
        }
        for _ in 0..<3 {
            await withTaskGroup(of: Void.self) { group in
                for alerter in alerters { group.addTask { await alerter.runOnce() } }
            }
            clock.advance(by: .seconds(10))
        }
        #expect(try await server.waitForMessages(1).count == 1)
        #expect(try await AlertStore(database: databases[0], clock: clock).recent(limit: 10).count == 1)
        for database in databases { await database.close() }
    }
}
