import AsyncHTTPClient
import Basics
import CoreMetrics
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Storage

/// Sends the pages `IndexNowQueue` holds to IndexNow, one POST of up to 10,000 URLs.
///
/// - One instance sends: the holder of the `indexnow` role (renewed while it works).
/// - The first page waiting waits `batchWindow` for others: an editor's burst is one request.
/// - 200 and 202 (a key not verified yet) are accepted: the batch goes.
/// - 429 pauses sending for the `Retry-After` the endpoint gives, or a backoff; 5xx and
///   network errors pause with a backoff too, and 403 (the key file is not found at
///   `/{key}.txt`) for ten minutes. The pause is kept in the database, and the pages wait:
///   an outage spends nothing.
/// - 400 and 422 say the request itself is wrong: sending it again would not help, so the
///   batch is dropped with an error in the log.
public final class IndexNowSender: Service {
    public static let role = "indexnow"
    static let lease: Duration = .seconds(30)
    /// How often an idle sender looks for pages another instance queued.
    static let idleCheck: Duration = .seconds(10)
    static let firstBackoff: Duration = .seconds(30)
    static let longestBackoff: Duration = .seconds(3_600)
    static let keyRefusedPause: Duration = .seconds(600)

    let settings: IndexNowSettings
    let key: String
    /// `PUBLIC_BASE_URL`: its host is IndexNow's `host`, and the URLs are under it.
    let siteURL: String
    let queue: IndexNowQueue
    let instances: Instances
    let instance: String
    let httpClient: HTTPClient
    let clock: any WallClock
    let logger: Logger
    private let wakeups = WakeSignal()
    private let sentURLs: CoreMetrics.Counter
    private let metrics: any MetricsFactory

    public init(
        settings: IndexNowSettings, key: String, siteURL: String, queue: IndexNowQueue, instances: Instances, instance: String,
        httpClient: HTTPClient, clock: any WallClock, metrics: any MetricsFactory, logger: Logger
    ) {
        self.settings = settings
        self.key = key
        self.siteURL = siteURL
        self.queue = queue
        self.instances = instances
        self.instance = instance
        self.httpClient = httpClient
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
        sentURLs = CoreMetrics.Counter(label: "indexnow_urls_sent_total", factory: metrics)
    }

    /// Pages were queued on this instance: look now rather than at the next check.
    public func wake() { wakeups.signal() }

    public func run() async throws {
        var failures = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                guard try await instances.hold(Self.role, for: instance, duration: Self.lease) else {
                    await nap(Self.lease / 3)
                    continue
                }
                let now = clock.now()
                if let paused = try await queue.pausedUntil(), paused > now {
                    await nap(min(Self.idleCheck, .milliseconds(paused.milliseconds - now.milliseconds)))
                    continue
                }
                let (count, oldest) = try await queue.pending()
                guard let oldest else {
                    await nap(Self.idleCheck)
                    continue
                }
                let due = oldest + settings.batchWindow
                if count < settings.batchSize, due > now {
                    await nap(min(Self.idleCheck, .milliseconds(due.milliseconds - now.milliseconds)))
                    continue
                }
                let batch = RandomHex.make(bytes: 8)
                let paths = try await queue.claim(limit: settings.batchSize, batch: batch)
                guard !paths.isEmpty else { continue }
                failures = try await send(paths, batch: batch, failures: failures)
            } catch {
                logger.error("IndexNow queue could not be read", metadata: ["error": "\(error)"])
                await nap(.seconds(5))
            }
        }
    }

    /// Posts one batch and settles it; returns the failures in a row since the last success.
    private func send(_ paths: [String], batch: String, failures: Int) async throws -> Int {
        let reply: (status: Int, retryAfter: String?, body: String)
        do {
            reply = try await post(paths)
        } catch {
            try await queue.release(batch: batch)
            count("error")
            return try await pause(after: failures, fallback: Self.firstBackoff, why: "IndexNow is unreachable: \(type(of: error))")
        }
        count(String(reply.status))
        switch reply.status {
        case 200, 202:
            try await queue.sent(batch: batch)
            sentURLs.increment(by: Int64(paths.count))
            logger.info("IndexNow took changed pages", metadata: ["urls": "\(paths.count)", "status": "\(reply.status)"])
            return 0
        case 429:
            try await queue.release(batch: batch)
            // Retry-After in seconds (an HTTP date is not worth reading): range-checked first.
            let asked = reply.retryAfter.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.flatMap { (1...86_400).contains($0) ? $0 : nil }
            return try await pause(
                after: failures, fallback: .seconds(60), asked: asked.map { Duration.seconds($0) }, why: "IndexNow asks to slow down (429)")
        case 403:
            try await queue.release(batch: batch)
            logger.error(
                "IndexNow does not accept the key: it must be served at /{key}.txt under PUBLIC_BASE_URL",
                metadata: ["key_location": "\(siteURL)/\(key).txt"])
            try await queue.pause(until: clock.now() + Self.keyRefusedPause)
            return failures + 1
        case 500...599:
            try await queue.release(batch: batch)
            return try await pause(after: failures, fallback: Self.firstBackoff, why: "IndexNow answered \(reply.status)")
        default:
            // 400, 422 and the like: the request is wrong, and would be wrong again.
            try await queue.sent(batch: batch)
            logger.error(
                "IndexNow refused a batch; its pages are dropped",
                metadata: ["status": "\(reply.status)", "urls": "\(paths.count)", "reply": "\(reply.body.prefix(300))"])
            return 0
        }
    }

    /// Pauses sending: for what the endpoint asked, or 1, 2, 4… times `fallback` up to an hour.
    private func pause(after failures: Int, fallback: Duration, asked: Duration? = nil, why: String) async throws -> Int {
        let backoff = min(fallback * (1 << min(failures, 12)), Self.longestBackoff)
        let wait = asked ?? backoff
        try await queue.pause(until: clock.now() + wait)
        logger.warning("IndexNow sending paused", metadata: ["reason": "\(why)", "seconds": "\(wait.components.seconds)"])
        return failures + 1
    }

    struct Body: Encodable {
        var host: String
        var key: String
        var keyLocation: String
        var urlList: [String]
    }

    private func post(_ paths: [String]) async throws -> (status: Int, retryAfter: String?, body: String) {
        let host = URL(string: siteURL)?.host ?? siteURL
        let body = Body(host: host, key: key, keyLocation: "\(siteURL)/\(key).txt", urlList: paths.map { siteURL + $0 })
        var request = HTTPClientRequest(url: settings.endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder.sorted.encode(body)))
        let response = try await httpClient.execute(request, timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 64 << 10))
        return (Int(response.status.code), response.headers.first(name: "Retry-After"), text)
    }

    private func count(_ status: String) {
        CoreMetrics.Counter(label: "indexnow_requests_total", dimensions: [("status", status)], factory: metrics).increment()
    }

    /// Sleeps `duration` of the application's clock, or until woken or stopped.
    private func nap(_ duration: Duration) async {
        let (clock, wakeups) = (clock, wakeups)
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await clock.sleep(for: max(duration, .milliseconds(1))) }
                group.addTask { await wakeups.wait() }
                await group.next()
                group.cancelAll()
            }
        }
    }
}
