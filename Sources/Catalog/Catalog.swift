import Basics
#if canImport(Glibc)
import CMalloc
import Glibc
#endif
import CoreMetrics
import Logging
import Synchronization

/// The catalog as the site reads it: normalized, cached, and refreshed in the background.
public final class Catalog: Sendable {
    public let source: any CatalogSource
    public let version: CatalogVersion
    private let lists: RefreshingCache<ListKey, ListValue>
    private let indexMemo = Mutex<(version: UInt64, index: CatalogIndex)?>(nil)
    private let indexBuild = Mutex<(version: UInt64, task: Task<CatalogIndex, Never>)?>(nil)
    private let health: UpstreamHealth
    private let descriptionStore: DescriptionStore
    private let watchers = Mutex<[Watcher]>([])
    private let logger: Logger

    /// Told of every index built (with the catalog version it was read at) and of every drop.
    private struct Watcher: Sendable {
        var indexBuilt: @Sendable (_ version: UInt64, CatalogIndex) -> Void
        var dropped: @Sendable () -> Void
    }

    enum ListKey: Hashable, Sendable {
        case categories, products
    }

    enum ListValue: Equatable, Sendable {
        case categories([Category])
        case products([Product])
    }

    /// - Parameter descriptionBytes: the budget of full descriptions kept for product pages
    ///   (the index keeps excerpts only).
    public init(
        source: any CatalogSource, policy: CachePolicy = CachePolicy(), clock: any WallClock = SystemClock(),
        descriptionBytes: Int = 8 << 20, metrics: any MetricsFactory = NOOPMetricsHandler.instance, logger: Logger
    ) {
        self.source = source
        self.logger = logger
        descriptionStore = DescriptionStore(maxBytes: descriptionBytes, clock: clock)
        let version = CatalogVersion()
        self.version = version
        let health = UpstreamHealth(metrics: metrics)
        self.health = health
        let rebuild = RebuildHook()
        lists = RefreshingCache(
            policy: policy, clock: clock, version: version,
            onFailure: { key, error, hasStale in
                health.failed(servingStale: hasStale, reason: "\(error)")
                logger.error(
                    "catalog refresh failed",
                    metadata: ["key": "\(key)", "error": "\(error)", "serving_stale": "\(hasStale)"])
            },
            onChange: { rebuild.fire() })
        // A list that changed in a background refresh: the index (and its search) is built at
        // once, before a request needs it.
        rebuild.set { [weak self] in
            Task { _ = try? await self?.index() }
        }
    }

    /// Failed upstream loads since start (for metrics).
    public var refreshFailures: Int { health.failures }

    /// Whether the last load of a catalog list failed, and whether older data is shown meanwhile
    /// (nil while Directus answers).
    public var upstreamFailure: (servingStale: Bool, reason: String)? { health.current }

    /// Whether this process has read (or failed to read) a catalog list from its source yet.
    public var upstreamKnown: Bool { health.known }

    /// Categories and products, normalized; rebuilt only when the catalog version changes.
    public func index() async throws -> CatalogIndex {
        // Always ask the caches (cheap when warm): that is what starts background refreshes.
        let before = version.current
        let categoryList = try await categories()
        let productList = try await products()
        // The lists may have changed while they were read (a refresh came in): the memo is
        // current only for the version after; a new index is filed under the version before,
        // so that a change in between makes the next call build again.
        let after = version.current
        if let memo = indexMemo.withLock({ $0 }), memo.version == after {
            return memo.index
        }
        // One build a version: the requests that need it meanwhile wait for that one (with a
        // large catalog it takes a good part of a second: the search index is in it). Only
        // lists read within one version are shared; a read a change came into builds its own.
        let logger = logger
        let build = indexBuild.withLock { current -> Task<CatalogIndex, Never> in
            if before == after, let current, current.version == before { return current.task }
            let task = Task {
                let started = ContinuousClock.now
                let index = CatalogIndex(categories: categoryList, products: productList)
                let took = started.duration(to: .now)
                // `make bench` reads this line: the index (and search) build time of a large catalog.
                logger.info(
                    "catalog index built",
                    metadata: [
                        "products": "\(productList.count)",
                        "ms": "\(took.components.seconds * 1_000 + took.components.attoseconds / 1_000_000_000_000_000)",
                    ])
                for watcher in self.watchers.withLock({ $0 }) { watcher.indexBuilt(before, index) }
                return index
            }
            if before == after, (current?.version ?? 0) <= before { current = (before, task) }
            return task
        }
        let index = await build.value
        indexMemo.withLock { memo in
            // A build of an older version never replaces a newer one.
            if let kept = memo, kept.version > before { return }
            memo = (before, index)
        }
        return index
    }

