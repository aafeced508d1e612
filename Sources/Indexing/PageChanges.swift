import Basics
import Catalog
import Foundation
import Logging
import SQLKit
import ServiceLifecycle
import Storage
import Synchronization

/// One page of the site as a catalog index makes it.
public struct PageState: Sendable, Equatable {
    /// The page's path (`/product/x`, `/catalog/y`, `/`).
    public var path: String
    /// A digest of what the page shows (`Product.pageFingerprint` and the like).
    public var fingerprint: UInt64
    /// When Directus says its data last changed, where it says so.
    public var updatedAt: Date?
    /// Whether search engines are told of its changes: products and categories; the home page
    /// changes with everything and is read often anyway.
    public var announce: Bool

    public init(path: String, fingerprint: UInt64, updatedAt: Date?, announce: Bool) {
        self.path = path
        self.fingerprint = fingerprint
        self.updatedAt = updatedAt
        self.announce = announce
    }
}

/// Which pages of the site changed, and when: the sitemap's `lastmod`, and the pages
/// IndexNow announces.
///
/// Every catalog index built (after a purge, a background refresh, or the first request after
/// a start) is compared with what the database recorded: a page is new, changed (its digest
/// differs) or gone. The record is shared by all instances and outlives restarts, so a change
/// made while the service was down is found at the first build after it, and of several
/// instances that see the same change only the first to write it announces it (the write is
/// conditional on the old digest). A purge makes the catalog build at once, so a change is
/// found within moments even when nobody visits.
///
/// The first record of a catalog (an empty table) announces nothing: it is the site as it was.
public final class PageChanges: Service {
    private struct Known: Sendable {
        var fingerprint: UInt64
        var modified: Int64
        var announce: Bool

        init(fingerprint: UInt64, modified: Int64, announce: Bool) {
            self.fingerprint = fingerprint
            self.modified = modified
            self.announce = announce
        }

        /// A `page_versions` row (the digest is stored as the signed 64 bits both engines have).
        init(_ row: any SQLRow) throws {
            fingerprint = UInt64(bitPattern: try row.decode(column: "fingerprint", as: Int64.self))
            modified = try row.decode(column: "modified_at", as: Int64.self)
            announce = try row.decode(column: "announce", as: Int.self) != 0
        }
    }

    private struct State {
        /// The recorded pages, read from the database on the first build.
        var known: [String: Known]?
        /// The newest index handed over and not recorded yet, with its catalog version.
        var latest: (version: UInt64, index: CatalogIndex)?
        var recordedVersion: UInt64 = 0
        /// Moves whenever a page's time changed (the sitemap is built again).
        var generation = 0
        var reloadWanted = false
    }

    let catalog: Catalog
    let database: any Database
    let clock: any WallClock
    let pages: @Sendable (CatalogIndex) -> [PageState]
    let queue: IndexNowQueue?
    /// Told when pages were queued for IndexNow (the sender looks at once).
    let onQueued: @Sendable () -> Void
    let logger: Logger
    private let state = Mutex(State())
    private let wake = WakeSignal()

    /// - Parameters:
    ///   - pages: every page an index makes (the web layer knows the paths).
    ///   - queue: where changed pages wait for IndexNow; nil when it is off.
    public init(
        catalog: Catalog, database: any Database, clock: any WallClock, queue: IndexNowQueue?, onQueued: @escaping @Sendable () -> Void = {},
        logger: Logger, pages: @escaping @Sendable (CatalogIndex) -> [PageState]
    ) {
        self.onQueued = onQueued
        self.catalog = catalog
        self.database = database
        self.clock = clock
        self.pages = pages
        self.queue = queue
        self.logger = logger
        catalog.watch(
            indexBuilt: { [weak self] version, index in self?.handOver(version, index) },
            dropped: { [weak self] in self?.reloadSoon() })
    }

    private func handOver(_ version: UInt64, _ index: CatalogIndex) {
        state.withLock { state in
            if version > (state.latest?.version ?? state.recordedVersion) { state.latest = (version, index) }
        }
        wake.signal()
    }

    private func reloadSoon() {
        state.withLock { $0.reloadWanted = true }
        wake.signal()
    }

    /// When the page at `path` last changed, as recorded; nil before the first record.
    public func modified(_ path: String) -> Date? {
        state.withLock { $0.known?[path].map { Date(milliseconds: $0.modified) } }
    }

    /// Pages recorded (metrics); 0 before the first record.
    public var recordedPages: Int { state.withLock { $0.known?.count ?? 0 } }

