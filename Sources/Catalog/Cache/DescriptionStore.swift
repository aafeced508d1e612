import Basics
import Caching
import Synchronization

/// Descriptions could not be read now because enough reads are under way (visitors asking
/// for many uncached pages at once): pages show the excerpt, the API answers 503. Not a
/// failure of Directus.
public struct DescriptionsBusy: Error, Sendable {}

/// Full product descriptions, read from the source only when a product's page (or API entry)
/// is built, and kept within a byte budget, least recently used first out.
///
/// The catalog index holds every product without its description HTML (an excerpt and a
/// digest of the whole text only), so a catalog of any size costs little memory; the
/// descriptions visitors actually look at are here.
///
/// - An entry is good as long as its digest is the product's `descriptionDigest`: an edit
///   Directus reports through the list is read again, and a purge (a Directus webhook) drops
///   them all.
/// - Concurrent requests for one product (and one digest) share one read; a page's products
///   are read in one request.
/// - At most `maxReads` reads run at once. A single product's read waits in a line of
///   `maxWaiting`; a read of several (an API list) runs only when a slot is free. Beyond
///   that: `DescriptionsBusy`. No visitor can make Directus serve more than that at a time.
/// - After a failed read, no new one starts for a while (1 s, doubling to 30 s, or Directus'
///   `Retry-After`): while Directus is down each page is built at once with the excerpt
///   instead of waiting for a timeout. A purge ends the wait.
/// - A read that was under way when the store was purged is handed to its callers but not
///   kept: it may be from before the change.
final class DescriptionStore: Sendable {
    /// What a read found, by product id: the digest of the description read, and its HTML.
    typealias Found = [Int: (digest: UInt64, html: String)]
    typealias Loader = @Sendable ([Int]) async throws -> Found

    private struct Entry {
        var digest: UInt64
        var html: String
    }

    private typealias Read = Task<Found, any Error>

    private struct State {
        var entries: LRUCache<Int, Entry>
        /// Reads under way, by product id (one read may cover several ids), with the digest
        /// the read was started for.
        var inflight: [Int: (task: Read, digest: UInt64, generation: UInt64)] = [:]
        /// Counts purges; a read keeps its result only if none came after it started.
        var generation: UInt64 = 0
        var failure: (at: ContinuousClock.Instant, wait: Duration, error: any Error)?
        /// Reads holding a slot, and reads waiting for one.
        var running = 0
        var line: [CheckedContinuation<Void, Never>] = []
        var waiting = 0
        /// Requests that joined a read under way (tests).
        var joins = 0
    }

    static var firstRetry: Duration { .seconds(1) }
    static var longestRetry: Duration { .seconds(30) }
    /// What an entry costs besides its HTML (bookkeeping), roughly.
    static var entryOverhead: Int { 128 }

    private let state: Mutex<State>
    private let clock: any WallClock
    private let maxReads: Int
    private let maxWaiting: Int

    init(maxBytes: Int, maxEntries: Int = 20_000, maxReads: Int = 4, maxWaiting: Int = 64, clock: any WallClock = SystemClock()) {
        state = Mutex(State(entries: LRUCache(maxEntries: maxEntries, maxCost: maxBytes)))
        self.clock = clock
        self.maxReads = max(1, maxReads)
        self.maxWaiting = maxWaiting
    }

