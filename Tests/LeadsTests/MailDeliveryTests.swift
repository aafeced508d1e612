import Foundation
import Leads
import Mail
import Mustache
import Storage
import Testing
import TestSupport

func mailTemplates() async throws -> MustacheLibrary {
    try await MustacheLibrary(directory: "templates/mail")
}

@Suite("Lead e-mail over a real SMTP server (aiosmtpd, TLS, AUTH)", .serialized)
struct MailDeliveryTests {
    func deliverer(_ transport: any MailTransport) async throws -> EmailDeliverer {
        EmailDeliverer(
            transport: transport, from: MailAddress("orders@example.ru", name: "Сайт ПромСтанок"),
            to: [MailAddress("sales@example.ru"), MailAddress("boss@example.ru")], templates: try await mailTemplates())
    }

    func smtp(_ server: SMTPTestServer, port: Int? = nil, password: String? = nil, security: SMTPMailTransport.Security = .ssl) -> SMTPMailTransport {
        SMTPMailTransport(
            configuration: .init(
                host: "127.0.0.1", port: port ?? server.port, security: security, user: server.user,
                password: password ?? server.password, caFile: server.caFile, connectTimeout: .seconds(3), timeout: .seconds(10)))
    }

    @Test("the message arrives with a decoded Cyrillic subject, both parts and Reply-To")
    func delivered() async throws {
        let server = try SMTPTestServer()
        defer { server.stop() }
        try await withStore { (store: LeadStore) async throws in
            let accepted = try await store.accept(sampleLead())
            let lead = try #require(try await store.lead(id: accepted.id))
            let outcome = try await deliverer(smtp(server)).deliver(lead)
            #expect(outcome == .delivered(externalID: "lead-1-\(accepted.id)@example.ru"))
            let message = try #require(try await server.waitForMessages(1).first)
            #expect(decodeHeader(header("Subject", in: message) ?? "") == "Заявка №1: Токарный станок с ЧПУ CK6150")
            #expect(decodeHeader(header("Reply-To", in: message) ?? "") == "Иван Петров <ivan@example.ru>")
            #expect(decodeHeader(header("From", in: message) ?? "") == "Сайт ПромСтанок <orders@example.ru>")
            #expect(header("X-Envelope-To", in: message) == "sales@example.ru,boss@example.ru")
            #expect(header("Message-ID", in: message) == "<lead-1-\(accepted.id)@example.ru>")
            let parts = bodyParts(message)
            #expect(parts.count == 2)
            #expect(parts[0].contains("Телефон: +79001234567"))
            #expect(parts[0].contains("Количество: 2 шт."))
            #expect(parts[0].contains("Ссылка: http://127.0.0.1:8080/product/ck6150"))
            #expect(parts[0].contains("Метки: utm_source=yandex, utm_medium=cpc, utm_campaign=lathes"))
            #expect(parts[1].contains("<strong>Иван Петров</strong>"))
            #expect(parts[1].contains("ООО «Завод»"))
        }
    }

    @Test("a customer's non-ASCII e-mail stays in the body and out of the headers; the copy is delivered")
    func internationalCustomerAddress() async throws {
        let server = try SMTPTestServer()
        defer { server.stop() }
        try await withStore { (store: LeadStore) async throws in
            let accepted = try await store.accept(sampleLead(email: "иван@завод.рф"))
            let lead = try #require(try await store.lead(id: accepted.id))
            #expect(try await deliverer(smtp(server)).deliver(lead) == .delivered(externalID: "lead-1-\(accepted.id)@example.ru"))
            let message = try #require(try await server.waitForMessages(1).first)
            #expect(header("Reply-To", in: message) == nil)
            #expect((message.components(separatedBy: "\r\n\r\n").first ?? "").unicodeScalars.allSatisfy { $0.isASCII })
            #expect(bodyParts(message).allSatisfy { $0.contains("иван@завод.рф") })
        }
    }

    @Test("STARTTLS on the submission port works too")
    func starttls() async throws {
        let server = try SMTPTestServer(mode: .starttls)
        defer { server.stop() }
        try await withStore { (store: LeadStore) async throws in
            let lead = try #require(try await store.lead(id: try await store.accept(sampleLead()).id))
            #expect(try await deliverer(smtp(server, security: .starttls)).deliver(lead) == .delivered(externalID: "lead-1-\(lead.id)@example.ru"))
            #expect(try await server.waitForMessages(1).count == 1)
        }
    }