    /// Moves whenever a recorded time changed: what is built from them is built again.
    public var generation: Int { state.withLock { $0.generation } }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let reload = state.withLock { state in
                defer { state.reloadWanted = false }
                return state.reloadWanted
            }
            if reload {
                // The catalog was purged: build now, so the change is found without a visitor.
                // The build hands its index over (and signals) like any other.
                do {
                    _ = try await catalog.index()
                } catch {
                    logger.warning("catalog could not be read to find changed pages", metadata: ["error": "\(error)"])
                }
            }
            let latest = state.withLock { state in
                defer { state.latest = nil }
                return state.latest
            }
            if let latest {
                do {
                    let started = ContinuousClock.now
                    try await record(pages(latest.index))
                    let took = started.duration(to: .now)
                    // `make bench` reads this line: the digest and comparison of a large catalog's pages.
                    logger.info("pages compared", metadata: ["products": "\(latest.index.products.count)", "ms": "\(took.milliseconds)"])
                    state.withLock { $0.recordedVersion = max($0.recordedVersion, latest.version) }
                } catch {
                    // Tried again with the next build; the database being down is reported elsewhere.
                    logger.error("changed pages could not be recorded", metadata: ["error": "\(error)"])
                }
                continue
            }
            await cancelWhenGracefulShutdownOrWoken()
        }
    }

    private func cancelWhenGracefulShutdownOrWoken() async {
        await cancelWhenGracefulShutdown { [wake] in await wake.wait() }
    }

    /// Compares `current` with the record and writes what changed; announces what this
    /// instance was the first to write.
    func record(_ current: [PageState]) async throws {
        let known = try await knownPages()
        let now = clock.now().milliseconds
        let seeding = known.isEmpty
        var found: [(path: String, known: Known)] = []
        var present = Set<String>()
        present.reserveCapacity(current.count)
        for page in current {
            guard present.insert(page.path).inserted else { continue }
            let updated = page.updatedAt?.milliseconds
            let before = known[page.path]
            if let before, before.fingerprint == page.fingerprint { continue }
            // Directus' own time when it moved past the last record; else the time it was found.
            let modified: Int64
            if let before {
                modified = updated.map { $0 > before.modified ? $0 : now } ?? now
            } else {
                modified = updated ?? now
            }
            found.append((page.path, Known(fingerprint: page.fingerprint, modified: min(modified, now), announce: page.announce)))
        }
        let changed = found
        let gone = known.filter { !present.contains($0.key) }
        guard !changed.isEmpty || !gone.isEmpty else { return }

        let queue = queue
        let (written, queued): ([String], Bool) = try await database.transaction { db in
            var written: [String] = []
            for chunk in changed.chunked(by: 300) {
                var query = SQLQueryString("INSERT INTO page_versions (path, fingerprint, modified_at, announce) VALUES ")
                query.appendRows(chunk) { page in
                    [page.path, Int64(bitPattern: page.known.fingerprint), page.known.modified, page.known.announce ? 1 : 0]
                }
                query.appendLiteral(
                    """
                     ON CONFLICT (path) DO UPDATE SET fingerprint = excluded.fingerprint, modified_at = excluded.modified_at,
                     announce = excluded.announce WHERE page_versions.fingerprint <> excluded.fingerprint RETURNING path
                    """)
                written += try await db.raw(query).all().map { try $0.decode(column: "path", as: String.self) }
            }
            for chunk in Array(gone.keys).chunked(by: 500) {
                var query = SQLQueryString("DELETE FROM page_versions WHERE path IN ")
                query.appendList(chunk)
                query.appendLiteral(" RETURNING path")
                written += try await db.raw(query).all().map { try $0.decode(column: "path", as: String.self) }
            }
            if !seeding, let queue {
                let announce = Set(changed.filter { $0.known.announce }.map { $0.path }).union(gone.filter { $0.value.announce }.map { $0.key })
                let announced = written.filter(announce.contains)
                try await queue.add(announced, at: now, in: db)
                return (written, !announced.isEmpty)
            }
            return (written, false)
        }
        if queued { onQueued() }
        // Pages another instance wrote first: their times as it recorded them.
        let writtenSet = Set(written)
        let others = changed.map(\.path).filter { !writtenSet.contains($0) }
        var theirs: [String: Known] = [:]
        for chunk in others.chunked(by: 500) {
            let rows = try await database.read { db in
                var query = SQLQueryString("SELECT path, fingerprint, modified_at, announce FROM page_versions WHERE path IN ")
                query.appendList(chunk)
                return try await db.raw(query).all()
            }
            for row in rows { theirs[try row.decode(column: "path", as: String.self)] = try Known(row) }
        }
        state.withLock { state in
            var pages = state.known ?? [:]
            for (path, page) in changed { pages[path] = theirs[path] ?? page }
            for path in gone.keys { pages[path] = nil }
            state.known = pages
            state.generation += 1
        }
        logger.info(
            "pages changed",
            metadata: ["changed": "\(changed.count)", "gone": "\(gone.count)", "first_record": "\(seeding)", "written_here": "\(written.count)"])
    }

    private func knownPages() async throws -> [String: Known] {
        if let known = state.withLock({ $0.known }) { return known }
        let rows = try await database.read { db in
            try await db.raw("SELECT path, fingerprint, modified_at, announce FROM page_versions").all()
        }
        var known: [String: Known] = [:]
        known.reserveCapacity(rows.count)
        for row in rows { known[try row.decode(column: "path", as: String.self)] = try Known(row) }
        state.withLock { state in
            if state.known == nil { state.known = known }
        }
        return known
    }
}

extension Array {
    func chunked(by size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min(count, $0 + size)] }
    }
}

extension SQLQueryString {
    /// `(?, ?, …)` for `IN`: one bound value an item.
    mutating func appendList(_ items: some Collection<String>) {
        appendLiteral("(")
        for (offset, item) in items.enumerated() {
            if offset > 0 { appendLiteral(", ") }
            appendInterpolation(bind: item)
        }
        appendLiteral(")")
    }

    /// `(?, ?), (?, ?), …` for `VALUES`: one row an item.
    mutating func appendRows<Item>(_ items: some Collection<Item>, _ values: (Item) -> [any Encodable & Sendable]) {
        for (offset, item) in items.enumerated() {
            appendLiteral(offset > 0 ? ", (" : "(")
            for (position, value) in values(item).enumerated() {
                if position > 0 { appendLiteral(", ") }
                appendInterpolation(bind: value)
            }
            appendLiteral(")")
        }
    }
}
