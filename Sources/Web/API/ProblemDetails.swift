import Basics
import Foundation
import Storage
import HTTPTypes
import Hummingbird

/// An RFC 9457 `application/problem+json` error body.
struct ProblemDetails: Error, Encodable {
    var status: Int
    var title: String
    var detail: String
    var type = "about:blank"
    /// Field → message in Russian, for validation errors.
    var errors: [String: String]?
    /// Seconds, sent as the `Retry-After` header (429).
    var retryAfter: Int?

    enum CodingKeys: String, CodingKey {
        case status, title, detail, type, errors
    }

    init(_ status: HTTPResponse.Status, detail: String, errors: [String: String]? = nil) {
        self.status = status.code
        self.title = status.reasonPhrase
        self.detail = detail
        self.errors = errors
    }

    func response(headers extra: HTTPFields = [:]) -> Response {
        let body = (try? JSONEncoder.sorted.encode(self)) ?? Data(#"{"status":500,"title":"Internal Server Error"}"#.utf8)
        var headers = extra
        headers[.contentType] = "application/problem+json"
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        headers[.cacheControl] = "no-store"
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
