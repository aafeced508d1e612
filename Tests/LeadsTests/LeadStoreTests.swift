import Basics
import Foundation
@testable import Leads
import Storage
import Testing
import TestSupport

@Suite("Lead store on SQLite and PostgreSQL")
struct LeadStoreTests {
    @Test("an accepted lead is stored with its email and amocrm outbox rows", arguments: DatabaseEngine.allCases)
    func accept(_ engine: DatabaseEngine) async throws {
        try await withStore(engine) { (store: LeadStore) async throws in
            let accepted = try await store.accept(sampleLead())
            #expect(accepted.number == 1)
            #expect(accepted.id.count == 32)
            let lead = try #require(try await store.lead(id: accepted.id))
            #expect(lead.order.name == "Иван Петров")
            #expect(lead.order.utm.campaign == "lathes")
            #expect(lead.product?.name == "Токарный станок с ЧПУ CK6150")
            #expect(lead.consent.ip == "127.0.0.1")
            #expect(lead.title == "Заявка №1: Токарный станок с ЧПУ CK6150")
            let deliveries = try await store.deliveries(leadNumber: 1)
            #expect(deliveries.map(\.channel) == [.amocrm, .email])
            #expect(deliveries.allSatisfy { $0.state == .pending && $0.attempts == 0 })
        }
    }

