import Basics
import Foundation
import Leads
import Storage
import Testing
import TestSupport

/// `catalog-bff outbox` – the real binary against a database it shares with nothing running.
@Suite("The outbox command")
struct OutboxCommandTests {
    static func run(_ database: String, _ arguments: [String]) async throws -> String {
        try await ExternalTool.run(
            "/usr/bin/env", ["DATABASE_URL=" + database, "LOG_LEVEL=warning", try ServerProcess.binary().path, "outbox"] + arguments)
    }

    @Test("lists leads by state, requeues a channel, cancels and retries a lead's dead delivery; bad arguments are named")
    func command() async throws {
        let location = try await DatabaseEngine.sqlite.freshDatabase()
        guard case .sqlite(let path) = location else { return }
        let url = "sqlite://" + path
        // Two leads: one waits out a backoff on email, one is dead there.
        let database = try await openDatabase(location, logger: quietLogger)
        let store = LeadStore(database: database, clock: SystemClock(), logger: quietLogger)
        let waiting = try await store.accept(Self.sampleOrder(name: "Иван Петров"))
        let dead = try await store.accept(Self.sampleOrder(name: "Мария Соколова"))
        let claimed = try await store.claim(channel: .email, owner: "w", limit: 10, lease: .seconds(60))
        for (lead, attempts) in [(waiting, 5), (dead, 1)] {
            let item = try #require(claimed.first { $0.leadNumber == lead.number })
            try await store.record(.failed("554 refused"), for: item, owner: "w", policy: RetryPolicy(maxAttempts: attempts, baseDelay: .seconds(3_600)))
        }
        await database.close()

        let all = try await Self.run(url, ["list"])
        #expect(all.contains("email: pending 1, delivered 0, dead 1, cancelled 0"))
        #expect(all.contains("Иван Петров") && all.contains("Мария Соколова"))
        let deadOnly = try await Self.run(url, ["list", "--state", "dead"])
        #expect(deadOnly.contains("#2") && deadOnly.contains("Мария Соколова") && !deadOnly.contains("Иван Петров"))
        #expect(deadOnly.contains("email: dead, attempts 1 – 554 refused"))

        #expect(try await Self.run(url, ["requeue", "--channel", "email"]).contains("1 waiting email deliveries are due now"))
        #expect(try await Self.run(url, ["cancel", "2"]).contains("lead 2: 1 dead deliveries cancelled"))
        #expect(try await Self.run(url, ["list", "--state", "cancelled"]).contains("Мария Соколова"))
        #expect(try await Self.run(url, ["retry", "2"]).contains("lead 2: 1 deliveries queued again"))
        #expect(try await Self.run(url, ["list", "--state", "dead"]).contains("no leads match"))

        await #expect(throws: ExternalTool.Failed.self) { _ = try await Self.run(url, ["list", "--state", "lost"]) }
        await #expect(throws: ExternalTool.Failed.self) { _ = try await Self.run(url, ["requeue", "--channel", "fax"]) }
    }

    @Test("names and errors are printed with their control characters shown, not sent to the operator's terminal")
    func terminalEscapes() async throws {
        let location = try await DatabaseEngine.sqlite.freshDatabase()
        guard case .sqlite(let path) = location else { return }
        // Stored before intake refused control characters (or written by another tool).
        let database = try await openDatabase(location, logger: quietLogger)
        let store = LeadStore(database: database, clock: SystemClock(), logger: quietLogger)
        _ = try await store.accept(Self.sampleOrder(name: "Иван\u{1B}]0;pwned\u{07}\u{1B}[2J\nforged line"))
        await database.close()
        let output = try await Self.run("sqlite://" + path, ["list"])
        #expect(!output.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" })
        #expect(output.contains(#"Иван\u{1B}]0;pwned\u{7}\u{1B}[2J\u{A}forged line"#))
        #expect(!output.split(separator: "\n").contains { $0.hasPrefix("forged line") })
    }

    static func sampleOrder(name: String) -> NewLead {
        NewLead(
            source: "сайт",
            order: ValidLead(
                productID: nil, name: name, phone: "+79001234567", email: nil, company: nil, quantity: 1, comment: nil, utm: UTM()),
            product: nil, consent: ConsentRecord(at: Date(), ip: "127.0.0.1", userAgent: "test", version: "2026-01"))
    }
}
