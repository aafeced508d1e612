import Basics
import Foundation
@testable import Leads
import Logging
import SQLKit
import Storage
import Testing
import TestSupport

/// `LEAD_RETENTION_DAYS` and a customer's request: exactly the personal data goes.
@Suite("Personal data retention")
struct RetentionTests {
    static func eraser(_ store: LeadStore, mail: URL, log: Logger = quietLogger) -> PersonalDataEraser {
        PersonalDataEraser(
            database: store.database, clock: store.clock, mailDirectory: mail.path,
            contactKeys: { phone, email in [phone.map { "phone:" + $0 }, email.map { "email:" + $0.lowercased() }].compactMap { $0 } },
            logger: log)
    }

    /// Delivers a lead's claimed rows: email after a refusal that quotes the customer.
    static func deliver(_ store: LeadStore, lead: Int, email: Bool = true, amocrm: Bool = true) async throws {
        for channel in [DeliveryChannel.email, .amocrm] where channel == .email ? email : amocrm {
            let items = try await store.claim(channel: channel, owner: "w", limit: 10, lease: .seconds(60)).filter { $0.leadNumber == lead }
            for item in items {
                if channel == .email {
                    try await store.record(.failed("554 refused for ivan@example.ru"), for: item, owner: "w", policy: RetryPolicy(baseDelay: .seconds(0)))
                    let again = try #require(try await store.claim(channel: .email, owner: "w", limit: 10, lease: .seconds(60)).first { $0.leadNumber == lead })
                    try await store.record(.delivered(externalID: "lead-\(lead)@example.ru"), for: again, owner: "w", policy: RetryPolicy())
                } else {
                    try await store.record(.delivered(externalID: "9001"), for: item, owner: "w", policy: RetryPolicy())
                }
            }
        }
    }

