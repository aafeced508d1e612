import Basics
import AmoCRM
import Foundation
import Leads
import Logging
import Mail
import ServiceLifecycle
import Storage
import Synchronization

/// Works through amoCRM's events in the background: each deal an event reports
/// won is read again from amoCRM and, if it is won, gets its one passport; then the note with
/// the passport's link goes onto the deal, and a copy to the sales mailbox.
///
/// Every step is durable and repeatable: an event stays pending until its deal is settled, a
/// passport's note and mail are due until they are sent. While amoCRM or the mail server is
/// down, nothing is lost or given up: the worker looks again after 1 s, doubling up to 30 s,
/// and at once when woken (a new event, amoCRM reconnected).
public final class PassportWorker: Service, Sendable {
    let store: PassportStore
    let issuer: PassportIssuer
    let deals: AmoCRMDeals
    let tokens: TokenManager
    let mail: PassportMail
    let pageURL: @Sendable (String) -> String
    /// This instance: only the holder of amoCRM's role talks to amoCRM (`AccountPace`). Nil: no
    /// role to hold (one instance).
    let instance: String?
    let logger: Logger
    private let wakeups = WakeSignal()
    private let amoCRMWait: Mutex<Backoff>
    private let mailWait: Mutex<Backoff>
    /// When handled events were last deleted.
    private let lastPrune = Mutex<Date?>(nil)

    /// How long a handled event is kept (to look into a set-aside one), and how often they go.
    static let handledEventsKept: TimeInterval = 7 * 86_400
    static let pruneEvery: TimeInterval = 3_600

    /// Events read per round.
    static let batch = 50
    /// The longest sleep without a wake-up (another instance may have stored an event).
    static let idlePoll: Duration = .seconds(30)

    public init(
        store: PassportStore, issuer: PassportIssuer, deals: AmoCRMDeals, tokens: TokenManager, mail: PassportMail,
        pageURL: @escaping @Sendable (String) -> String, instance: String?, logger: Logger
    ) {
        self.store = store
        self.issuer = issuer
        self.deals = deals
        self.tokens = tokens
        self.mail = mail
        self.pageURL = pageURL
        self.instance = instance
        self.logger = logger
        amoCRMWait = Mutex(Backoff())
        mailWait = Mutex(Backoff())
    }

