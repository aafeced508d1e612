import Basics
import Alerts
import AmoCRM
import Catalog
import Foundation
import Hummingbird
import Storage
import Leads

/// `/healthz`: the process answers. `/readyz`: it can serve the catalog and reach the
/// database – for anyone as a bare status, for operators (`OperatorAccess`) with each check,
/// the outbox counts and amoCRM's connection.
struct HealthController: Sendable {
    let catalog: Catalog
    let leads: LeadStore
    let amoTokens: TokenManager?
    /// The delivery channels' breakers: a channel that is down makes the service degraded.
    let breakers: [ChannelBreaker]
    /// Open operator incidents are listed (`alert.{key}`), saying whether they were mailed.
    let alerts: AlertStore
    let access: OperatorAccess
    /// The public answer is worked out at most once a second, however often it is asked.
    let publicAnswer: Memo<Bool>

    init(
        catalog: Catalog, leads: LeadStore, amoTokens: TokenManager?, breakers: [ChannelBreaker], alerts: AlertStore, access: OperatorAccess,
        clock: any WallClock
    ) {
        self.catalog = catalog
        self.leads = leads
        self.amoTokens = amoTokens
        self.breakers = breakers
        self.alerts = alerts
        self.access = access
        publicAnswer = Memo(for: .seconds(1), clock: clock)
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get(SiteURL.Route.healthz.pattern) { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get(SiteURL.Route.readyz.pattern, use: ready)
    }

    struct Readiness: Encodable {
        var status: String
        var checks: [String: String]?
    }

    @Sendable func ready(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard access.isAllowed(request, context: context) else { return try await publicReadiness() }
        var checks: [String: String] = [:]
        var ready = true
        do {
            let index = try await catalog.index()
            checks["catalog"] = "ok: \(index.products.count) products, \(index.categories.count) categories"
        } catch {
            ready = false
            checks["catalog"] = "unavailable: \(error)"
        }
        do {
            let counts = try await leads.outboxCounts()
            let waiting = counts.values.reduce(0) { $0 + ($1[.pending] ?? 0) }
            let dead = counts.values.reduce(0) { $0 + ($1[.dead] ?? 0) }
            checks["database"] = "ok: \(waiting) deliveries waiting, \(dead) dead"
        } catch {
            ready = false
            checks["database"] = "unavailable: \(error)"
        }
        // amoCRM does not make the site unready (orders still flow and wait), but a lost
        // connection is reported here, loudly.
        var degraded = false
        if let amoTokens {
            let problem = await amoTokens.problem()
            checks["amocrm"] = problem ?? "ok"
            degraded = problem != nil
        } else {
            checks["amocrm"] = "off: AMOCRM_SUBDOMAIN is not set"
        }
        for breaker in breakers {
            let name = "delivery_" + breaker.channel.rawValue
            if let open = breaker.open {
                checks[name] = "down since \(open.since): \(open.reason)"
                degraded = true
            } else {
                checks[name] = "ok"
            }
        }
        for incident in (try? await alerts.openIncidents()) ?? [] {
            let mailed = incident.openMailedAt != nil ? "mailed" : "not mailed yet" + (incident.mailError.map { ": \($0)" } ?? "")
            checks["alert." + incident.key] = "\(incident.title) (since \(incident.openedAt); \(mailed))"
            degraded = true
        }
        let status = !ready ? "not ready" : degraded ? "degraded" : "ready"
        return try answer(Readiness(status: status, checks: checks), ready: ready)
    }

    /// The status alone, from the cheapest checks: the (cached) catalog and one `SELECT 1`.
    /// No counts, no error text: a load balancer needs nothing more.
    func publicReadiness() async throws -> Response {
        let (catalog, leads) = (catalog, leads)
        let ready = await publicAnswer.value {
            guard (try? await catalog.index()) != nil else { return false }
            return (try? await leads.ping()) != nil
        }
        return try answer(Readiness(status: ready ? "ready" : "not ready", checks: nil), ready: ready)
    }

    func answer(_ readiness: Readiness, ready: Bool) throws -> Response {
        Response(
            status: ready ? .ok : .serviceUnavailable,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder.sorted.encode(readiness))))
    }
}
