import Basics
import Synchronization

/// How long cached catalog data is served without asking Directus.
public struct CachePolicy: Sendable {
    /// Served as is, no upstream call.
    public var fresh: Duration
    /// Until then a stale value is served at once while one background refresh runs; after
    /// it a request waits for the refresh (and still gets the stale value if that fails).
    public var stale: Duration
    /// Upper bound on keys, so that requests for random slugs cannot grow memory forever.
    public var maxEntries: Int

    public init(fresh: Duration = .seconds(60), stale: Duration = .seconds(86_400), maxEntries: Int = 10_000) {
        self.fresh = fresh
        self.stale = max(stale, fresh)
        self.maxEntries = maxEntries
    }
}

/// A monotonically increasing number that changes whenever any cached catalog data
/// changes; rendered pages are kept per version.
public final class CatalogVersion: Sendable {
    private let value = Atomic<UInt64>(1)

    public init() {}

    public var current: UInt64 { value.load(ordering: .acquiring) }

    public func bump() {
        value.add(1, ordering: .releasing)
    }
}

/// A stale-while-revalidate cache with single-flight loading.
///
/// - A fresh value is returned without calling `load`.
/// - A stale value is returned at once and one background refresh is started.
/// - Past the stale limit, callers wait for the refresh; if it fails they still get the old
///   value (stale-if-error). An error never replaces or evicts good data.
/// - Concurrent callers for one key share one `load` (one upstream request).
/// - After a failed load the key is not loaded again for a while (1 s, doubling to 30 s):
///   callers get the stale value, or the error at once, instead of each starting a download
///   that fails the same way (an oversized list would otherwise be fetched again and again).
/// - A load that was under way when keys were dropped (a Directus webhook) is not stored:
///   it may hold the data from before the change. Its callers get it; the next request
///   loads again.
public final class RefreshingCache<Key: Hashable & Sendable, Value: Sendable & Equatable>: Sendable {
    public typealias Loader = @Sendable () async throws -> Value

    private struct Entry {
        var value: Value
        var storedAt: ContinuousClock.Instant
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var inflight: [Key: (task: Task<Value, any Error>, generation: UInt64)] = [:]
        /// Counts drops (`remove`, `removeAll`); a load stores its value only if none came
        /// after it started.
        var generation: UInt64 = 0
        /// The last failed load of a key: when, how long to wait before the next, and why.
        var failures: [Key: (at: ContinuousClock.Instant, wait: Duration, error: any Error)] = [:]
    }

    static var firstRetry: Duration { .seconds(1) }
    static var longestRetry: Duration { .seconds(30) }

    private enum Plan {
        case value(Value)
        case wait(Task<Value, any Error>, fallback: Value?)
    }

    private let state = Mutex(State())
    private let policy: CachePolicy
    private let clock: any WallClock
    private let version: CatalogVersion
    private let onFailure: @Sendable (Key, any Error, _ hasStale: Bool) -> Void
    private let onChange: @Sendable () -> Void
    private let isAbsent: @Sendable (Value) -> Bool

    /// - Parameters:
    ///   - onChange: told after a load changed a value (the version moved on): what is built
    ///     from the values can be built again now, off the request path.
    ///   - onFailure: told once about every failed load (to log and count it); `hasStale`
    ///     says whether an older value is still being served.
    ///   - isAbsent: true for a value that says "no such item" (no page shows it): at the
    ///     size cap these go first, and dropping one changes no rendered page.
    public init(
        policy: CachePolicy, clock: any WallClock = SystemClock(), version: CatalogVersion,
        onFailure: @escaping @Sendable (Key, any Error, _ hasStale: Bool) -> Void = { _, _, _ in },
        onChange: @escaping @Sendable () -> Void = {},
        isAbsent: @escaping @Sendable (Value) -> Bool = { _ in false }
    ) {
        self.policy = policy
        self.clock = clock
        self.version = version
        self.isAbsent = isAbsent
        self.onFailure = onFailure
        self.onChange = onChange
    }

    public func value(for key: Key, load: @escaping Loader) async throws -> Value {
        let now = clock.instant()
        let plan: Plan = try state.withLock { state in
            // Within the wait after a failure, nothing new is started.
            let resting = state.failures[key].flatMap { failure in failure.at.duration(to: now) < failure.wait ? failure.error : nil }
            if let entry = state.entries[key] {
                let age = entry.storedAt.duration(to: now)
                if age < policy.fresh { return .value(entry.value) }
                guard let task = state.inflight[key]?.task ?? (resting == nil ? startLoad(key, load, in: &state) : nil) else {
                    return .value(entry.value)  // stale-if-error
                }
                if age < policy.stale { return .value(entry.value) }
                return .wait(task, fallback: entry.value)
            }
            if let task = state.inflight[key]?.task { return .wait(task, fallback: nil) }
            if let resting { throw resting }
            return .wait(startLoad(key, load, in: &state), fallback: nil)
        }
        switch plan {
        case .value(let value):
            return value
        case .wait(let task, let fallback):
            do {
                return try await task.value
            } catch {
                guard let fallback else { throw error }
                return fallback
            }
        }
    }

