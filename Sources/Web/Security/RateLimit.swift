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

/// Token buckets per client (IP or ingest key): `count` requests, refilled evenly over
/// `period`. Memory stays bounded: full buckets are forgotten, and beyond `maxClients` the
/// least recently seen clients too.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let limit: RateLimit
    private let buckets = Mutex<[String: Bucket]>([:])
    /// Clients remembered at most (each costs about a hundred bytes).
    static let maxClients = 50_000

    init(_ limit: RateLimit) {
        self.limit = limit
    }

    /// Clients currently remembered.
    var clientCount: Int { buckets.withLock { $0.count } }

    /// nil when allowed; otherwise the seconds until the next request would be.
    func check(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        take(key, now: now, consume: true)
    }

    /// Like `check`, without using a token up: whether `key` is out of tokens right now.
    func exhausted(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        take(key, now: now, consume: false)
    }

    private func take(_ key: String, now: ContinuousClock.Instant, consume: Bool) -> Int? {
        let capacity = Double(limit.count)
        let perSecond = capacity / (Double(limit.period.components.seconds) + Double(limit.period.components.attoseconds) / 1e18)
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = bucket.updated.duration(to: now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(capacity, bucket.tokens + seconds * perSecond)
            bucket.updated = now
            if buckets.count > Self.maxClients {
                // Full buckets say nothing; if clients still overflow (many addresses at
                // once), the least recently seen half goes.
                buckets = buckets.filter { $0.value.tokens < capacity - 0.5 }
                if buckets.count > Self.maxClients / 2 {
                    let newest = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(Self.maxClients / 2)
                    buckets = Dictionary(uniqueKeysWithValues: newest.map { ($0.key, $0.value) })
                }
            }
            guard bucket.tokens >= 1 else {
                buckets[key] = bucket
                return max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up)))
            }
            if consume {
                bucket.tokens -= 1
                buckets[key] = bucket
            }
            return nil
        }
    }
}
