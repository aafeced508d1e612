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

    init(body: ByteBuffer, contentType: String) {
        self.body = body
        self.contentType = contentType
        etag = Self.etag(of: body.readableBytesView)
    }

    /// A strong validator of some bytes.
    static func etag(of bytes: some Sequence<UInt8>) -> String {
        "\"\(String(FNV1a.hash(bytes), radix: 36))\""
    }
}

/// Rendered pages and JSON documents, kept per catalog version (DESIGN §8): a warm request
/// sends bytes that were rendered once, and any catalog change invalidates them all.
///
/// Each entry also remembers when its catalog inputs were last looked at. Within
/// `recheckInterval` of that, a request is answered from here alone; after it, the page's
/// data is read through the catalog cache again (which starts any due background refresh)
/// and, if the catalog version is unchanged, the same bytes are reused without rendering.
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

    private let entries = Mutex<[String: Entry]>([:])
    /// Request targets (`/product/x`, `/catalog?page=2`) → the key of their page, for the
    /// event-loop fast path (`CachedPageHandler`).
    private let targets = Mutex<[String: String]>([:])
    private let fastAnswers = Atomic<Int>(0)
    private let capacity: Int
    let recheckInterval: Duration

    init(capacity: Int = 4_096, recheckInterval: Duration = .seconds(1)) {
        self.capacity = capacity
        self.recheckInterval = recheckInterval
    }

    func get(_ key: String, version: UInt64, now: ContinuousClock.Instant) -> Lookup {
        entries.withLock { entries in
            guard let entry = entries[key], entry.version == version else { return .miss }
            return entry.checkedAt.duration(to: now) < recheckInterval ? .fresh(entry.response) : .recheck(entry.response)
        }
    }

    /// The inputs were read again and the version did not change.
    func touch(_ key: String, version: UInt64, now: ContinuousClock.Instant) {
        entries.withLock { entries in
            if entries[key]?.version == version { entries[key]?.checkedAt = now }
        }
    }

    /// `target` is answered by the page under `key`.
    func remember(target: String, key: String) {
        targets.withLock { targets in
            guard targets[target] != key else { return }
            // Bounded: random query strings must not grow it without limit.
            if targets.count >= capacity { targets.removeAll(keepingCapacity: true) }
            targets[target] = key
        }
    }

    /// The page a request target maps to, only if it is current and recently checked.
    func fresh(target: String, version: UInt64, now: ContinuousClock.Instant) -> RenderedResponse? {
        guard let key = targets.withLock({ $0[target] }), case .fresh(let response) = get(key, version: version, now: now) else {
            return nil
        }
        fastAnswers.add(1, ordering: .relaxed)
        return response
    }

    /// Requests answered on the event loop since start (for metrics).
    var fastAnswerCount: Int { fastAnswers.load(ordering: .relaxed) }

    func put(_ key: String, version: UInt64, now: ContinuousClock.Instant, _ response: RenderedResponse) {
        entries.withLock { entries in
            if entries.count >= capacity, entries[key] == nil {
                // Outdated pages go first; if all are current, start over (rendering is cheap
                // compared to unbounded memory).
                entries = entries.filter { $0.value.version == version }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = Entry(version: version, checkedAt: now, response: response)
        }
    }
}

/// 64-bit FNV-1a: a fast, stable hash for ETags (not for security).
enum FNV1a {
    static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}
