import AmoCRM
import Catalog
import Foundation
import Hummingbird
import Leads
import Passport

/// `GET /metrics`: Prometheus text format (version 0.0.4) for the few numbers that tell
/// whether orders flow: catalog refresh failures, orders taken and caught, the outbox.
///
/// Operators only (`OperatorAccess`): the counts cost queries, and they are nobody else's business.
struct MetricsController: Sendable {
    let catalog: Catalog
    let pages: PageCache
    let assets: AssetStore
    let intake: LeadIntake
    let leads: LeadStore
    let amoTokens: TokenManager?
    let breakers: [ChannelBreaker]
    let amoEvents: AmoCRMEvents
    let passports: PassportStore
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
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Int)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for sample in samples { lines.append("\(name)\(sample.labels) \(sample.value)") }
        }
        metric(
            "amocrm_events_pending", "gauge", "amoCRM status events recorded and not yet worked through (won deals get passports).",
            [("", try await amoEvents.pendingCount())])
        metric("passports", "gauge", "Digital passports issued for won amoCRM deals, revoked ones included.", [("", try await passports.count())])
        metric(
            "catalog_refresh_failures_total", "counter", "Failed Directus loads (stale data was served when there was any).",
            [("", catalog.refreshFailures)])
        metric(
            "pages_fast_path_total", "counter", "Warm page requests answered from the rendered cache on the event loop.",
            [("", pages.rendered.fastAnswerCount)])
        metric("pages_rendered_total", "counter", "Cacheable pages and documents rendered (a cold burst of one page renders it once).", [("", pages.renderCount)])
        let usage = pages.rendered.usage
        metric("page_cache_entries", "gauge", "Rendered pages and documents kept (least recently used go first).", [("", usage.entries)])
        metric("page_cache_bytes", "gauge", "Bytes of the rendered pages kept.", [("", usage.bytes)])
        metric(
            "page_cache_targets", "gauge", "Canonical request targets the event-loop fast path knows.",
            [("", pages.rendered.targetCount)])
        let descriptions = catalog.descriptionsKept
        metric("catalog_descriptions_kept", "gauge", "Full product descriptions kept for product pages (the index keeps excerpts).", [("", descriptions.count)])
        metric("catalog_descriptions_bytes", "gauge", "Bytes of the product descriptions kept.", [("", descriptions.bytes)])
        metric("asset_cache_bytes", "gauge", "Bytes of transformed images in the disk cache.", [("", assets.totalBytes)])
        metric("orders_accepted_total", "counter", "Orders stored since start.", [("", intake.accepted)])
        metric("orders_honeypot_total", "counter", "Form submissions caught by the honeypot field.", [("", intake.honeypotHits)])
        let counts = (try? await leads.outboxCounts()) ?? [:]
        var samples: [(labels: String, value: Int)] = []
        for channel in DeliveryChannel.allCases {
            for state in [OutboxState.pending, .delivered, .dead] {
                samples.append(("{channel=\"\(channel.rawValue)\",state=\"\(state.rawValue)\"}", counts[channel]?[state] ?? 0))
            }
        }
        metric("outbox_deliveries", "gauge", "Lead deliveries by channel and state.", samples)
        metric(
            "outbox_channel_up", "gauge", "1 while a delivery channel works, 0 while its breaker is open (leads wait).",
            breakers.map { ("{channel=\"\($0.channel.rawValue)\"}", $0.open == nil ? 1 : 0) })
        if let amoTokens {
            let connected = await amoTokens.problem() == nil ? 1 : 0
            metric("amocrm_connected", "gauge", "1 when amoCRM tokens work, 0 when it must be (re)connected.", [("", connected)])
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: lines.joined(separator: "\n") + "\n")))
    }
}