    /// New events were stored, or amoCRM was reconnected: look now.
    public func wake() {
        amoCRMWait.withLock { $0.retryAt = nil }
        wakeups.signal()
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                if await !runOnce() { await sleep() }
            }
        } onGracefulShutdown: {
            self.wakeups.signal()
        }
    }

    /// One round: events, notes, mail. True if it did anything.
    @discardableResult
    public func runOnce() async -> Bool {
        var worked = false
        let now = store.clock.now()
        if amoCRMWait.withLock({ $0.ready(at: now) }), await tokens.problem() == nil, await holdRole() {
            do {
                worked = try await settleEvents()
                worked = try await addNotes() || worked
                amoCRMWait.withLock { $0.succeeded() }
            } catch {
                let delay = amoCRMWait.withLock { $0.failed(at: store.clock.now(), hint: error as? AmoCRMError) }
                logger.warning(
                    "digital passports wait for amoCRM", metadata: ["error": "\(error)", "retry_in": "\(delay.components.seconds)s"])
            }
        }
        await pruneHandledEvents(now: now)
        if mailWait.withLock({ $0.ready(at: store.clock.now()) }) {
            do {
                worked = try await sendMail() || worked
                mailWait.withLock { $0.succeeded() }
            } catch {
                let delay = mailWait.withLock { $0.failed(at: store.clock.now(), hint: nil) }
                logger.warning(
                    "passport mail waits for the mail server", metadata: ["error": "\(error)", "retry_in": "\(delay.components.seconds)s"])
            }
        }
        return worked
    }

    /// Settles the pending events, deal by deal, oldest first. Throws (leaving the rest
    /// pending) when amoCRM or the database cannot answer.
    private func settleEvents() async throws -> Bool {
        let events = try await store.pendingEvents(limit: Self.batch)
        guard !events.isEmpty else { return false }
        var order: [Int] = []
        var byDeal: [Int: [PassportStore.PendingEvent]] = [:]
        for event in events {
            if byDeal[event.leadID] == nil { order.append(event.leadID) }
            byDeal[event.leadID, default: []].append(event)
        }
        let settled = try await store.dealsWithPassports(order)
        var nothingToDo: [PassportStore.PendingEvent] = []
        for deal in order {
            let dealEvents = byDeal[deal] ?? []
            let ids = dealEvents.map(\.id)
            // Lost, moved elsewhere, or already given its passport: nothing to do.
            guard !settled.contains(deal), let won = dealEvents.first(where: { $0.statusID == StatusEvent.won }) else {
                nothingToDo += dealEvents
                continue
            }
            let verdict: PassportIssuer.Verdict
            do {
                verdict = try await issuer.verdict(dealID: deal, eventAt: won.receivedAt, now: store.clock.now())
            } catch let error as AmoCRMError where Self.aboutThisDeal(error) {
                logger.error("amoCRM won event set aside", metadata: ["deal": "\(deal)", "error": "\(error)"])
                try await store.settle(dealEvents, error: error.description)
                continue
            }
            switch verdict {
            case .notWon(let status):
                logger.notice(
                    "amoCRM won event not confirmed: the deal is not won", metadata: ["deal": "\(deal)", "status": "\(status.map(String.init) ?? "none")"])
                nothingToDo += dealEvents
            case .issue(let passport):
                let (stored, created) = try await store.issue(passport, events: ids)
                if created {
                    logger.info("digital passport issued", metadata: ["deal": "\(deal)", "passport": "\(pageURL(stored.code))"])
                }
            }
        }
        try await store.settle(nothingToDo)
        return true
    }

    /// A failure that is about this deal, not about amoCRM as a whole: an answer the API does
    /// not document, or a 4xx other than 401 and 429. Retrying would not change it.
    static func aboutThisDeal(_ error: AmoCRMError) -> Bool {
        switch error {
        case .invalidResponse, .rejected: true
        default: false
        }
    }

    /// Adds the due notes, in one request; a refused batch is sent note by note, and a note
    /// amoCRM refuses on its own (the deal was deleted) is given up with an error line.
    private func addNotes() async throws -> Bool {
        let due = try await store.notesDue(limit: 50)
        guard !due.isEmpty else { return false }
        let notes = due.map { (dealID: $0.amoLeadID, text: PassportText($0, url: pageURL($0.code)).note) }
        do {
            try await deals.addNotes(notes)
            try await store.markNoted(due.map(\.code))
            return true
        } catch {
            guard Self.refusal(error) != nil else { throw error }
        }
        for (passport, note) in zip(due, notes) {
            do {
                try await deals.addNotes([note])
            } catch {
                guard let status = Self.refusal(error) else { throw error }
                logger.error("amoCRM refused the passport note", metadata: ["deal": "\(passport.amoLeadID)", "status": "\(status)"])
            }
            try await store.markNoted([passport.code])
        }
        return true
    }

    /// The status of amoCRM's refusal (a 4xx about the request), or nil for any other error.
    static func refusal(_ error: any Error) -> Int? {
        guard let error = error as? AmoCRMError, case .rejected(let status, _) = error else { return nil }
        return status
    }

    /// Sends the due copies to the mailbox; one the server refuses for good is given up with
    /// an error line.
    private func sendMail() async throws -> Bool {
        let due = try await store.mailDue(limit: 10)
        for passport in due {
            do {
                try await mail.send(passport)
            } catch MailError.refused(let reason) {
                logger.error("passport mail refused", metadata: ["deal": "\(passport.amoLeadID)", "error": "\(reason)"])
            }
            try await store.markMailed([passport.code])
        }
        return !due.isEmpty
    }

    /// Handled events go after a week, checked once an hour: a webhook that keeps sending
    /// cannot grow the table without end.
    private func pruneHandledEvents(now: Date) async {
        let due = lastPrune.withLock { last -> Bool in
            guard last.map({ now.timeIntervalSince($0) >= Self.pruneEvery }) ?? true else { return false }
            last = now
            return true
        }
        guard due else { return }
        do {
            let pruned = try await AmoCRMEvents(database: store.database, clock: store.clock)
                .prune(handledBefore: now.addingTimeInterval(-Self.handledEventsKept))
            if pruned > 0 { logger.info("handled amoCRM events deleted", metadata: ["count": "\(pruned)"]) }
        } catch {
            logger.warning("handled amoCRM events not deleted", metadata: ["error": "\(error)"])
        }
    }

    private func holdRole() async -> Bool {
        guard let instance else { return true }
        do {
            return try await AccountPace.hold(for: instance, instances: Instances(database: store.database, clock: store.clock))
        } catch {
            logger.error("role check failed", metadata: ["role": "\(AccountPace.role)", "error": "\(error)"])
            return false
        }
    }

    private func sleep() async {
        let now = store.clock.now()
        var delay = Self.idlePoll
        // Only a retry still ahead shortens the sleep: one that is due but could not be made
        // (amoCRM needs reconnecting, another instance holds the role) must not make it spin.
        for retryAt in [amoCRMWait.withLock { $0.retryAt }, mailWait.withLock { $0.retryAt }].compactMap({ $0 }) where retryAt > now {
            delay = min(delay, .milliseconds(Int64(retryAt.timeIntervalSince(now) * 1000) + 1))
        }
        let wakeups = wakeups
        let clock = store.clock
        let pause = delay
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(for: pause) }
            group.addTask { await wakeups.wait() }
            await group.next()
            group.cancelAll()
        }
    }
}

/// When a service that failed is tried again: 1 s after the first failure, doubling to 30 s.
struct Backoff: Sendable {
    var retryAt: Date?
    var delay: Duration = .zero

    static let first: Duration = .seconds(1)
    static let longest: Duration = .seconds(30)

    func ready(at now: Date) -> Bool { retryAt.map { $0 <= now } ?? true }

    mutating func succeeded() {
        retryAt = nil
        delay = .zero
    }

    mutating func failed(at now: Date, hint: AmoCRMError?) -> Duration {
        delay = delay == .zero ? Self.first : min(delay * 2, Self.longest)
        // amoCRM's 429 asks for about a second.
        if case .rateLimited = hint { delay = Self.first }
        retryAt = now.addingTimeInterval(Double(delay.components.seconds))
        return delay
    }
}