    @Test("SMTP down: the worker retries later and then delivers")
    func downThenUp() async throws {
        // Reserve a port, leave it closed, start the server there later.
        let port = try freePort()
        let clock = TestWallClock()
        try await withStore(clock: clock) { (store: LeadStore) async throws in
            _ = try await store.accept(sampleLead())
            let placeholder = try SMTPTestServer()
            let transport = SMTPMailTransport(
                configuration: .init(
                    host: "127.0.0.1", port: port, security: .ssl, user: placeholder.user, password: placeholder.password,
                    caFile: placeholder.caFile, connectTimeout: .seconds(2), timeout: .seconds(5)))
            placeholder.stop()
            let worker = OutboxWorker(
                store: store, deliverer: try await deliverer(transport),
                configuration: .init(retry: RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(100), maxDelay: .milliseconds(200))),
                logger: quietLogger)
            #expect(await worker.runOnce())
            let failed = try #require(try await store.deliveries(leadNumber: 1).first { $0.channel == .email })
            #expect(failed.attempts == 1)
            #expect(failed.state == .pending)
            #expect(failed.lastError?.contains("Couldn't connect") == true || failed.lastError?.contains("connect") == true)

            let server = try SMTPTestServer(port: port)
            defer { server.stop() }
            // The CA of the new server differs: point the transport at it.
            let worker2 = OutboxWorker(
                store: store, deliverer: try await deliverer(smtp(server)),
                configuration: .init(retry: RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(100), maxDelay: .milliseconds(200))),
                logger: quietLogger)
            // Not due before its backoff has passed.
            #expect(await !worker2.runOnce())
            clock.advance(by: .milliseconds(200))
            #expect(await worker2.runOnce())
            #expect(try await store.deliveries(leadNumber: 1).first { $0.channel == .email }?.state == .delivered)
            #expect(try await server.waitForMessages(1).count == 1)
        }
    }

    @Test("a wrong password is retried, then dead with the reason; the lead stays, and the password is not logged")
    func wrongPassword() async throws {
        let server = try SMTPTestServer()
        defer { server.stop() }
        let clock = TestWallClock()
        let log = LogCapture()
        try await withStore(clock: clock) { (store: LeadStore) async throws in
            _ = try await store.accept(sampleLead())
            let worker = OutboxWorker(
                store: store, deliverer: try await deliverer(smtp(server, password: "not-the-password")),
                configuration: .init(retry: RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(50), maxDelay: .milliseconds(50))),
                logger: log.logger(level: .trace))
            #expect(await worker.runOnce())
            clock.advance(by: .milliseconds(50))
            #expect(await worker.runOnce())
            let dead = try #require(try await store.deliveries(leadNumber: 1).first { $0.channel == .email })
            #expect(dead.state == .dead)
            #expect(dead.attempts == 2)
            #expect(dead.lastError?.isEmpty == false)
            #expect(dead.lastError?.contains("not-the-password") == false)
            #expect(try await store.lead(number: 1)?.order.name == "Иван Петров")
            #expect(server.messages().isEmpty)
            // Both failures were logged, at trace too, without the password.
            #expect(log.text.contains("lead delivery failed for good"))
            #expect(!log.text.contains("not-the-password"))
        }
    }

    @Test("file transport: one .eml per lead, named by Message-ID")
    func fileTransport() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mail-\(UUID().uuidString)")
        try await withStore { (store: LeadStore) async throws in
            _ = try await store.accept(sampleLead())
            let worker = OutboxWorker(
                store: store, deliverer: try await deliverer(FileMailTransport(directory: directory.path)), logger: quietLogger)
            #expect(await worker.runOnce())
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            #expect(files.count == 1)
            #expect(files[0].hasPrefix("lead-1-") && files[0].hasSuffix(".eml"))
            let message = try String(contentsOf: directory.appendingPathComponent(files[0]), encoding: .utf8)
            #expect(decodeHeader(header("Subject", in: message) ?? "") == "Заявка №1: Токарный станок с ЧПУ CK6150")
        }
    }

    @Test("a channel that is not ready leaves rows waiting without spending attempts")
    func notReady() async throws {
        struct Unconfigured: LeadDeliverer {
            let channel = DeliveryChannel.amocrm
            func unavailableReason() async -> String? { "amoCRM is not configured" }
            func deliver(_ lead: Lead) async -> DeliveryOutcome { .delivered(externalID: nil) }
        }
        try await withStore { (store: LeadStore) async throws in
            _ = try await store.accept(sampleLead())
            let worker = OutboxWorker(store: store, deliverer: Unconfigured(), logger: quietLogger)
            #expect(await !worker.runOnce())
            let status = try #require(try await store.deliveries(leadNumber: 1).first { $0.channel == .amocrm })
            #expect(status.state == .pending && status.attempts == 0)
        }
    }
}

func freePort() throws -> Int {
    let server = try SMTPTestServer()
    let port = server.port
    server.stop()
    return port
}
