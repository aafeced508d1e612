import Catalog
import CoreMetrics
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Counts and times every request that reaches the router, by route pattern, method and status.
///
/// Hummingbird's `MetricsMiddleware` would report to the process-global metrics system and
/// label by any method a client sends; here the labels come only from the server's side (the
/// matched route pattern, a fixed set of methods, the status it answered), so no visitor can
/// grow the number of series.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let handlers: RequestMetricHandlers

    init(metrics: any MetricsFactory) {
        handlers = RequestMetricHandlers(metrics: metrics)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let status: HTTPResponse.Status
        do {
            let response = try await next(request, context)
            status = response.status
            record(request, context: context, status: status, since: start)
            return response
        } catch {
            record(request, context: context, status: (error as? any HTTPResponseError)?.status ?? .internalServerError, since: start)
            throw error
        }
    }

    private func record(_ request: Request, context: Context, status: HTTPResponse.Status, since start: ContinuousClock.Instant) {
        let key = RequestMetricHandlers.Key(
            route: Self.route(context.endpointPath, status: status), method: Self.method(request.method), status: status.code)
        let (requests, duration) = handlers.for(key)
        requests.increment()
        duration.record(start.duration(to: .now))
    }

    /// The matched route pattern (`/product/{slug}`); a request no route matched is a static
    /// file when it was answered, else `unmatched` (Hummingbird names that endpoint `NotFound`).
    static func route(_ endpoint: String?, status: HTTPResponse.Status) -> String {
        if let endpoint, endpoint != "NotFound" {
            // Hummingbird writes parameters as `{name}`, already; only the trailing slash varies.
            return endpoint.count > 1 && endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        }
        return status.code < 400 ? "static" : "unmatched"
    }

    static func method(_ method: HTTPRequest.Method) -> String {
        switch method {
        case .get, .head, .post, .put, .delete, .patch, .options: method.rawValue
        default: "other"
        }
    }
}

/// The counter and timer of each (route, method, status), made once: a few dozen at most,
/// since every part of the key comes from the server's side.
final class RequestMetricHandlers: Sendable {
    struct Key: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    let metrics: any MetricsFactory
    private let made = Mutex<[Key: (requests: CoreMetrics.Counter, duration: CoreMetrics.Timer)]>([:])

    init(metrics: any MetricsFactory) {
        self.metrics = metrics
    }

    func `for`(_ key: Key) -> (requests: CoreMetrics.Counter, duration: CoreMetrics.Timer) {
        made.withLock { made in
            if let handlers = made[key] { return handlers }
            let handlers = (
                CoreMetrics.Counter(
                    label: "http_requests_total", dimensions: [("route", key.route), ("method", key.method), ("status", String(key.status))],
                    factory: metrics),
                CoreMetrics.Timer(label: "http_request_duration_seconds", dimensions: [("route", key.route), ("method", key.method)], factory: metrics)
            )
            made[key] = handlers
            return handlers
        }
    }
}
