import Basics
import Foundation
import Mail
import Logging
import ServiceLifecycle
import Storage
import Synchronization

/// Turns what the checks see into incidents and mails each one to the operators once when it
/// opens and once when it clears (a service of the application).
///
/// One instance of a deployment looks at a time (`leader`: the instance that sends to amoCRM,
/// whose breaker knows amoCRM's state), and incidents and their mail are rows every instance
/// shares (one open incident per key, each mail claimed before it is sent), so an outage seen
/// by three instances is one mail. A condition must hold for its `after` before it is an
/// incident (a blip is none). While the mail server is itself the trouble, alerts are logged
/// at `critical`, shown on `/readyz` and `/admin`, and mailed once mail works again.
public final class Alerter: Service, Sendable {
    public struct Configuration: Sendable {
        /// How often the checks run.
        public var interval: Duration
        /// Whether this instance looks now.
        public var leader: @Sendable () async -> Bool

        public init(interval: Duration = .seconds(10), leader: @escaping @Sendable () async -> Bool = { true }) {
            self.interval = interval
            self.leader = leader
        }
    }

    /// A leader by a role lease of its own (`alerts`), for deployments without an amoCRM sender.
    public static func roleLeader(instance: String, database: any Database, clock: any WallClock, duration: Duration) -> @Sendable () async -> Bool {
        {
            (try? await Instances(database: database, clock: clock).hold(role, for: instance, duration: duration)) ?? false
        }
    }

    let store: AlertStore
    let mail: AlertMail
    let checks: @Sendable () async -> [AlertCheck]
    let configuration: Configuration
    let logger: Logger
    private let wakeups = WakeSignal()
    private let stopping = Atomic<Bool>(false)

    private struct State {
        /// When each failing condition was first seen (this instance's view).
        var firstSeen: [String: Date] = [:]
        /// Mail that failed waits until then before it is tried again.
        var nextMail: Date?
        var mailDelay: Duration = .zero
        /// Incidents whose unsent mail was already logged at `critical`.
        var reported: Set<Int> = []
    }
    private let state = Mutex(State())
    static let firstMailRetry: Duration = .seconds(5)
    static let longestMailRetry: Duration = .seconds(60)
    /// A claimed mail is this instance's to send for this long (SMTP's own timeouts are shorter).
    static let mailClaim: Duration = .seconds(120)
    static let role = "alerts"

    public init(
        store: AlertStore, mail: AlertMail, configuration: Configuration = Configuration(), logger: Logger,
        checks: @escaping @Sendable () async -> [AlertCheck]
    ) {
        self.store = store
        self.mail = mail
        self.checks = checks
        self.configuration = configuration
        self.logger = logger
    }