    /// The descriptions of `products` by id (an empty string: none, or the product is gone
    /// from Directus since the list was read).
    func descriptions(of products: [Product], load: @escaping Loader) async throws -> [Int: String] {
        let now = clock.instant()
        var found: [Int: String] = [:]
        var waits: [(ids: [Int], task: Read)] = []
        try state.withLock { state in
            var missing: [Product] = []
            var seen = Set<Int>()
            for product in products where seen.insert(product.id).inserted {
                if let entry = state.entries.value(forKey: product.id), entry.digest == product.descriptionDigest {
                    found[product.id] = entry.html
                } else if let flight = state.inflight[product.id], flight.digest == product.descriptionDigest {
                    state.joins += 1
                    waits.append(([product.id], flight.task))
                } else {
                    missing.append(product)
                }
            }
            guard !missing.isEmpty else { return }
            if let failure = state.failure, failure.at.duration(to: now) < failure.wait { throw failure.error }
            let admitted: Bool
            if state.running < maxReads {
                state.running += 1
                admitted = true
            } else if missing.count == 1, state.waiting < maxWaiting {
                state.waiting += 1
                admitted = false
            } else {
                throw DescriptionsBusy()
            }
            waits.append((missing.map(\.id), startRead(missing, admitted: admitted, load, in: &state)))
        }
        // Awaiting one read for several products is fine: a task's value is there for every caller.
        for (ids, task) in waits {
            let read = try await task.value
            for id in ids { found[id] = read[id]?.html ?? "" }
        }
        return found
    }

    /// Drops every description and ends the wait after a failure (Directus just reported a
    /// change: it is up).
    func removeAll() {
        state.withLock { state in
            state.generation += 1
            state.entries.removeAll()
            state.inflight.removeAll()
            state.failure = nil
        }
    }

    var count: Int { state.withLock { $0.entries.count } }
    var bytes: Int { state.withLock { $0.entries.totalCost } }
    /// Requests that joined a read under way, since start (tests).
    var joinCount: Int { state.withLock { $0.joins } }

    /// Whether a read of `id` is under way (tests).
    func isLoading(_ id: Int) -> Bool { state.withLock { $0.inflight[id] != nil } }

    /// Starts the one read of `products`; called with the lock held.
    private func startRead(_ products: [Product], admitted: Bool, _ load: @escaping Loader, in state: inout State) -> Read {
        let generation = state.generation
        let ids = products.map(\.id)
        let task = Read {
            if !admitted { await self.waitForSlot() }
            defer { self.releaseSlot() }
            do {
                let read = try await load(ids)
                self.finish(ids, read: read, generation: generation)
                return read
            } catch {
                let now = self.clock.instant()
                self.state.withLock { state in
                    for id in ids where state.inflight[id]?.generation == generation { state.inflight[id] = nil }
                    // A read from before a purge says nothing about Directus now.
                    guard state.generation == generation else { return }
                    var wait = state.failure.map { min($0.wait * 2, Self.longestRetry) } ?? Self.firstRetry
                    if case .rateLimited(let retryAfter?) = error as? CatalogError {
                        wait = max(wait, .seconds(min(retryAfter, 300)))
                    }
                    state.failure = (now, wait, error)
                }
                throw error
            }
        }
        for product in products { state.inflight[product.id] = (task, product.descriptionDigest, generation) }
        return task
    }

    private func waitForSlot() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let go = state.withLock { state -> Bool in
                guard state.running < maxReads else {
                    state.line.append(continuation)
                    return false
                }
                state.running += 1
                state.waiting -= 1
                return true
            }
            if go { continuation.resume() }
        }
    }

    /// A read is done: its slot goes to the first in line, or is free.
    private func releaseSlot() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.line.isEmpty else {
                state.running -= 1
                return nil
            }
            state.waiting -= 1
            return state.line.removeFirst()
        }
        next?.resume()
    }

    private func finish(_ ids: [Int], read: Found, generation: UInt64) {
        state.withLock { state in
            for id in ids where state.inflight[id]?.generation == generation { state.inflight[id] = nil }
            state.failure = nil
            // Purged while it read: it may be the text from before the change.
            guard state.generation == generation else { return }
            for id in ids {
                // A product Directus no longer gives: nothing kept, the next page reads again.
                guard let description = read[id] else { continue }
                _ = state.entries.set(
                    Entry(digest: description.digest, html: description.html), forKey: id,
                    cost: description.html.utf8.count + Self.entryOverhead)
            }
        }
    }
}
