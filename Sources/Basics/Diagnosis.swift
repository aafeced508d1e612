import Synchronization

/// One line of `catalog-bff doctor` and `/admin/health`: a check of one configured service,
/// live, with what was found and, when something is wrong, the exact fix. Texts are in
/// Russian (admins read them on `/admin/health`); `check` is a stable English key.
public struct Diagnosis: Sendable, Equatable {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case ok, warning, failure

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        /// The word the command line prints.
        public var word: String {
            switch self {
            case .ok: "ok"
            case .warning: "warning"
            case .failure: "FAILURE"
            }
        }
    }

    /// A stable key: `directus.fields`, `amocrm.pipeline`, `smtp`.
    public var check: String
    public var level: Level
    /// What was found (Russian).
    public var found: String
    /// What to do (Russian): the setting to change, the command to run. nil when all is well.
    public var fix: String?

    public init(check: String, level: Level, found: String, fix: String? = nil) {
        self.check = check
        self.level = level
        self.found = found
        self.fix = fix
    }

    public static func ok(_ check: String, _ found: String) -> Diagnosis {
        Diagnosis(check: check, level: .ok, found: found)
    }

    public static func warning(_ check: String, _ found: String, fix: String? = nil) -> Diagnosis {
        Diagnosis(check: check, level: .warning, found: found, fix: fix)
    }

    public static func failure(_ check: String, _ found: String, fix: String) -> Diagnosis {
        Diagnosis(check: check, level: .failure, found: found, fix: fix)
    }

    /// One line: `ok       directus.server   Directus отвечает … → fix`. It may hold what a
    /// service answered (a pipeline's name, say): a terminal gets it through
    /// `PrintableText.escape`, a page through the templates' escaping.
    public var line: String {
        let level = self.level.word.padding(toLength: 8, withPad: " ", startingAt: 0)
        let check = self.check.padding(toLength: 18, withPad: " ", startingAt: 0)
        var line = "\(level) \(check) \(found)"
        if let fix { line += " → \(fix)" }
        return line
    }

    /// The checks a body gives, or one failure for `check` when it has not answered within
    /// `deadline`. The body runs in its own task and is left behind (cancelled) on timeout,
    /// so a check stuck in a call that ignores cancellation (libcurl on a thread) cannot hold
    /// the doctor past its deadline.
    public static func within(
        _ deadline: Duration, check: String, fix: String, _ body: @escaping @Sendable () async -> [Diagnosis]
    ) async -> [Diagnosis] {
        let answer = FirstAnswer<[Diagnosis]>()
        let seconds = Double(deadline.components.seconds) + Double(deadline.components.attoseconds) / 1e18
        let late = [Diagnosis.failure(check, "нет ответа за \(seconds.formatted(decimals: 1)) с", fix: fix)]
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                answer.install(continuation)
                let work = Task { answer.give(await body()) }
                let timer = Task {
                    try? await Task.sleep(for: deadline)
                    answer.give(late)
                    work.cancel()
                }
                answer.onFinish { timer.cancel() }
            }
        } onCancel: {
            answer.give(late)
        }
    }
}

extension Double {
    /// `1.5`, `8`: at most `decimals` digits after the point, none when whole.
    func formatted(decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (self * scale).rounded() / scale
        // Russian writes a decimal comma: «2,7 с».
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded).replacingOccurrences(of: ".", with: ",")
    }
}

/// Resumes a continuation with the first value given; later ones are dropped.
final class FirstAnswer<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, Never>?
        var value: Value?
        var finish: (@Sendable () -> Void)?
        var done = false
    }

    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<Value, Never>) {
        let early = state.withLock { state -> Value? in
            if let value = state.value {
                state.done = true
                return value
            }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(returning: early) }
    }

    func give(_ value: Value) {
        let (continuation, finish) = state.withLock { state -> (CheckedContinuation<Value, Never>?, (@Sendable () -> Void)?) in
            guard !state.done, state.value == nil else { return (nil, nil) }
            guard let continuation = state.continuation else {
                state.value = value
                return (nil, nil)
            }
            state.done = true
            state.continuation = nil
            return (continuation, state.finish)
        }
        continuation?.resume(returning: value)
        finish?()
    }

    func onFinish(_ finish: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.done { return true }
            state.finish = finish
            return false
        }
        if now { finish() }
    }
}