    @Test("leads delivered longer ago lose name, phone, e-mail, company, comment, consent IP and browser, payload, quoted errors, contact keys and mail files; nothing else", arguments: DatabaseEngine.allCases)
    func retention(_ engine: DatabaseEngine) async throws {
        let clock = TestWallClock()
        let mail = FileManager.default.temporaryDirectory.appendingPathComponent("retention-mail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: mail, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mail) }
        let log = LogCapture()
        try await withStore(engine, clock: clock) { store in
            // Old and delivered; old but still waiting on amoCRM; and another customer's.
            let old = try await store.accept(sampleLead(name: "Иван Петров", phone: "+79001234567", email: "Ivan@Example.ru"))
            try await Self.deliver(store, lead: old.number)
            let waiting = try await store.accept(sampleLead(name: "Пётр Ждущий", phone: "+79007654321", email: "petr@example.ru"))
            try await Self.deliver(store, lead: waiting.number, amocrm: false)
            try await store.database.transaction { db in
                for key in ["phone:+79001234567", "email:ivan@example.ru", "phone:+79007654321"] {
                    try await db.raw("INSERT INTO amocrm_contacts (key, contact_id, updated_at) VALUES (\(bind: key), 1, 0)").run()
                }
            }
            for name in ["lead-\(old.number)-\(old.id)_example.ru.eml", "lead-\(waiting.number)-\(waiting.id)_example.ru.eml", "passport-abc_example.ru.eml"] {
                try Data("Subject: x\r\n\r\nИван Петров".utf8).write(to: mail.appendingPathComponent(name))
            }
            clock.advance(by: .seconds(31 * 86_400))
            let recent = try await store.accept(sampleLead(name: "Анна Новая", phone: "+79000000001", email: "anna@example.ru"))
            try await Self.deliver(store, lead: recent.number)

            // Nothing is 60 days old yet; at 30 days, the old delivered lead goes.
            #expect(try await Self.eraser(store, mail: mail).eraseExpired(days: 60) == .init(leads: 0, mailFiles: 0))
            let erased = try await Self.eraser(store, mail: mail, log: log.logger(level: .info)).eraseExpired(days: 30)
            #expect(erased == .init(leads: 1, mailFiles: 1))

            let gone = try #require(try await store.lead(number: old.number))
            #expect(gone.order.name == PersonalDataEraser.erasedName)
            #expect(gone.order.phone == nil && gone.order.email == nil && gone.order.company == nil && gone.order.comment == nil)
            #expect(gone.consent.ip == nil && gone.consent.userAgent == nil)
            #expect(gone.erasedAt != nil)
            // What stays: the order's shape, product, UTM, source, time, consent time and version, deliveries.
            #expect(gone.product?.name == "Токарный станок с ЧПУ CK6150" && gone.order.quantity == 2 && gone.order.utm.source == "yandex")
            #expect(gone.consent.version == "2026-01" && gone.source == "сайт")
            #expect(try await store.deliveries(leadNumber: old.number).allSatisfy { $0.state == .delivered && $0.lastError == nil })
            let attempts = try await store.attempts(leadNumber: old.number)
            #expect(attempts.map(\.outcome) == ["failed", "delivered", "delivered"])
            #expect(attempts[0].detail == nil && attempts[1].detail != nil)
            let payload = try await store.database.read { db in
                try await db.raw("SELECT payload FROM leads WHERE number = \(bind: old.number)").first()?.decode(column: "payload", as: String.self)
            }
            #expect(payload == "{}")
            let keys = try await store.database.read { db in
                try await db.raw("SELECT key FROM amocrm_contacts ORDER BY key").all().map { try $0.decode(column: "key", as: String.self) }
            }
            #expect(keys == ["phone:+79007654321"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: mail.path).sorted() == [
                "lead-\(waiting.number)-\(waiting.id)_example.ru.eml", "passport-abc_example.ru.eml",
            ])

            // The waiting lead and the recent one keep everything.
            #expect(try await store.lead(number: waiting.number)?.order.name == "Пётр Ждущий")
            #expect(try await store.lead(number: recent.number)?.order.email == "anna@example.ru")
            #expect(try await store.lead(number: waiting.number)?.consent.ip == "127.0.0.1")
            // Done once: a second run finds nothing. The log says how many, not whose.
            #expect(try await Self.eraser(store, mail: mail).eraseExpired(days: 30) == .init(leads: 0, mailFiles: 0))
            #expect(log.text.contains("personal data erased after the retention period"))
            #expect(!log.text.contains("Иван") && !log.text.contains("+7900") && !log.text.lowercased().contains("ivan@"))
        }
    }

    @Test("a customer's request erases all their leads (by phone or e-mail, any case) at once, and cancels what still waits", arguments: DatabaseEngine.allCases)
    func onRequest(_ engine: DatabaseEngine) async throws {
        let mail = FileManager.default.temporaryDirectory.appendingPathComponent("erase-mail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: mail, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mail) }
        try await withStore(engine, clock: TestWallClock()) { store in
            let first = try await store.accept(sampleLead(name: "Иван Петров", phone: "+79001234567", email: "ivan@example.ru"))
            let second = try await store.accept(sampleLead(name: "Иван П.", phone: nil, email: "IVAN@example.ru"))
            let other = try await store.accept(sampleLead(name: "Мария", phone: "+79009999999", email: "maria@example.ru"))
            // A worker has the first lead's e-mail in hand when the request comes.
            let inHand = try #require(try await store.claim(channel: .email, owner: "w", limit: 10, lease: .seconds(60)).first { $0.leadNumber == first.number })
            let erased = try await Self.eraser(store, mail: mail).eraseCustomer(ofLead: second.number)
            #expect(erased.leads == 2)
            for number in [first.number, second.number] {
                #expect(try await store.lead(number: number)?.order.name == PersonalDataEraser.erasedName)
                #expect(try await store.deliveries(leadNumber: number).allSatisfy { $0.state == .cancelled })
            }
            // Its late outcome changes nothing: the row stays cancelled, no error text comes back.
            #expect(try await store.record(.failed("554 for ivan@example.ru"), for: inHand, owner: "w", policy: RetryPolicy()) == nil)
            #expect(try await store.deliveries(leadNumber: first.number).allSatisfy { $0.state == .cancelled && $0.lastError == nil })
            #expect(try await store.attempts(leadNumber: first.number).allSatisfy { $0.detail == nil })
            #expect(try await store.lead(number: other.number)?.order.name == "Мария")
            #expect(try await store.deliveries(leadNumber: other.number).allSatisfy { $0.state == .pending })
        }
    }
}
