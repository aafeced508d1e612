import CoreMetrics
import Caching
import Foundation
import Synchronization

/// `N/s`, `N/min`, `N/h`.
public struct RateLimit: Sendable, Equatable {
    public var count: Int
    public var period: Duration

    public init(count: Int, period: Duration) {
        self.count = count
        self.period = period
    }

    /// nil for garbage; `off` is a limit of 0 (no limit).
    public static func parse(_ text: String) -> RateLimit? {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        if value == "off" { return RateLimit(count: 0, period: .seconds(1)) }
        let parts = value.split(separator: "/")
        guard parts.count == 2, let count = Int(parts[0]), count > 0 else { return nil }
        switch parts[1] {
        case "s", "sec": return RateLimit(count: count, period: .seconds(1))
        case "m", "min": return RateLimit(count: count, period: .seconds(60))
        case "h", "hour": return RateLimit(count: count, period: .seconds(3600))
        default: return nil
        }
    }
}

/// Token buckets per client (address, IPv6 /64, or ingest key): `count` requests, refilled
/// evenly over `period`.
///
/// Memory stays bounded however many addresses a client rotates through: a bucket that has
/// refilled says nothing a fresh one would not, so it is forgotten (the least recently seen
/// are looked at on every check), and beyond `maxClients` the least recently seen client goes
/// whatever its state. That last rule lets someone with more than `maxClients` addresses within
/// one refill period reset another client's bucket – with that many addresses a per-address
/// limit stops nobody anyway, while an unbounded map would stop the service.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let limit: RateLimit
    private let perSecond: Double
    private let buckets: Mutex<LRUCache<String, Bucket>>
    /// Clients remembered at most (each costs about a hundred bytes).
    static let maxClients = 10_000
    /// Requests this limit refused (metrics), labelled with its name.
    private let refused: CoreMetrics.Counter

    init(
        _ limit: RateLimit, maxClients: Int = RateLimiter.maxClients, name: String = "unnamed",
        metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.limit = limit
        refused = CoreMetrics.Counter(label: "rate_limit_hits_total", dimensions: [("limit", name)], factory: metrics)
        let period = Double(limit.period.components.seconds) + Double(limit.period.components.attoseconds) / 1e18
        perSecond = Double(limit.count) / period
        buckets = Mutex(LRUCache(maxEntries: max(1, maxClients)))
    }

    /// Clients currently remembered.
    var clientCount: Int { buckets.withLock { $0.count } }

    /// nil when allowed; otherwise the seconds until the next request would be.
    func check(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        let wait = take(key, now: now, consume: true)
        if wait != nil { refused.increment() }
        return wait
    }

    /// Like `check`, without using a token up: whether `key` is out of tokens right now.
    func exhausted(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        let wait = take(key, now: now, consume: false)
        if wait != nil { refused.increment() }
        return wait
    }

    /// The bucket's tokens at `now`.
    private func refilled(_ bucket: Bucket, now: ContinuousClock.Instant) -> Double {
        let elapsed = bucket.updated.duration(to: now)
        let seconds = max(0, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        return min(Double(limit.count), bucket.tokens + seconds * perSecond)
    }

    private func take(_ key: String, now: ContinuousClock.Instant, consume: Bool) -> Int? {
        let capacity = Double(limit.count)
        return buckets.withLock { buckets in
            // The least recently seen buckets that have refilled are forgotten (a few per
            // check at most: each was stored by a check).
            for _ in 0..<4 {
                guard let oldest = buckets.leastRecent, oldest.key != key, refilled(oldest.value, now: now) >= capacity else { break }
                buckets.removeLeastRecent()
            }
            var bucket = buckets.value(forKey: key) ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = refilled(bucket, now: now)
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                buckets.set(bucket, forKey: key)
                return max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up)))
            }
            if consume {
                bucket.tokens -= 1
                buckets.set(bucket, forKey: key)
            }
            return nil
        }
    }
}
