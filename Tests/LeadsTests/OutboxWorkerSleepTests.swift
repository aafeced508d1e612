import Basics
import Foundation
import Leads
import Storage
import Testing
import TestSupport

/// Delivers at once and counts what it delivered.
final class CountingDeliverer: LeadDeliverer {
    let channel = DeliveryChannel.email
    let delivered = CallCounter()

    func unavailableReason() async -> String? { nil }

    func deliver(_ lead: Lead) async -> DeliveryOutcome {
        delivered.increment()
        return .delivered(externalID: nil)
    }
}

@Suite("An idle outbox worker")
struct OutboxWorkerSleepTests {
    @Test("sleeps until its next look or a wake-up, again and again: a timed wake never leaves it spinning")
    func sleepsAfterEveryWake() async throws {
        let clock = TestWallClock()
        try await withStore(clock: clock) { (store: LeadStore) async throws in
            let deliverer = CountingDeliverer()
            let worker = OutboxWorker(store: store, deliverer: deliverer, configuration: .init(idlePoll: .seconds(5)), logger: quietLogger)
            let running = Task { try await worker.run() }
            #expect(try await eventually { clock.sleeping == 1 && clock.sleepCalls == 1 })
            // Timed looks: one sleep each. (An AsyncStream raced against the timer finished for
            // good after the first one, and the worker then queried the table in a busy loop.)
            for look in 2...4 {
                clock.advance(by: .seconds(5))
                #expect(try await eventually { clock.sleeping == 1 && clock.sleepCalls == look })
            }
            // A wake-up still ends the sleep at once.
            _ = try await store.accept(sampleLead())
            worker.wake()
            #expect(try await eventually { deliverer.delivered.value == 1 })
            #expect(try await eventually { clock.sleeping == 1 })
            let calls = clock.sleepCalls
            clock.advance(by: .seconds(5))
            #expect(try await eventually { clock.sleeping == 1 && clock.sleepCalls == calls + 1 })
            running.cancel()
            _ = await running.result
        }
    }
}
