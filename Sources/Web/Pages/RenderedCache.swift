import CoreMetrics
import Caching
import HTTPTypes
import NIOCore
import Synchronization

/// A finished response, ready to be sent again.
struct RenderedResponse: Sendable {
    var body: ByteBuffer
    var contentType: String
    /// A strong validator of the bytes (If-None-Match → 304).
    var etag: String
    /// The complete response headers, built once (see `PageCache.finish`).
    var headers: HTTPFields = [:]
    /// The gzip variant with its headers, when the body is text worth compressing.
    var gzip: (body: ByteBuffer, headers: HTTPFields, etag: String)?
    /// The brotli variant, likewise (smaller still; browsers ask for it over HTTPS).
    var brotli: (body: ByteBuffer, headers: HTTPFields, etag: String)?
    /// false for a page built without some of its data (Directus could not give a product's
    /// description): it is sent with `no-store` and never kept, so the next request builds it again.
    var complete = true
    /// The fast path's status line and headers, for the current second (`CachedPageHandler`).
    private(set) var wire = WireHeads()

    /// Sets the complete headers (`fields` plus the ETag) and, when `compress` and the body is
    /// text worth it, the gzip and brotli variants with `Vary: Accept-Encoding` on all.
    mutating func seal(_ fields: HTTPFields, compress: Bool) {
        wire = WireHeads()
        var fields = fields
        fields[.eTag] = etag
        if compress, Compression.isCompressible(contentType, size: body.readableBytes) {
            let gzipped = Compression.gzip(body)
            let brotlied = Compression.brotli(body)
            if gzipped != nil || brotlied != nil { fields[.vary] = "Accept-Encoding" }
            func variant(_ encoded: ByteBuffer?, _ coding: Compression.Coding) -> (body: ByteBuffer, headers: HTTPFields, etag: String)? {
                guard let encoded else { return nil }
                let tag = coding.etag(etag)
                var variantFields = fields
                variantFields[.contentEncoding] = coding.rawValue
                variantFields[.eTag] = tag
                return (encoded, variantFields, tag)
            }
            gzip = variant(gzipped, .gzip)
            brotli = variant(brotlied, .br)
        }
        headers = fields
    }

    /// Which variant a client with this `Accept-Encoding` gets.
    func coding(acceptEncoding: String?) -> Compression.Coding {
        Compression.preferred(acceptEncoding, gzip: gzip != nil, brotli: brotli != nil)
    }

    /// The body, headers and ETag to send to a client with this `Accept-Encoding`.
    func variant(acceptEncoding: String?) -> (body: ByteBuffer, headers: HTTPFields, etag: String) {
        variant(coding(acceptEncoding: acceptEncoding))
    }

    func variant(_ coding: Compression.Coding) -> (body: ByteBuffer, headers: HTTPFields, etag: String) {
        switch coding {
        case .br: brotli ?? (body, headers, etag)
        case .gzip: gzip ?? (body, headers, etag)
        case .identity: (body, headers, etag)
        }
    }

    init(body: ByteBuffer, contentType: String) {
        self.body = body
        self.contentType = contentType
        etag = Self.etag(of: body.readableBytesView)
    }

    /// A strong validator of some bytes.
    static func etag(of bytes: some Sequence<UInt8>) -> String {
        FNV1a.etag(of: bytes)
    }
}

/// Rendered pages and JSON documents, kept per catalog version: a warm request
/// sends bytes that were rendered once, and any catalog change invalidates them all.
///
/// Each entry also remembers when its catalog inputs were last looked at. Within
/// `recheckInterval` of that, a request is answered from here alone; after it, the page's
/// data is read through the catalog cache again (which starts any due background refresh)
/// and, if the catalog version is unchanged, the same bytes are reused without rendering.
///
/// Both maps have budgets and drop their least recently used entries when full, so no
/// visitor can empty the warm cache at will: keys are canonical values (a page number, a
/// slug that exists), and only a page's one canonical request target is remembered for the
/// event-loop fast path – random query strings never get in.
final class RenderedCache: Sendable {
    private struct Entry {
        var version: UInt64
        var checkedAt: ContinuousClock.Instant
        var response: RenderedResponse
    }

    enum Lookup {
        /// Current and recently checked: send it.
        case fresh(RenderedResponse)
        /// Rendered for this version, but the inputs are due for a look.
        case recheck(RenderedResponse)
        case miss
    }