    /// Tells `indexBuilt` of every index built from now on, with the catalog version its lists
    /// were read at (builds can finish out of order), and `dropped` of every purge. What the
    /// site's pages show is followed this way (`PageChanges`), without reading anything itself.
    public func watch(
        indexBuilt: @escaping @Sendable (_ version: UInt64, CatalogIndex) -> Void, dropped: @escaping @Sendable () -> Void
    ) {
        watchers.withLock { $0.append(Watcher(indexBuilt: indexBuilt, dropped: dropped)) }
    }

    /// The last index built, without waiting for Directus (error pages use it for navigation).
    public var lastIndex: CatalogIndex? { indexMemo.withLock { $0?.index } }

    /// One product by slug or id, or nil when it does not exist or is not published.
    ///
    /// Read from the published list (the index): a made-up slug or id never costs a Directus
    /// request, not even while Directus is down (the last index answers then); the list is
    /// reloaded as soon as Directus reports a change.
    public func product(_ key: ProductKey) async throws -> Product? {
        let current: CatalogIndex
        do {
            current = try await index()
        } catch {
            guard let last = lastIndex else { throw error }
            current = last
        }
        return current.product(key)
    }

    /// The product's whole description as sanitized HTML ("" for none), read from Directus
    /// when it is not kept; throws while Directus cannot give it (pages then show the excerpt).
    public func description(of product: Product) async throws -> String {
        try await descriptions(of: [product])[product.id] ?? ""
    }

    /// The descriptions of a page of products by id, the ones not kept read in one request.
    public func descriptions(of products: [Product]) async throws -> [Int: String] {
        let (source, health, logger) = (source, health, logger)
        return try await descriptionStore.descriptions(of: products) { ids in
            var found: DescriptionStore.Found = [:]
            do {
                for start in stride(from: 0, to: ids.count, by: maxProductBatch) {
                    let batch = Array(ids[start..<min(ids.count, start + maxProductBatch)])
                    for record in try await source.fetchProducts(ids: batch) {
                        found[record.id] = (
                            CatalogNormalizer.descriptionDigest(record), CatalogNormalizer.description(record, assets: source.assetLinks)
                        )
                    }
                }
            } catch {
                // A failed read counts as a Directus failure (a busy line never gets this far).
                health.countFailure()
                logger.error("product descriptions could not be read", metadata: ["ids": "\(ids.count)", "error": "\(error)"])
                throw error
            }
            return found
        }
    }

    /// Full descriptions kept, and their bytes (metrics).
    public var descriptionsKept: (count: Int, bytes: Int) { (descriptionStore.count, descriptionStore.bytes) }

    /// Editor preview of a product: any status, a content version merged, never cached.
    /// Its category is shown even when that is a draft too.
    public func previewProduct(id: Int, version: String?) async throws -> Preview<(product: Product, description: String)>? {
        guard var record = try await source.previewProduct(id: id, version: version) else { return nil }
        let status = record.status
        record.category?.status = nil
        let product = Self.normalize(record, categories: lastIndex?.categoriesByID, assets: source.assetLinks)
        return Preview(item: (product, CatalogNormalizer.description(record, assets: source.assetLinks)), status: status)
    }

    /// Editor preview of a category (any status, a content version merged, never cached).
    public func previewCategory(id: Int, version: String?) async throws -> Preview<Category>? {
        guard var record = try await source.previewCategory(id: id, version: version) else { return nil }
        let status = record.status
        record.status = nil
        return CatalogNormalizer.category(record).map { Preview(item: $0, status: status) }
    }

    /// Drops the cached product list (a Directus webhook said products changed): pages and
    /// lists are built from a fresh one on the next request.
    public func invalidateProducts() {
        descriptionStore.removeAll()
        lists.remove(.products)
        for watcher in watchers.withLock({ $0 }) { watcher.dropped() }
    }

    /// Drops everything (a category changed: names and paths appear on every page).
    public func invalidateAll() {
        descriptionStore.removeAll()
        lists.removeAll()
        for watcher in watchers.withLock({ $0 }) { watcher.dropped() }
    }

