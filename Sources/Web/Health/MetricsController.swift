import Assets
import Basics
import Alerts
import AmoCRM
import Catalog
import CoreMetrics
import Foundation
import Hummingbird
import Indexing
import Leads
import Passport
import Storage

/// `GET /metrics`: Prometheus text (format 0.0.4) of the application's registry.
///
/// Counters and timers are recorded where things happen (swift-metrics); the levels that live
/// in the database or in other parts (outbox depth, token expiry, cache sizes) are read here
/// and set as gauges just before the text is written.
///
/// Operators only (`OperatorAccess`): the counts cost queries, and they are nobody else's business.
struct MetricsController: Sendable {
    let telemetry: Telemetry
    let catalog: Catalog
    let pages: PageCache
    let assets: AssetStore
    let leads: LeadStore
    let amoTokens: TokenManager?
    let breakers: [ChannelBreaker]
    let amoEvents: AmoCRMEvents
    let passports: PassportStore
    let alerts: AlertStore
    let pageChanges: PageChanges
    /// nil while IndexNow is off.
    let indexNow: IndexNowQueue?
    let clock: any WallClock
    let access: OperatorAccess

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get(SiteURL.Route.metrics.pattern, use: metrics)
    }

    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard access.isAllowed(request, context: context) else {
            return Response(
                status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: "forbidden: allow this address in METRICS_ALLOW or send the admin token\n")))
        }
        await updateLevels()
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: telemetry.exposition())))
    }

    /// Sets the gauges whose values are read rather than counted.
    private func updateLevels() async {

        let usage = pages.rendered.usage
        gauge("page_cache_entries", usage.entries)
        gauge("page_cache_bytes", usage.bytes)
        gauge("page_cache_targets", pages.rendered.targetCount)
        let descriptions = catalog.descriptionsKept
        gauge("catalog_descriptions_kept", descriptions.count)
        gauge("catalog_descriptions_bytes", descriptions.bytes)
        gauge("asset_cache_bytes", assets.totalBytes)
        let upstream = catalog.upstreamFailure
        gauge("catalog_upstream_failing", upstream == nil ? 0 : 1)
        gauge("catalog_serving_stale", upstream?.servingStale == true ? 1 : 0)
        gauge("site_pages_recorded", pageChanges.recordedPages)
        if let indexNow, let waiting = try? await indexNow.pending() {
            gauge("indexnow_pages_waiting", waiting.count)
            gauge("indexnow_oldest_waiting_seconds", waiting.oldest.map { max(0, clock.now().timeIntervalSince($0)) } ?? 0)
        }

        // A failed read leaves the last values standing rather than reporting zeros.
        if let counts = try? await leads.outboxCounts(), let oldest = try? await leads.oldestPending() {
            let now = clock.now()
            for channel in DeliveryChannel.allCases {
                for state in [OutboxState.pending, .delivered, .dead] {
                    gauge("outbox_deliveries", labels: [("channel", channel.rawValue), ("state", state.rawValue)], counts[channel]?[state] ?? 0)
                }
                gauge("outbox_oldest_pending_seconds", labels: [("channel", channel.rawValue)], oldest[channel].map { max(0, now.timeIntervalSince($0)) } ?? 0)
            }
        }
        for breaker in breakers {
            gauge("outbox_channel_up", labels: [("channel", breaker.channel.rawValue)], breaker.open == nil ? 1 : 0)
        }
        if let amoTokens {
            let status = await amoTokens.status()
            gauge("amocrm_connected", status.problem == nil ? 1 : 0)
            if let expiry = status.expiry {
                gauge("amocrm_token_expires_in_seconds", expiry.timeIntervalSince(clock.now()).rounded())
            }
        }
        if let pending = try? await amoEvents.pendingCount() { gauge("amocrm_events_pending", pending) }
        if let count = try? await passports.count() { gauge("passports", count) }
        // From the shared table, so every instance says the same and a restart forgets nothing.
        if let keys = try? await alerts.keys() {
            for (key, open) in keys { gauge("alerts_active", labels: [("alert", key)], open ? 1 : 0) }
        }
    }

    private func gauge(_ name: String, labels: [(String, String)] = [], _ value: Double) {
        Gauge(label: name, dimensions: labels, factory: telemetry.factory).record(value)
    }

    private func gauge(_ name: String, labels: [(String, String)] = [], _ value: Int) {
        gauge(name, labels: labels, Double(value))
    }
}
