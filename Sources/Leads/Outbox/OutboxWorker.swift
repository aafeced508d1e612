import Basics
import CoreMetrics
import Foundation
import Logging
import ServiceLifecycle
import Storage
import Synchronization

/// Delivers one channel's outbox rows: claims due rows under a lease, delivers them, and
/// records the outcome. Runs as a service in the application's service group.
///
/// A worker that dies mid-delivery leaves its lease to expire; the row is then claimed
/// again (at-least-once delivery). On graceful shutdown it finishes the delivery in hand
/// and stops claiming. While its channel's breaker is open it sends only a probe now and
/// then; failures of the whole channel never spend a lead's attempts.
public final class OutboxWorker: Service, Sendable {
    public struct Configuration: Sendable {
        public var batchSize: Int
        public var lease: Duration
        /// The longest sleep between looks at the table, in case a wake-up was missed
        /// (another instance stored the lead).
        public var idlePoll: Duration
        public var retry: RetryPolicy
        /// This instance's id: its leases are taken over at once if it stops heartbeating,
        /// and given back when it starts again.
        public var instance: String?
        /// A role only one instance of the deployment may hold while it delivers (amoCRM's,
        /// whose 7 requests per second are per account: `AccountPace`).
        public var role: String?
        public static let roleLease: Duration = .seconds(5)

        public init(
            batchSize: Int = 16, lease: Duration = .seconds(120), idlePoll: Duration = .seconds(5), retry: RetryPolicy = RetryPolicy(),
            instance: String? = nil, role: String? = nil
        ) {
            self.batchSize = batchSize
            self.lease = lease
            self.idlePoll = idlePoll
            self.retry = retry
            self.instance = instance
            self.role = role
        }
    }

    let store: LeadStore
    public let deliverer: any LeadDeliverer
    let configuration: Configuration
    let logger: Logger
    let owner: String
    /// Whether the channel works as a whole (admin page, readiness, metrics read it).
    public let breaker: ChannelBreaker
    private let wakeups = WakeSignal()
    private let stopping = Atomic<Bool>(false)
    /// False while another instance holds this worker's role: it waits for the role, not the rows.
    private let roleHeld = Atomic<Bool>(true)
    private let metrics: any MetricsFactory
    private let dead: Counter

    public init(
        store: LeadStore, deliverer: any LeadDeliverer, configuration: Configuration = Configuration(),
        metrics: any MetricsFactory = NOOPMetricsHandler.instance, logger: Logger
    ) {
        self.store = store
        self.deliverer = deliverer
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        dead = Counter(label: "outbox_dead_total", dimensions: [("channel", deliverer.channel.rawValue)], factory: metrics)
        owner = configuration.instance.map { "\($0)/\(deliverer.channel)" }
            ?? "\(ProcessInfo.processInfo.processIdentifier)/\(deliverer.channel)/\(RandomHex.make(bytes: 6))"
        breaker = ChannelBreaker(channel: deliverer.channel, clock: store.clock, logger: logger)
    }

    /// Whether this worker held its role when it last looked (true for a worker without one):
    /// the `amocrm` sender's instance is the one whose breaker knows amoCRM's state.
    public var holdsRole: Bool { roleHeld.load(ordering: .relaxed) }

