import Basics
import Foundation
import Leads
import Storage
import Testing
import TestSupport

/// The admin's queries on both engines: filters, the daily counts, the attempt log, cancel,
/// retry and requeue.
@Suite("Lead search and admin actions")
struct LeadSearchTests {
    @Test("filters by source, text in any case, phone digits, number, state and time; LIKE wildcards are literal", arguments: DatabaseEngine.allCases)
    func filters(_ engine: DatabaseEngine) async throws {
        let clock = TestWallClock()
        try await withStore(engine, clock: clock) { store in
            _ = try await store.accept(sampleLead(name: "Иван Петров", phone: "+79001234567", email: "ivan@example.ru"))
            clock.advance(by: .seconds(86_400))
            _ = try await store.accept(sampleLead(name: "Мария 100% Соколова", phone: nil, email: "maria@example.ru", source: "telegram"))
            func names(_ filter: LeadFilter) async throws -> [String] {
                try await store.leads(matching: filter, limit: 10).map(\.lead.order.name)
            }
            #expect(try await names(LeadFilter()) == ["Мария 100% Соколова", "Иван Петров"])
            #expect(try await names(LeadFilter(source: "telegram")) == ["Мария 100% Соколова"])
            #expect(try await names(LeadFilter(text: "петров")) == ["Иван Петров"])
            #expect(try await names(LeadFilter(text: "ПЕТРОВ")) == ["Иван Петров"])
            #expect(try await names(LeadFilter(text: "900 123")) == ["Иван Петров"])
            #expect(try await names(LeadFilter(text: "MARIA@")) == ["Мария 100% Соколова"])
            #expect(try await names(LeadFilter(text: "2")) == ["Мария 100% Соколова"])  // the lead number
            #expect(try await names(LeadFilter(text: "100%")) == ["Мария 100% Соколова"])
            #expect(try await names(LeadFilter(text: "0% С")).isEmpty == false)
            #expect(try await names(LeadFilter(text: "_")).isEmpty)
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            #expect(try await names(LeadFilter(from: start.addingTimeInterval(3_600))) == ["Мария 100% Соколова"])
            #expect(try await names(LeadFilter(until: start.addingTimeInterval(3_600))) == ["Иван Петров"])
            #expect(try await names(LeadFilter(state: .pending)).count == 2)
            #expect(try await names(LeadFilter(state: .dead)).isEmpty)
            #expect(try await store.count(matching: LeadFilter(text: "example.ru")) == 2)
            #expect(try await store.sources() == ["telegram", "сайт"])
        }
    }

    @Test("attempts are logged; cancel and retry act on dead rows only; requeue makes waiting rows due now", arguments: DatabaseEngine.allCases)
    func actions(_ engine: DatabaseEngine) async throws {
        let clock = TestWallClock()
        try await withStore(engine, clock: clock) { store in
            let lead = try await store.accept(sampleLead())
            let policy = RetryPolicy(maxAttempts: 2, baseDelay: .seconds(60))
            // A failure: pending again, after a backoff.
            var item = try #require(try await store.claim(channel: .email, owner: "w", limit: 1, lease: .seconds(60)).first)
            try await store.record(.failed("554 refused"), for: item, owner: "w", policy: policy)
            #expect(try await store.claim(channel: .email, owner: "w", limit: 1, lease: .seconds(60)).isEmpty)
            #expect(try await store.requeue(channel: .email) == 1)
            #expect(try await store.requeue(channel: .amocrm) == 0)  // due already: nothing to change
            item = try #require(try await store.claim(channel: .email, owner: "w", limit: 1, lease: .seconds(60)).first)
            try await store.record(.failed("554 refused again"), for: item, owner: "w", policy: policy)
            #expect(try await store.deliveries(leadNumber: lead.number).first { $0.channel == .email }?.state == .dead)
            #expect(try await store.leads(matching: LeadFilter(state: .dead), limit: 10).count == 1)

            #expect(try await store.cancelDead(leadNumber: lead.number) == 1)
            #expect(try await store.cancelDead(leadNumber: lead.number) == 0)
            #expect(try await store.outboxCounts()[.email]?[.cancelled] == 1)
            #expect(try await store.retryDead(leadNumber: lead.number) == 1)
            item = try #require(try await store.claim(channel: .email, owner: "w", limit: 1, lease: .seconds(60)).first)
            #expect(item.attempts == 0)
            try await store.record(.delivered(externalID: "msg-1"), for: item, owner: "w", policy: policy)

            let log = try await store.attempts(leadNumber: lead.number)
            #expect(log.map(\.outcome) == ["failed", "dead", "admin_cancel", "admin_retry", "delivered"])
            #expect(log[0].detail == "554 refused" && log[4].detail == "msg-1")
            // An outcome recorded without the lease (it was taken over) is neither applied nor logged.
            try await store.record(.failed("late"), for: item, owner: "someone else", policy: policy)
            #expect(try await store.attempts(leadNumber: lead.number).count == 5)
        }
    }

    @Test("the daily counts cover 30 Moscow days, today last, with leads and failed attempts", arguments: DatabaseEngine.allCases)
    func daily(_ engine: DatabaseEngine) async throws {
        let clock = TestWallClock()
        try await withStore(engine, clock: clock) { store in
            _ = try await store.accept(sampleLead())
            let item = try #require(try await store.claim(channel: .email, owner: "w", limit: 1, lease: .seconds(60)).first)
            try await store.record(.unavailable("connection refused"), for: item, owner: "w", policy: RetryPolicy())
            clock.advance(by: .seconds(2 * 86_400))
            _ = try await store.accept(sampleLead(name: "Второй"))
            _ = try await store.accept(sampleLead(name: "Третий"))
            let days = try await store.dailyActivity(days: 30, now: clock.now())
            #expect(days.count == 30)
            #expect(days.last?.day == MoscowTime.startOfDay(clock.now()))
            #expect(days.last?.leads == 2)
            #expect(days[27].leads == 1 && days[27].failures == 1)
            #expect(days.reduce(0) { $0 + $1.leads } == 3)
        }
    }
}