    private let entries: Mutex<LRUCache<String, Entry>>
    /// Lists narrowed by a typed number (a price or spec bound): any number is a valid address,
    /// so they have a small shelf of their own and cannot push the site's pages out of `entries`.
    private let bounded: Mutex<LRUCache<String, Entry>>
    /// Canonical request targets (`/product/x`, `/catalog?page=2`) → the key of their page,
    /// for the event-loop fast path (`CachedPageHandler`).
    private let targets: Mutex<LRUCache<String, String>>
    private let fastAnswers: CoreMetrics.Counter
    private let evictions: CoreMetrics.Counter
    let recheckInterval: Duration

    /// `maxBytes` counts bodies and headers of the stored responses.
    init(
        maxEntries: Int = 4_096, maxBytes: Int = 32 << 20, recheckInterval: Duration = .seconds(1),
        metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        entries = Mutex(LRUCache(maxEntries: maxEntries, maxCost: maxBytes))
        bounded = Mutex(LRUCache(maxEntries: max(1, maxEntries / 16), maxCost: max(1, maxBytes / 8)))
        targets = Mutex(LRUCache(maxEntries: maxEntries))
        self.recheckInterval = recheckInterval
        fastAnswers = CoreMetrics.Counter(label: "pages_fast_path_total", factory: metrics)
        evictions = CoreMetrics.Counter(label: "page_cache_evictions_total", factory: metrics)
    }

    /// Pages stored and their bytes (metrics, tests).
    var usage: (entries: Int, bytes: Int) { entries.withLock { ($0.count, $0.totalCost) } }
    var targetCount: Int { targets.withLock { $0.count } }

    private func withShelf<Result>(bounded: Bool, _ body: (inout LRUCache<String, Entry>) -> Result) -> Result {
        bounded ? self.bounded.withLock { body(&$0) } : entries.withLock { body(&$0) }
    }

    func get(_ key: String, bounded: Bool = false, version: UInt64, now: ContinuousClock.Instant) -> Lookup {
        withShelf(bounded: bounded) { entries in
            guard let entry = entries.value(forKey: key) else { return .miss }
            guard entry.version == version else {
                // Outdated pages go; a newer one (rendered by a request that came later) stays.
                if entry.version < version { entries.removeValue(forKey: key) }
                return .miss
            }
            return entry.checkedAt.duration(to: now) < recheckInterval ? .fresh(entry.response) : .recheck(entry.response)
        }
    }

    /// The inputs were read again and the version did not change.
    func touch(_ key: String, bounded: Bool = false, version: UInt64, now: ContinuousClock.Instant) {
        withShelf(bounded: bounded) { entries in
            _ = entries.modify(key) { entry in
                if entry.version == version { entry.checkedAt = now }
            }
        }
    }

    /// `target` – the page's canonical request target – is answered by the page under `key`.
    func remember(target: String, key: String) {
        targets.withLock { targets in
            if targets.peek(target) != key { targets.set(key, forKey: target) }
        }
    }

    /// The page a request target maps to, only if it is current and recently checked.
    func fresh(target: String, version: UInt64, now: ContinuousClock.Instant) -> RenderedResponse? {
        guard let key = targets.withLock({ $0.value(forKey: target) }), case .fresh(let response) = get(key, version: version, now: now) else {
            return nil
        }
        fastAnswers.increment()
        return response
    }

    func put(_ key: String, bounded: Bool = false, version: UInt64, now: ContinuousClock.Instant, _ response: RenderedResponse) {
        // The memory held, not the bytes sent: a buffer's storage is rounded up to a power of two;
        // and the fast path's status line and headers of each variant (`WireHeads`).
        let cost = response.body.storageCapacity + (response.gzip?.body.storageCapacity ?? 0)
            + (response.brotli?.body.storageCapacity ?? 0) + 3 * 1_024
            + response.headers.reduce(key.utf8.count) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count } * (1 + (response.gzip == nil ? 0 : 1) + (response.brotli == nil ? 0 : 1))
        let evicted = withShelf(bounded: bounded) { entries in
            // A page of an older catalog version never replaces a newer one.
            if let stored = entries.peek(key), stored.version > version { return 0 }
            return entries.set(Entry(version: version, checkedAt: now, response: response), forKey: key, cost: cost).count
        }
        if evicted > 0 { evictions.increment(by: Int64(evicted)) }
    }
}