    /// New work is there (a lead was stored, an admin pressed retry or reconnected amoCRM):
    /// look now, and if the channel was down, probe it now.
    public func wake() {
        breaker.probeNow()
        wakeups.signal()
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
                let worked = await runOnce()
                if !worked { await sleep() }
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
            self.wakeups.signal()
        }
    }

    /// Claims and delivers one batch (one probe while the channel is down); true if there was
    /// anything to do.
    @discardableResult
    public func runOnce() async -> Bool {
        if let reason = await deliverer.unavailableReason() {
            // Switched off by configuration is no outage: nothing to report again and again.
            if !deliverer.switchedOff { breaker.trip(reason) }
            return false
        }
        let limit: Int
        switch breaker.permission {
        case .deliver: limit = configuration.batchSize
        case .probe: limit = 1
        case .wait: return false
        }
        guard await holdRole() else { return false }
        let items: [OutboxItem]
        do {
            items = try await store.claim(
                channel: deliverer.channel, owner: owner, instance: configuration.instance, limit: limit, lease: configuration.lease)
        } catch {
            logger.error("outbox claim failed", metadata: ["channel": "\(deliverer.channel)", "error": "\(error)"])
            return false
        }
        await deliver(items)
        return !items.isEmpty
    }

    private func deliver(_ items: [OutboxItem]) async {
        var batch: [(item: OutboxItem, lead: Lead)] = []
        for item in items {
            do {
                if let lead = try await store.lead(number: item.leadNumber) {
                    batch.append((item, lead))
                } else {
                    try await store.record(.rejected("lead \(item.leadNumber) not found"), for: item, owner: owner, policy: configuration.retry)
                }
            } catch {
                logger.error("outbox read failed", metadata: ["lead_number": "\(item.leadNumber)", "error": "\(error)"])
            }
        }
        guard !batch.isEmpty else { return }
        // While the batch is out, its leases (and the role) are renewed, so no other worker
        // takes it over however long the receiver takes.
        let keeper = Task { [store, owner, configuration] in
            // The role is renewed well inside its 5 s: a slow write must not let it lapse
            // (and a second sender start) while this batch is still going out.
            let every = min(configuration.lease / 3, OutboxWorker.Configuration.roleLease / 5)
            while !Task.isCancelled {
                do { try await store.clock.sleep(for: every) } catch { return }
                guard !Task.isCancelled else { return }
                _ = try? await store.renew(batch.map(\.item), owner: owner, lease: configuration.lease)
                _ = await self.holdRole()
            }
        }
        let outcomes = await deliverer.deliver(batch: batch.map { ($0.lead, $0.item.maybeSent) })
        keeper.cancel()
        var channelDown: String?
        for (entry, outcome) in zip(batch, outcomes) {
            let applied: OutboxState?
            do {
                applied = try await store.record(outcome, for: entry.item, owner: owner, policy: configuration.retry)
            } catch {
                logger.error("outbox update failed", metadata: ["lead_number": "\(entry.item.leadNumber)", "error": "\(error)"])
                continue
            }
            count(outcome, state: applied)
            if case .unavailable(let reason, _) = outcome { channelDown = reason } else { log(outcome, entry.item) }
        }
        if let channelDown {
            breaker.trip(channelDown)
        } else if outcomes.contains(where: { if case .delivered = $0 { true } else { false } }) {
            breaker.succeeded()
        }
    }

    /// True when this worker may deliver: it has no role to hold, or holds it now.
    private func holdRole() async -> Bool {
        guard let role = configuration.role, let instance = configuration.instance else { return true }
        let held: Bool
        do {
            held = try await Instances(database: store.database, clock: store.clock)
                .hold(role, for: instance, duration: Configuration.roleLease)
        } catch is CancellationError {
            return roleHeld.load(ordering: .relaxed)
        } catch {
            logger.error("role check failed", metadata: ["role": "\(role)", "error": "\(error)"])
            held = false
        }
        roleHeld.store(held, ordering: .relaxed)
        return held
    }

    /// Attempts by outcome, and rows that went dead (metrics); `state` is what the row became,
    /// nil when the outcome was not applied (the lease was lost meanwhile).
    private func count(_ outcome: DeliveryOutcome, state: OutboxState?) {
        guard let state else { return }
        let name: String
        switch outcome {
        case .delivered: name = "delivered"
        case .failed: name = "failed"
        case .rejected: name = "rejected"
        case .unavailable: name = "unavailable"
        }
        Counter(label: "outbox_attempts_total", dimensions: [("channel", deliverer.channel.rawValue), ("outcome", name)], factory: metrics)
            .increment()
        if state == .dead { dead.increment() }
    }

    /// One line per lead for what concerns that lead; a channel that is down is the
    /// breaker's to report, once.
    private func log(_ outcome: DeliveryOutcome, _ item: OutboxItem) {
        var metadata: Logger.Metadata = [
            "lead_number": "\(item.leadNumber)", "channel": "\(item.channel)", "attempt": "\(item.attempts + 1)",
        ]
        switch outcome {
        case .delivered(let external):
            if let external { metadata["external_id"] = "\(external)" }
            logger.info("lead delivered", metadata: metadata)
        case .failed(let reason):
            metadata["error"] = "\(reason)"
            let dead = item.attempts + 1 >= configuration.retry.maxAttempts
            logger.log(level: dead ? .error : .warning, dead ? "lead delivery failed for good" : "lead delivery failed, will retry", metadata: metadata)
        case .rejected(let reason):
            metadata["error"] = "\(reason)"
            logger.error("lead delivery rejected", metadata: metadata)
        case .unavailable:
            break
        }
    }

    /// Sleeps until the next row is due, a wake-up, or shutdown.
    private func sleep() async {
        var delay = configuration.idlePoll
        let now = store.clock.now()
        if !roleHeld.load(ordering: .relaxed) {
            // Another instance delivers; look again about when its role would run out.
            delay = min(delay, Configuration.roleLease)
        } else if case .wait(let until) = breaker.permission {
            delay = min(delay, .milliseconds(max(0, Int64(until.timeIntervalSince(now) * 1000))))
        } else if await deliverer.unavailableReason() == nil, let due = try? await store.nextDue(channel: deliverer.channel) {
            let untilDue = Duration.milliseconds(max(0, Int64(due.timeIntervalSince(now) * 1000)) + 5)
            delay = min(delay, untilDue)
        }
        let wakeups = wakeups
        let pause = delay
        let clock = store.clock
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(for: pause) }
            group.addTask { await wakeups.wait() }
            await group.next()
            group.cancelAll()
        }
    }
}
