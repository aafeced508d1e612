import Basics
import SafeText
import Foundation
import Leads
import Mail
import Mustache
import Storage
import Testing
import TestSupport

func mailTemplates() async throws -> MustacheLibrary {
    try MustacheLibrary(safeHTMLDirectory: "templates/mail")
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

    @Test("SMTP down: leads wait without spending attempts, one log line each way, and the probe after recovery delivers")
    func downThenUp() async throws {
        let clock = TestWallClock()
        let log = LogCapture()
        // A server to learn its port and certificates, stopped: the port refuses connections.
        let first = try SMTPTestServer()
        first.stop()
        try await withStore(clock: clock) { (store: LeadStore) async throws in
            for index in 1...3 { _ = try await store.accept(sampleLead(name: "Клиент \(index)")) }
            let worker = OutboxWorker(
                store: store, deliverer: try await deliverer(smtp(first, port: first.port)),
                configuration: .init(retry: RetryPolicy(maxAttempts: 2)), logger: log.logger(level: .info))
            #expect(await worker.runOnce())
            #expect(worker.breaker.open != nil)
            // Down for ten simulated minutes: one probe at a time on the capped backoff, no attempts spent.
            for _ in 0..<60 {
                clock.advance(by: .seconds(10))
                _ = await worker.runOnce()
            }
            for number in 1...3 {
                let waiting = try #require(try await store.deliveries(leadNumber: number).first { $0.channel == .email })
                #expect(waiting.state == .pending && waiting.attempts == 0)
            }
            #expect(log.text.components(separatedBy: "delivery channel down").count - 1 == 1)
            #expect(log.text.components(separatedBy: "delivery channel still down").count - 1 == 1)

            let again = try SMTPTestServer(port: first.port, certificates: first.certificateDirectory)
            defer { again.stop() }
            // Not before the next probe is due; at most 30 s after recovery, all of them.
            clock.advance(by: ChannelBreaker.maxProbeDelay)
            while await worker.runOnce() {}
            #expect(worker.breaker.open == nil)
            for number in 1...3 {
                #expect(try await store.deliveries(leadNumber: number).first { $0.channel == .email }?.state == .delivered)
            }
            #expect(try await again.waitForMessages(3).count == 3)
            #expect(log.text.components(separatedBy: "delivery channel recovered").count - 1 == 1)
            #expect(!log.text.contains("lead delivery failed"))
        }
    }

    @Test("a wrong password stops the channel, not the leads: no attempts spent, and the password is never logged")
    func wrongPassword() async throws {
        let server = try SMTPTestServer()
        defer { server.stop() }
        let clock = TestWallClock()
        let log = LogCapture()
        try await withStore(clock: clock) { (store: LeadStore) async throws in
            _ = try await store.accept(sampleLead())
            let worker = OutboxWorker(
                store: store, deliverer: try await deliverer(smtp(server, password: "not-the-password")),
                configuration: .init(retry: RetryPolicy(maxAttempts: 2)), logger: log.logger(level: .trace))
            #expect(await worker.runOnce())
            let waiting = try #require(try await store.deliveries(leadNumber: 1).first { $0.channel == .email })
            #expect(waiting.state == .pending)
            #expect(waiting.attempts == 0)
            #expect(waiting.lastError?.isEmpty == false)
            #expect(worker.breaker.open != nil)
            #expect(waiting.lastError?.contains("not-the-password") == false)
            #expect(server.messages().isEmpty)
            #expect(log.text.contains("delivery channel down"))
            #expect(!log.text.contains("not-the-password"))
        }
    }

    @Test("a message refused after its content (554) is that lead's failure: attempts count, then it is dead; the next lead goes")
    func refusedMessage() async throws {
        let server = try SMTPTestServer(refuse: 2)
        defer { server.stop() }
        let clock = TestWallClock()
        try await withStore(clock: clock) { (store: LeadStore) async throws in
            _ = try await store.accept(sampleLead(name: "Первый"))
            let worker = OutboxWorker(
                store: store, deliverer: try await deliverer(smtp(server)),
                configuration: .init(retry: RetryPolicy(maxAttempts: 2, baseDelay: .seconds(1), maxDelay: .seconds(1))), logger: quietLogger)
            #expect(await worker.runOnce())
            let failed = try #require(try await store.deliveries(leadNumber: 1).first { $0.channel == .email })
            #expect(failed.attempts == 1 && failed.state == .pending)
            #expect(failed.lastError?.contains("554") == true)
            #expect(worker.breaker.open == nil)
            clock.advance(by: .seconds(1))
            #expect(await worker.runOnce())
            #expect(try await store.deliveries(leadNumber: 1).first { $0.channel == .email }?.state == .dead)
            _ = try await store.accept(sampleLead(name: "Второй"))
            #expect(await worker.runOnce())
            #expect(try await store.deliveries(leadNumber: 2).first { $0.channel == .email }?.state == .delivered)
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
