import Catalog
import CoreMetrics
import Foundation
import HTTPTypes
import Hummingbird

/// Counts and times every request that reaches the router, by route pattern, method and status.
///
/// Hummingbird's `MetricsMiddleware` would report to the process-global metrics system and
/// label by any method a client sends; here the labels come only from the server's side (the
/// matched route pattern, a fixed set of methods, the status it answered), so no visitor can
/// grow the number of series.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: any MetricsFactory

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
        let route = Self.route(context.endpointPath, status: status)
        let method = Self.method(request.method)
        CoreMetrics.Counter(
            label: "http_requests_total", dimensions: [("route", route), ("method", method), ("status", String(status.code))],
            factory: metrics
        ).increment()
        CoreMetrics.Timer(label: "http_request_duration_seconds", dimensions: [("route", route), ("method", method)], factory: metrics)
            .record(start.duration(to: .now))
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
