import HTTPTypes
import Hummingbird

/// `HEAD` is `GET` without the body (RFC 9110 §9.3.2): uptime monitors, crawlers and link
/// checkers use it. Hummingbird's router matches methods one by one (before any router
/// middleware), so this wraps the whole router: a HEAD request is answered by the GET
/// route, with its status and headers (`Content-Length` included) and no body.
struct HeadAsGetResponder<Base: HTTPResponder>: HTTPResponder {
    typealias Context = Base.Context
    let base: Base

    func respond(to request: Request, context: Context) async throws -> Response {
        guard request.method == .head else { return try await base.respond(to: request, context: context) }
        var head = request.head
        head.method = .get
        let response = try await base.respond(to: Request(head: head, body: request.body), context: context)
        return Response(status: response.status, headers: response.headers, body: .init())
    }
}