    @Test("concurrent orders all get stored, each once, with distinct numbers", arguments: DatabaseEngine.allCases)
    func concurrent(_ engine: DatabaseEngine) async throws {
        try await withStore(engine) { (store: LeadStore) async throws in
            let accepted = try await withThrowingTaskGroup(of: AcceptedLead.self) { group in
                for index in 0..<200 {
                    group.addTask { try await store.accept(sampleLead(name: "Клиент \(index)")) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(accepted.map(\.number)) == Set(1...200))
            #expect(Set(accepted.map(\.id)).count == 200)
            let counts = try await store.outboxCounts()
            #expect(counts[.email]?[.pending] == 200)
            #expect(counts[.amocrm]?[.pending] == 200)
        }
    }

    @Test("the same Idempotency-Key returns the first lead, also when sent concurrently", arguments: DatabaseEngine.allCases)
    func idempotency(_ engine: DatabaseEngine) async throws {
        try await withStore(engine) { (store: LeadStore) async throws in
            let first = try await store.accept(sampleLead(key: "tg-1", source: "telegram"))
            let again = try await store.accept(sampleLead(key: "tg-1", source: "telegram"))
            #expect(again.id == first.id)
            #expect(again.duplicate)
            let otherSource = try await store.accept(sampleLead(key: "tg-1", source: "партнёр"))
            #expect(otherSource.id != first.id)
            let racing = try await withThrowingTaskGroup(of: AcceptedLead.self) { group in
                for _ in 0..<20 { group.addTask { try await store.accept(sampleLead(key: "tg-2", source: "telegram")) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(racing.map(\.id)).count == 1)
            #expect(racing.filter { !$0.duplicate }.count == 1)
        }
    }

    @Test("leads survive closing and reopening the database", arguments: DatabaseEngine.allCases)
    func durable(_ engine: DatabaseEngine) async throws {
        let location = try await engine.freshDatabase()
        let accepted = try await withStore(at: location) { (store: LeadStore) async throws in try await store.accept(sampleLead()) }
        try await withStore(at: location) { (reopened: LeadStore) async throws in
            #expect(try await reopened.lead(id: accepted.id)?.number == accepted.number)
            #expect(try await reopened.accept(sampleLead()).number == accepted.number + 1)
        }
    }
}

@Suite("Outbox: leases, backoff, dead rows")
struct OutboxTests {
    let policy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(200), maxDelay: .seconds(1))

    @Test("a claimed row is leased to one worker; an expired lease is claimed again", arguments: DatabaseEngine.allCases)
    func leases(_ engine: DatabaseEngine) async throws {
        let clock = TestWallClock()
        try await withStore(engine, clock: clock) { (store: LeadStore) async throws in
            _ = try await store.accept(sampleLead())
            let first = try await store.claim(channel: .email, owner: "a", limit: 10, lease: .seconds(3))
            #expect(first.count == 1)
            // The lease holds through its last millisecond, and not one after.
            clock.advance(by: .seconds(3))
            #expect(try await store.claim(channel: .email, owner: "b", limit: 10, lease: .seconds(60)).isEmpty)
            clock.advance(by: .milliseconds(1))
            let reclaimed = try await store.claim(channel: .email, owner: "b", limit: 10, lease: .seconds(60))
            #expect(reclaimed.map(\.id) == first.map(\.id))
            // The first worker's late answer is ignored: the row belongs to b now.
            try await store.record(.delivered(externalID: "x"), for: first[0], owner: "a", policy: policy)
            #expect(try await store.deliveries(leadNumber: 1).first { $0.channel == .email }?.state == .pending)
        }
    }

    @Test("failures back off and count; the last one makes the row dead; retry revives it", arguments: DatabaseEngine.allCases)
    func backoffAndDead(_ engine: DatabaseEngine) async throws {
        let clock = TestWallClock()
        try await withStore(engine, clock: clock) { (store: LeadStore) async throws in
            _ = try await store.accept(sampleLead())
            for attempt in 1...3 {
                let item = try #require(
                    try await store.claim(channel: .email, owner: "w", limit: 1, lease: .seconds(60)).first, "attempt \(attempt) was not due")
                try await store.record(.failed("SMTP 451 try later"), for: item, owner: "w", policy: policy)
                let status = try #require(try await store.deliveries(leadNumber: 1).first { $0.channel == .email })
                #expect(status.attempts == attempt)
                #expect(status.lastError == "SMTP 451 try later")
                #expect(status.state == (attempt == 3 ? .dead : .pending))
                if attempt < 3 {
                    // Backed off: not due before its time, due once it has come.
                    #expect(status.nextAttemptAt > status.updatedAt)
                    clock.advance(by: .milliseconds(Int64((status.nextAttemptAt.timeIntervalSince(clock.now()) * 1000).rounded()) - 1))
                    #expect(try await store.claim(channel: .email, owner: "w", limit: 1, lease: .seconds(60)).isEmpty)
                    clock.advance(by: .milliseconds(1))
                }
            }
            #expect(try await store.retryDead(leadNumber: 1) == 1)
            let revived = try #require(try await store.deliveries(leadNumber: 1).first { $0.channel == .email })
            #expect(revived.state == .pending)
            #expect(revived.attempts == 0)
            #expect(try await store.lead(number: 1) != nil)
        }
    }

    @Test("a channel that is down spends no attempt: the row stays due, and remembers it may have been sent", arguments: DatabaseEngine.allCases)
    func channelDown(_ engine: DatabaseEngine) async throws {
        try await withStore(engine) { (store: LeadStore) async throws in
            _ = try await store.accept(sampleLead())
            let item = try #require(try await store.claim(channel: .amocrm, owner: "w", limit: 1, lease: .seconds(60)).first)
            #expect(!item.maybeSent)
            try await store.record(.unavailable("amoCRM answered 503", maybeSent: true), for: item, owner: "w", policy: policy)
            let status = try #require(try await store.deliveries(leadNumber: 1).first { $0.channel == .amocrm })
            #expect(status.attempts == 0)
            #expect(status.state == .pending)
            #expect(status.lastError == "amoCRM answered 503")
            // Due at once for whoever may deliver now, with the warning that it may be there already.
            let again = try #require(try await store.claim(channel: .amocrm, owner: "w", limit: 1, lease: .seconds(60)).first)
            #expect(again.maybeSent)
            #expect(again.attempts == 0)
        }
    }

    @Test("work of an instance that stopped heartbeating is taken over at once; its own work comes back when it restarts", arguments: DatabaseEngine.allCases)
    func deadInstances(_ engine: DatabaseEngine) async throws {
        let clock = TestWallClock()
        try await withStore(engine, clock: clock) { (store: LeadStore) async throws in
            let instances = Instances(database: store.database, clock: clock)
            for _ in 1...2 { _ = try await store.accept(sampleLead()) }
            try await instances.heartbeat("a")
            try await instances.heartbeat("b")
            let first = try await store.claim(channel: .email, owner: "a/email", instance: "a", limit: 1, lease: .seconds(120))
            #expect(first.count == 1)
            // Alive: its lease holds.
            clock.advance(by: .seconds(10))
            try await instances.heartbeat("b")
            let second = try await store.claim(channel: .email, owner: "b/email", instance: "b", limit: 10, lease: .seconds(120))
            #expect(second.map(\.id) != first.map(\.id) && second.count == 1)
            // "a" is silent past the staleness limit: its row goes to "b" long before 120 s.
            clock.advance(by: .seconds(6))
            try await instances.heartbeat("b")
            #expect(try await store.claim(channel: .email, owner: "b/email", instance: "b", limit: 10, lease: .seconds(120)).map(\.id) == first.map(\.id))
            // "b" restarts under its own name: what it held is due again at once.
            #expect(try await store.releaseLeases(instance: "b") == 2)
            #expect(try await store.claim(channel: .email, owner: "b/email", instance: "b", limit: 10, lease: .seconds(120)).count == 2)
        }
    }

    @Test("a batch that outlasts its lease keeps it: nobody else delivers it meanwhile, and it is delivered once", arguments: DatabaseEngine.allCases)
    func leaseRenewal(_ engine: DatabaseEngine) async throws {
        let clock = TestWallClock()
        try await withStore(engine, clock: clock) { (store: LeadStore) async throws in
            _ = try await store.accept(sampleLead())
            let gate = AsyncStream<Void>.makeStream()
            let slow = GatedDeliverer(gate: gate.stream)
            let lease = Duration.seconds(3)
            let first = OutboxWorker(store: store, deliverer: slow, configuration: .init(lease: lease), logger: quietLogger)
            let other = OutboxWorker(store: store, deliverer: slow, configuration: .init(lease: lease), logger: quietLogger)
            let running = Task { await first.runOnce() }
            #expect(try await eventually { slow.started.value == 1 })
            // Ten lease lengths pass while the receiver is busy; the lease keeps being renewed.
            for _ in 0..<30 {
                let before = try await store.leaseExpiry(itemID: 1) ?? .distantPast
                #expect(try await eventually { clock.sleeping == 1 })  // the lease keeper waits for its next turn
                clock.advance(by: .seconds(1))
                #expect(try await eventually { (try await store.leaseExpiry(itemID: 1) ?? .distantPast) > before })
                #expect(await !other.runOnce())
            }
            gate.continuation.finish()
            #expect(await running.value)
            #expect(slow.started.value == 1)
            #expect(try await store.deliveries(leadNumber: 1).first { $0.channel == .email }?.state == .delivered)
        }
    }

    @Test("two instances on one PostgreSQL database never claim the same row (FOR UPDATE SKIP LOCKED)")
    func instancesShareTheOutbox() async throws {
        let location = try await DatabaseEngine.postgres.freshDatabase()
        try await withStore(at: location) { (first: LeadStore) async throws in
            try await withStore(at: location) { (second: LeadStore) async throws in
                for index in 0..<60 { _ = try await first.accept(sampleLead(name: "Клиент \(index)")) }
                let claimed = try await withThrowingTaskGroup(of: [Int].self) { group in
                    for (number, store) in [first, second, first, second, first, second].enumerated() {
                        group.addTask {
                            var ids: [Int] = []
                            while true {
                                let items = try await store.claim(channel: .email, owner: "w\(number)", limit: 7, lease: .seconds(60))
                                if items.isEmpty { return ids }
                                ids += items.map(\.id)
                            }
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0 += $1 }
                }
                #expect(claimed.count == 60)
                #expect(Set(claimed).count == 60)
            }
        }
    }

    @Test("a rejection is dead at once", arguments: DatabaseEngine.allCases)
    func rejected(_ engine: DatabaseEngine) async throws {
        try await withStore(engine) { (store: LeadStore) async throws in
            _ = try await store.accept(sampleLead())
            let item = try #require(try await store.claim(channel: .amocrm, owner: "w", limit: 1, lease: .seconds(60)).first)
            try await store.record(.rejected("400: bad field"), for: item, owner: "w", policy: policy)
            #expect(try await store.deliveries(leadNumber: 1).first { $0.channel == .amocrm }?.state == .dead)
        }
    }

    @Test("backoff grows exponentially with jitter and is capped")
    func backoff() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .seconds(30), maxDelay: .seconds(3600))
        for _ in 0..<50 {
            let first = policy.delay(afterAttempts: 1)
            #expect(first >= .seconds(15) && first <= .seconds(30))
            let fourth = policy.delay(afterAttempts: 4)
            #expect(fourth >= .seconds(120) && fourth <= .seconds(240))
            #expect(policy.delay(afterAttempts: 30) <= .seconds(3600))
        }
    }
}

/// A deliverer that holds every delivery until its gate closes.
final class GatedDeliverer: LeadDeliverer {
    let channel = DeliveryChannel.email
    let gate: AsyncStream<Void>
    let started = CallCounter()

    init(gate: AsyncStream<Void>) {
        self.gate = gate
    }

    func unavailableReason() async -> String? { nil }

    func deliver(_ lead: Lead) async -> DeliveryOutcome {
        started.increment()
        for await _ in gate {}
        return .delivered(externalID: nil)
    }
}
