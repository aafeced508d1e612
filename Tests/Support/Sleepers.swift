import Basics
import Synchronization

/// Tasks asleep until a deadline of a test's clock; the clock wakes them when the test moves
/// it. Shared by `TestWallClock` (wall time) and `TestClock` (a monotonic `Clock`).
final class Sleepers<Deadline: Comparable & Sendable>: Sendable {
    private struct State {
        var asleep: [Int: (deadline: Deadline, continuation: CheckedContinuation<Void, any Error>)] = [:]
        var calls = 0
    }

    private let state = Mutex(State())

    var count: Int { state.withLock { $0.asleep.count } }
    var calls: Int { state.withLock { $0.calls } }
    var nextDeadline: Deadline? { state.withLock { $0.asleep.values.map(\.deadline).min() } }

    /// Wakes everyone whose deadline is `now` or earlier (the clock has moved there already).
    func wake(upTo now: Deadline) {
        let due = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            let ready = state.asleep.filter { $0.value.deadline <= now }
            for id in ready.keys { state.asleep[id] = nil }
            return ready.values.map(\.continuation)
        }
        for continuation in due { continuation.resume() }
    }

    /// Sleeps until the clock (read by `now`) reaches `deadline`, or the task is cancelled.
    func sleep(until deadline: Deadline, now: @Sendable () -> Deadline) async throws {
        let id = state.withLock { state -> Int in
            state.calls += 1
            return state.calls
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Checked and registered under one lock: a clock moved meanwhile either shows
                // here or wakes this sleeper.
                let resumeNow = state.withLock { state -> Bool in
                    if deadline <= now() || Task.isCancelled { return true }
                    state.asleep[id] = (deadline, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.asleep.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }
}