    /// The cached value, fresh or not, without loading.
    public func peek(_ key: Key) -> Value? {
        state.withLock { $0.entries[key]?.value }
    }

    /// Drops a key (a Directus webhook said it changed); the next request loads it again.
    ///
    /// The version moves on even when nothing was stored: a load under way may already have
    /// handed the data from before the change to its callers, and what they render must not
    /// count as current.
    public func remove(_ key: Key) {
        state.withLock { state in
            state.generation += 1
            state.inflight[key] = nil
            state.entries[key] = nil
            // Directus just reported a change: it is up, so no earlier failure holds the next load back.
            state.failures[key] = nil
        }
        version.bump()
    }

    /// Drops the keys (and their values) the predicate picks, and every load under way (it
    /// may be of a changed item: a slug whose product was purged); the version moves on.
    public func removeAll(where shouldRemove: (Key, Value) -> Bool = { _, _ in true }) {
        state.withLock { state in
            state.generation += 1
            state.inflight.removeAll()
            state.failures.removeAll()
            let keys = state.entries.filter { shouldRemove($0.key, $0.value.value) }.map(\.key)
            for key in keys { state.entries.removeValue(forKey: key) }
        }
        version.bump()
    }

    public var count: Int { state.withLock { $0.entries.count } }

    /// Whether a load of `key` is under way (tests).
    public func isLoading(_ key: Key) -> Bool { state.withLock { $0.inflight[key] != nil } }

    /// Starts the one load for `key`; called with the lock held, so there is never a second.
    private func startLoad(_ key: Key, _ load: @escaping Loader, in state: inout State) -> Task<Value, any Error> {
        let generation = state.generation
        let task = Task<Value, any Error> {
            do {
                let value = try await load()
                self.store(key, value, generation: generation)
                return value
            } catch {
                let now = self.clock.instant()
                let hasStale = self.state.withLock { state in
                    if state.inflight[key]?.generation == generation { state.inflight[key] = nil }
                    // A load from before a purge says nothing about the loads after it.
                    if state.generation == generation {
                        let wait = state.failures[key].map { min($0.wait * 2, Self.longestRetry) } ?? Self.firstRetry
                        state.failures[key] = (now, wait, error)
                    }
                    return state.entries[key] != nil
                }
                self.onFailure(key, error, hasStale)
                throw error
            }
        }
        state.inflight[key] = (task, generation)
        return task
    }

    private func store(_ key: Key, _ value: Value, generation: UInt64) {
        let now = clock.instant()
        let changed = state.withLock { state in
            if state.inflight[key]?.generation == generation { state.inflight[key] = nil }
            state.failures[key] = nil
            // Dropped while it loaded: it may be the data from before the change.
            guard state.generation == generation else { return false }
            // An unchanged value keeps its old copy: pages and indexes built from it share that
            // memory, and the new one (a whole catalog list, maybe) is freed at once.
            if let kept = state.entries[key], kept.value == value {
                state.entries[key]?.storedAt = now
                return false
            }
            let previous = state.entries.updateValue(Entry(value: value, storedAt: now), forKey: key)
            // A page rendered from an evicted value could outlive a change made while it was
            // not cached (its next load is a first insert): evicting real data bumps.
            var evictedData = false
            if previous == nil, state.entries.count > policy.maxEntries {
                evictedData = evictOldest(in: &state, keeping: key)
            }
            // A first insert changes no page that was already rendered; only a changed
            // value does (bumping on first loads would let requests for random slugs
            // invalidate every cached page).
            guard let previous else { return evictedData }
            return evictedData || previous.value != value
        }
        if changed {
            version.bump()
            onChange()
        }
    }

    /// Drops the oldest "no such item" entry, or else the oldest entry; true when that held
    /// real data.
    private func evictOldest(in state: inout State, keeping key: Key) -> Bool {
        let candidates = state.entries.lazy.filter { $0.key != key }
        let oldest =
            candidates.filter { self.isAbsent($0.value.value) }.min { $0.value.storedAt < $1.value.storedAt }
            ?? candidates.min { $0.value.storedAt < $1.value.storedAt }
        guard let oldest else { return false }
        state.entries.removeValue(forKey: oldest.key)
        return !isAbsent(oldest.value.value)
    }
}