    /// Look now (a channel came back, an admin reconnected amoCRM).
    public func wake() {
        state.withLock { $0.nextMail = nil }
        wakeups.signal()
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
                await runOnce()
                let wakeups = wakeups
                let (clock, interval) = (store.clock, configuration.interval)
                // Whichever comes first: the next round, or a wake-up.
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { try? await clock.sleep(for: interval) }
                    group.addTask { await wakeups.wait() }
                    await group.next()
                    group.cancelAll()
                }
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
            self.wakeups.signal()
        }
    }

    /// One round: the checks, incidents opened and closed, mail that is due.
    public func runOnce() async {
        guard await configuration.leader() else {
            // Another instance looks; what this one saw before says nothing when it looks again.
            state.withLock { $0.firstSeen.removeAll() }
            return
        }
        let now = store.clock.now()
        let results = await checks()
        let open: [String: Incident]
        do {
            open = Dictionary(try await store.openIncidents().map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        } catch {
            logger.error("alerts could not be read", metadata: ["error": "\(error)"])
            return
        }
        var mailBlocked = false
        for check in results {
            guard let signal = check.signal else {
                state.withLock { $0.firstSeen[check.key] = nil }
                if open[check.key] != nil { await close(check.key, at: now) }
                continue
            }
            let first = state.withLock { state in
                let first = state.firstSeen[check.key] ?? min(signal.since ?? now, now)
                state.firstSeen[check.key] = first
                return first
            }
            if signal.blocksMail { mailBlocked = true }
            if let incident = open[check.key] {
                if incident.detail != signal.detail { try? await store.describe(check.key, detail: signal.detail) }
                continue
            }
            guard first.distance(to: now) >= Double(signal.after.components.seconds) else { continue }
            await openIncident(signal, at: now)
        }
        await sendDue(blocked: mailBlocked, now: now)
    }

    private func openIncident(_ signal: AlertSignal, at now: Date) async {
        do {
            guard try await store.open(signal, at: now) else { return }
        } catch {
            logger.error("alert could not be stored", metadata: ["alert": "\(signal.key)", "error": "\(error)"])
            return
        }
        logger.log(
            level: signal.blocksMail ? .critical : .error, "alert: \(signal.title)",
            metadata: ["alert": "\(signal.key)", "detail": "\(signal.detail)"])
    }

    private func close(_ key: String, at now: Date) async {
        do {
            guard try await store.close(key, at: now) else { return }
        } catch {
            logger.error("alert could not be closed", metadata: ["alert": "\(key)", "error": "\(error)"])
            return
        }
        // Something works again (perhaps the mail server): due mail is tried now.
        state.withLock { $0.nextMail = nil }
        logger.notice("alert cleared", metadata: ["alert": "\(key)"])
    }

    /// Mails what is due. After a failure the next try waits (5 s, doubling to 60 s); while the
    /// mail server is itself the trouble, at the longest wait. Each unsent alert is logged at
    /// `critical`, once.
    private func sendDue(blocked: Bool, now: Date) async {
        let due: [Incident]
        do {
            due = try await store.mailDue()
        } catch {
            logger.error("alerts could not be read", metadata: ["error": "\(error)"])
            return
        }
        guard !due.isEmpty else { return }
        if blocked { reportUnsent(due, reason: "the mail server is down") }
        if state.withLock({ state in state.nextMail.map { now < $0 } ?? false }) { return }
        for (index, incident) in due.enumerated() {
            do {
                guard try await store.claimMail(incident, now: now, until: now + Self.mailClaim) else { continue }
            } catch {
                logger.error("alert mail could not be claimed", metadata: ["alert": "\(incident.key)", "error": "\(error)"])
                return
            }
            do {
                try await mail.send(incident, now: now)
                try await store.markMailed(incident, at: now)
                state.withLock { state in
                    state.mailDelay = .zero
                    state.reported.remove(incident.id)
                }
                logger.info("alert mailed", metadata: ["alert": "\(incident.key)", "cleared": "\(incident.closedAt != nil)"])
            } catch {
                try? await store.markMailFailed(incident, error: "\(error)")
                if case MailError.refused = error {
                    // This message was refused, not mail as such: the others may still go.
                    reportUnsent([incident], reason: "\(error)")
                    continue
                }
                backOff(now: now, blocked: blocked)
                reportUnsent(Array(due[index...]), reason: "\(error)")
                return
            }
        }
    }

    private func reportUnsent(_ incidents: [Incident], reason: String) {
        for incident in incidents where incident.isOpen {
            let first = state.withLock { $0.reported.insert(incident.id).inserted }
            guard first else { continue }
            logger.critical(
                "alert not mailed: \(incident.title)", metadata: ["alert": "\(incident.key)", "detail": "\(incident.detail)", "reason": "\(reason)"])
        }
    }

    private func backOff(now: Date, blocked: Bool) {
        state.withLock { state in
            state.mailDelay = blocked ? Self.longestMailRetry : state.mailDelay == .zero ? Self.firstMailRetry : min(state.mailDelay * 2, Self.longestMailRetry)
            state.nextMail = now + state.mailDelay
        }
    }
}
