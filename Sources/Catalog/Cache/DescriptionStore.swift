import Caching
import Synchronization

/// Full product descriptions, read from the source only when a product's page (or API entry)
/// is built, and kept within a byte budget, least recently used first out.
///
/// The catalog index holds every product without its description HTML (an excerpt only), so a
/// catalog of any size costs little memory; the descriptions visitors actually look at are
/// here.
///
/// - An entry is good as long as the product in the index is the one it was read for: any
///   change Directus reports through the list (a new excerpt, `date_updated`, a price) reads
///   it again, and a purge (a Directus webhook) drops them all.
/// - Concurrent requests for one product share one read; a page's products are read in one
///   request.
/// - After a failed read, no new one starts for a while (1 s, doubling to 30 s): while
///   Directus is down each page is built at once with the excerpt instead of waiting for a
///   timeout. A purge ends the wait.
/// - A read that was under way when the store was purged is handed to its callers but not
///   kept: it may be from before the change.
final class DescriptionStore: Sendable {
    typealias Loader = @Sendable ([Int]) async throws -> [Int: String]

    private struct Entry {
        var product: Product
        var html: String
    }

    private struct State {
        var entries: LRUCache<Int, Entry>
        /// Reads under way, by product id (one read may cover several ids).
        var inflight: [Int: (task: Task<[Int: String], any Error>, generation: UInt64)] = [:]
        /// Counts purges; a read keeps its result only if none came after it started.
        var generation: UInt64 = 0
        var failure: (at: ContinuousClock.Instant, wait: Duration, error: any Error)?
    }

    static var firstRetry: Duration { .seconds(1) }
    static var longestRetry: Duration { .seconds(30) }
    /// What an entry costs besides its HTML (the product value and bookkeeping), roughly.
    static var entryOverhead: Int { 512 }

    private let state: Mutex<State>
    private let clock: CacheClock

    init(maxBytes: Int, maxEntries: Int = 20_000, clock: CacheClock = .continuous) {
        state = Mutex(State(entries: LRUCache(maxEntries: maxEntries, maxCost: maxBytes)))
        self.clock = clock
    }

    /// The descriptions of `products` by id (an empty string: none, or the product is gone
    /// from Directus since the list was read).
    func descriptions(of products: [Product], load: @escaping Loader) async throws -> [Int: String] {
        let now = clock.now()
        var found: [Int: String] = [:]
        var waits: [(ids: [Int], task: Task<[Int: String], any Error>)] = []
        try state.withLock { state in
            var missing: [Product] = []
            var seen = Set<Int>()
            for product in products where seen.insert(product.id).inserted {
                if let entry = state.entries.value(forKey: product.id), entry.product == product {
                    found[product.id] = entry.html
                } else if let flight = state.inflight[product.id] {
                    waits.append(([product.id], flight.task))
                } else {
                    missing.append(product)
                }
            }
            guard !missing.isEmpty else { return }
            if let failure = state.failure, failure.at.duration(to: now) < failure.wait { throw failure.error }
            waits.append((missing.map(\.id), startRead(missing, load, in: &state)))
        }
        // Awaiting one read for several products is fine: a task's value is there for every caller.
        for (ids, task) in waits {
            let read = try await task.value
            for id in ids { found[id] = read[id] ?? "" }
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

    /// Whether a read of `id` is under way (tests).
    func isLoading(_ id: Int) -> Bool { state.withLock { $0.inflight[id] != nil } }

    /// Starts the one read of `products`; called with the lock held.
    private func startRead(_ products: [Product], _ load: @escaping Loader, in state: inout State) -> Task<[Int: String], any Error> {
        let generation = state.generation
        let ids = products.map(\.id)
        let task = Task<[Int: String], any Error> {
            do {
                let read = try await load(ids)
                self.finish(products, read: read, generation: generation)
                return read
            } catch {
                let now = self.clock.now()
                self.state.withLock { state in
                    for id in ids where state.inflight[id]?.generation == generation { state.inflight[id] = nil }
                    // A read from before a purge says nothing about Directus now.
                    guard state.generation == generation else { return }
                    let wait = state.failure.map { min($0.wait * 2, Self.longestRetry) } ?? Self.firstRetry
                    state.failure = (now, wait, error)
                }
                throw error
            }
        }
        for id in ids { state.inflight[id] = (task, generation) }
        return task
    }

    private func finish(_ products: [Product], read: [Int: String], generation: UInt64) {
        state.withLock { state in
            for product in products where state.inflight[product.id]?.generation == generation {
                state.inflight[product.id] = nil
            }
            state.failure = nil
            // Purged while it read: it may be the text from before the change.
            guard state.generation == generation else { return }
            for product in products {
                let html = read[product.id] ?? ""
                _ = state.entries.set(Entry(product: product, html: html), forKey: product.id, cost: html.utf8.count + Self.entryOverhead)
            }
        }
    }
}
