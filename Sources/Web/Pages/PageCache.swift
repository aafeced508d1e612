import Basics
import Catalog
import CoreMetrics
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Pages and JSON documents rendered once per catalog version and served as bytes, with
/// their complete headers and an ETag: rendering a page per request costs more than serving
/// it a hundred times.
struct PageCache: Sendable {
    let rendered: RenderedCache
    let version: CatalogVersion
    let headers: PageHeaders
    /// The application's clock: rendered pages age on its instant.
    let clock: any WallClock
    let flights = RenderFlights()
    /// false (`PAGE_CACHE_MB=0`): nothing is kept, every request renders.
    let keeps: Bool
    private let hits: CoreMetrics.Counter
    private let misses: CoreMetrics.Counter
    private let renders: CoreMetrics.Counter

    init(
        rendered: RenderedCache, version: CatalogVersion, headers: PageHeaders, clock: any WallClock = SystemClock(),
        keeps: Bool = true, metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.keeps = keeps
        self.clock = clock
        self.rendered = rendered
        self.version = version
        self.headers = headers
        hits = CoreMetrics.Counter(label: "page_cache_hits_total", factory: metrics)
        misses = CoreMetrics.Counter(label: "page_cache_misses_total", factory: metrics)
        renders = CoreMetrics.Counter(label: "pages_rendered_total", factory: metrics)
    }

    /// What a page handler found: data to render, or a response that is not cached (a redirect).
    enum Prepared<Input> {
        case input(Input)
        case response(Response)
    }

    /// Serves `key` from the rendered cache, or reads the page's data through the catalog
    /// (`prepare`) and renders it once for this catalog version. A nil key is never cached
    /// (search results: every query would be a new key). A plain GET of `canonical`, the
    /// page's one address, may then be answered on the event loop; other spellings of the
    /// same page (extra parameters, another order) go through the router. A `bounded` page (a
    /// list narrowed by a typed number) is kept on the cache's small shelf for those, and not
    /// on the event-loop path.
    func cached<Input>(
        _ key: String?, canonical: String?, bounded: Bool = false, request: Request, prepare: () async throws -> Prepared<Input>,
        render: (Input) async throws -> RenderedResponse
    ) async throws -> Response {
        let key = keeps ? key : nil
        // The version is read before the data, so a change during the read is never
        // stored under the old version.
        let version = version.current
        let now = clock.instant()
        var previous: RenderedResponse?
        var flight: RenderFlights.Flight?
        defer { flight?.land() }
        if let key {
            switch rendered.get(key, bounded: bounded, version: version, now: now) {
            case .fresh(let hit):
                hits.increment()
                return response(hit, for: request)
            case .recheck(let hit):
                hits.increment()
                previous = hit
            case .miss:
                misses.increment()
                // A cold burst renders once: the first request renders, the others wait for it
                // and take its page (or, if it found none, go on their own way).
                switch flights.join("\(key)@\(version)") {
                case .leader(let leading):
                    flight = leading
                case .follower(let landed):
                    await landed()
                    // Rendered for this version just now: its data was read after this request came.
                    switch rendered.get(key, bounded: bounded, version: version, now: clock.instant()) {
                    case .fresh(let hit), .recheck(let hit): return response(hit, for: request)
                    case .miss: break
                    }
                }
            }
        }
        let input: Input
        switch try await prepare() {
        case .response(let response): return response
        case .input(let value): input = value
        }
        if let key, let previous, self.version.current == version {
            rendered.touch(key, bounded: bounded, version: version, now: now)
            if !bounded { rememberTarget(request, canonical: canonical, key: key) }
            return response(previous, for: request)
        }
        let built = try await render(input)
        renders.increment()
        guard built.complete else { return uncached(built) }
        let page = finish(built, compress: key != nil)
        if let key {
            // Checked as of now: the data was read during this request, however long it took.
            rendered.put(key, bounded: bounded, version: version, now: clock.instant(), page)
            if !bounded { rememberTarget(request, canonical: canonical, key: key) }
        }
        return response(page, for: request)
    }

    /// A plain GET of the canonical target may be answered from the cache on the event loop
    /// from now on (`CachedPageHandler`).
    private func rememberTarget(_ request: Request, canonical: String?, key: String) {
        guard request.method == .get, let canonical, request.head.path == canonical else { return }
        rendered.remember(target: canonical, key: key)
    }

    /// What caches may do with a public page: nothing without asking again, with its ETag. The
    /// service answers that question on the event-loop fast path (a 304 when nothing changed,
    /// at about nginx's own speed), so a cache in front saves bytes, not work – and an editor's
    /// change reaches every visitor with the first request after the purge. A copy kept for
    /// even a second would not do: nginx counts cache lifetimes in whole seconds, so
    /// `s-maxage=1` keeps a page up to two. Spelled as lifetimes of zero rather than
    /// `no-cache`, which some CDNs (Fastly) do not read and would give a default lifetime.
    static let publicCacheControl = "public, max-age=0, s-maxage=0, must-revalidate"

    /// Builds the full header set of a rendered response once, and for a cached one its gzip
    /// variant (a text of 1 KiB or more).
    func finish(_ page: RenderedResponse, cacheControl: String = PageCache.publicCacheControl, compress: Bool = false) -> RenderedResponse {
        var finished = page
        var fields = page.contentType.hasPrefix("text/html") ? headers.page : [:]
        fields[.contentType] = page.contentType
        fields[.cacheControl] = cacheControl
        finished.seal(fields, compress: compress)
        return finished
    }

    /// A 200 from finished bytes (gzip when the client takes it), or 304 when the browser
    /// already has them.
    func response(_ page: RenderedResponse, for request: Request) -> Response {
        let chosen = page.variant(acceptEncoding: request.headers[.acceptEncoding])
        if let match = request.headers[.ifNoneMatch], match.contains(chosen.etag) {
            return Response(status: .notModified, headers: chosen.headers)
        }
        return Response(status: .ok, headers: chosen.headers, body: .init(byteBuffer: chosen.body))
    }

    /// A page rendered for this request alone (a form with the visitor's errors, the admin).
    func uncached(_ page: RenderedResponse, status: HTTPResponse.Status = .ok) -> Response {
        let finished = finish(page, cacheControl: "no-store")
        return Response(status: status, headers: finished.headers, body: .init(byteBuffer: finished.body))
    }
}

/// Renders under way, by key and catalog version: one request renders, the others of a burst
/// wait for it. The map holds only renders in progress.
final class RenderFlights: Sendable {
    enum Role {
        case leader(Flight)
        /// Returns when the leader is done.
        case follower(@Sendable () async -> Void)
    }

    /// The leader's duty: `land()` once, rendered or not.
    struct Flight: Sendable {
        let flights: RenderFlights
        let key: String

        func land() { flights.land(key) }
    }

    private let waiting = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    func join(_ key: String) -> Role {
        let leads = waiting.withLock { waiting -> Bool in
            guard waiting[key] == nil else { return false }
            waiting[key] = []
            return true
        }
        if leads { return .leader(Flight(flights: self, key: key)) }
        return .follower { [self] in
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                // Landed meanwhile: go on at once.
                let queued = waiting.withLock { waiting -> Bool in
                    guard waiting[key] != nil else { return false }
                    waiting[key]?.append(continuation)
                    return true
                }
                if !queued { continuation.resume() }
            }
        }
    }

    fileprivate func land(_ key: String) {
        let followers = waiting.withLock { $0.removeValue(forKey: key) } ?? []
        for follower in followers { follower.resume() }
    }
}