    private func categories() async throws -> [Category] {
        let (source, health) = (source, health)
        let value = try await lists.value(for: .categories) {
            let categories = try await source.fetchCategories().compactMap(CatalogNormalizer.category)
            health.succeeded()
            return .categories(categories)
        }
        guard case .categories(let categories) = value else { return [] }
        return categories
    }

    private func products() async throws -> [Product] {
        let (source, health) = (source, health)
        let value = try await lists.value(for: .products) {
            // A product that did not change keeps the value already in memory (in the last index,
            // even after a purge): the old index and the new list share it, and a reload of an
            // unchanged catalog holds no second copy (each new value is dropped as soon as it is
            // compared).
            let previous = self.lastIndex?.products ?? []
            var positions: [Int: Int] = [:]
            positions.reserveCapacity(previous.count)
            for (position, product) in previous.enumerated() where positions[product.id] == nil { positions[product.id] = position }
            let products = try await source.fetchProducts { record -> Product in
                let product = Self.normalize(record, categories: nil, assets: source.assetLinks)
                guard let position = positions[product.id], previous[position] == product else { return product }
                return previous[position]
            }
            health.succeeded()
            Memory.returnFreed()
            return .products(products)
        }
        guard case .products(let products) = value else { return [] }
        return products
    }

    /// Products arrive with their category expanded; a category that is not published is
    /// treated as none.
    static func normalize(_ record: ProductRecord, categories: [Int: Category]?, assets: AssetLinks) -> Product {
        var known = categories ?? [:]
        if let expanded = record.category, let category = CatalogNormalizer.category(expanded) {
            known[category.id] = category
        }
        return CatalogNormalizer.product(record, categories: known, assets: assets)
    }
}

/// An item as an editor previews it, with its Directus status (`draft`, `published`, …).
public struct Preview<Item: Sendable>: Sendable {
    public var item: Item
    public var status: String?
}

/// Calls what the catalog sets once it exists (the cache it owns is made before it).
final class RebuildHook: Sendable {
    private let action = Mutex<(@Sendable () -> Void)?>(nil)

    func set(_ action: @escaping @Sendable () -> Void) { self.action.withLock { $0 = action } }

    func fire() { action.withLock { $0 }?() }
}

/// Whether Directus answers the catalog's list loads, for metrics, readiness and alerts.
final class UpstreamHealth: Sendable {
    private let state = Mutex<(failures: Int, failing: String?, servingStale: Bool, known: Bool)>((0, nil, false, false))
    private let failureCounter: CoreMetrics.Counter

    init(metrics: any MetricsFactory) {
        failureCounter = CoreMetrics.Counter(label: "catalog_refresh_failures_total", factory: metrics)
    }

    /// A list load failed; `servingStale` when older data is shown instead.
    func failed(servingStale: Bool, reason: String) {
        state.withLock { $0 = ($0.failures + 1, reason, servingStale, true) }
        failureCounter.increment()
    }

    /// A failed read that says nothing about the lists (a page's descriptions).
    func countFailure() {
        state.withLock { $0.failures += 1 }
        failureCounter.increment()
    }

    func succeeded() {
        state.withLock { $0 = ($0.failures, nil, false, true) }
    }

    var failures: Int { state.withLock { $0.failures } }
    var known: Bool { state.withLock { $0.known } }

    var current: (servingStale: Bool, reason: String)? {
        state.withLock { state in state.failing.map { (state.servingStale, $0) } }
    }
}

/// glibc allocator settings for a long-running server with a large catalog.
public enum Memory {
    /// At most two malloc arenas (glibc's default is eight a core), unless `MALLOC_ARENA_MAX`
    /// says otherwise. Catalog reloads allocate and free tens of MiB on whichever threads run
    /// them; memory freed in one arena is not reused by another, so with many arenas the
    /// resident size grows with every reload. Called first thing at start-up.
    public static func limitArenas() {
        #if canImport(Glibc)
        if getenv("MALLOC_ARENA_MAX") == nil { mallopt(M_ARENA_MAX, 2) }
        #endif
    }

    /// Gives the allocator's free pages back to the system. A whole catalog read frees its
    /// JSON pages and rows in many small pieces; called once a list is read (at most once a
    /// refresh interval).
    static func returnFreed() {
        #if canImport(Glibc)
        malloc_trim(0)
        #endif
    }
}
