import Basics
import Synchronization

/// Keeps every amoCRM call of this process under 7 per second (amoCRM answers 429 above
/// that, and blocks repeat offenders); `AccountPace` says how a deployment keeps to it.
///
/// Calls start evenly spaced, and a call starts only when fewer than 7 calls have *finished*
/// within the last second (calls in flight count as not finished). amoCRM sees a call at some
/// moment between its start and its end here, so the 8th call reaches amoCRM at least a second
/// after the 1st did, however late the network or a busy machine delivers either of them – a
/// pace computed from start times alone cannot promise that.
///
/// Lead deliveries come first: a `.background` call (reading a deal a webhook reported won)
/// waits while any `.leads` call waits for its turn, so however many events arrive, a
/// backlog of leads drains at the full pace.
public final class RequestPacer<C: Clock>: Sendable where C.Duration == Duration {
    public enum Priority: Sendable {
        /// Lead deliveries: customers wait for these.
        case leads
        /// Work nobody waits for (digital passports): only turns no lead call wants.
        case background
    }

    private struct State {
        var lastStart: C.Instant?
        var inFlight = 0
        /// End times of calls that ended within the last window.
        var recent: [C.Instant] = []
        var waiting: [(priority: Priority, continuation: CheckedContinuation<Void, Never>)] = []
        /// `.leads` calls inside `start()`, not yet on their way.
        var leadsWaiting = 0
        /// `.background` calls standing aside until no lead call waits.
        var deferred: [CheckedContinuation<Void, Never>] = []
    }

    private enum Turn {
        case go
        case sleep(until: C.Instant)
        case waitForEnd
        case standAside
    }

    let limit: Int
    let window: Duration
    let spacing: Duration
    private let clock: C
    private let state = Mutex(State())

    public init(perSecond limit: Int = 7, clock: C) {
        self.limit = max(1, limit)
        self.clock = clock
        // A few milliseconds over the second, for the two ends' clocks.
        window = .milliseconds(1010)
        spacing = .nanoseconds(1_000_000_000 / Int64(self.limit))
    }

    /// Calls waiting for one in flight to end, or standing aside for lead calls (tests).
    public var queued: Int { state.withLock { $0.waiting.count + $0.deferred.count } }

    /// Waits for this call's turn; `end()` must follow when the call has its answer (or failed).
    public func start(priority: Priority = .leads) async {
        if priority == .leads { state.withLock { $0.leadsWaiting += 1 } }
        while true {
            switch nextTurn(priority) {
            case .go:
                return
            case .sleep(let instant):
                // A cancelled caller takes its turn at once; its request fails without being sent.
                do { try await clock.sleep(until: instant, tolerance: nil) } catch { return take(priority) }
            case .standAside:
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state -> Bool in
                        guard state.leadsWaiting > 0 else { return true }
                        state.deferred.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            case .waitForEnd:
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state -> Bool in
                        guard state.inFlight >= limit else { return true }
                        state.waiting.append((priority, continuation))
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    public func end() {
        let now = clock.now
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.inFlight -= 1
            state.recent.append(now)
            // A lead call first, then the longest waiting.
            guard let next = state.waiting.firstIndex(where: { $0.priority == .leads }) ?? state.waiting.indices.first else { return nil }
            return state.waiting.remove(at: next).continuation
        }
        next?.resume()
    }

    private func nextTurn(_ priority: Priority) -> Turn {
        let now = clock.now
        let (turn, released) = state.withLock { state -> (Turn, [CheckedContinuation<Void, Never>]) in
            if priority == .background, state.leadsWaiting > 0 { return (.standAside, []) }
            state.recent.removeAll { $0.advanced(by: window) <= now }
            if state.inFlight >= limit { return (.waitForEnd, []) }
            var earliest = state.lastStart.map { $0.advanced(by: spacing) } ?? now
            if state.inFlight + state.recent.count >= limit, let oldest = state.recent.min() {
                earliest = max(earliest, oldest.advanced(by: window))
            }
            guard earliest <= now else { return (.sleep(until: earliest), []) }
            state.inFlight += 1
            state.lastStart = now
            return (.go, priority == .leads ? Self.leadGone(&state) : [])
        }
        for continuation in released { continuation.resume() }
        return turn
    }

    private func take(_ priority: Priority) {
        let now = clock.now
        let released = state.withLock { state in
            state.inFlight += 1
            state.lastStart = now
            return priority == .leads ? Self.leadGone(&state) : []
        }
        for continuation in released { continuation.resume() }
    }

    /// A lead call left the line; when it was the last, the calls standing aside may try.
    private static func leadGone(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        state.leadsWaiting -= 1
        guard state.leadsWaiting == 0 else { return [] }
        defer { state.deferred.removeAll() }
        return state.deferred
    }
}

extension RequestPacer where C == ContinuousClock {
    public convenience init(perSecond limit: Int = 7) {
        self.init(perSecond: limit, clock: ContinuousClock())
    }
}
