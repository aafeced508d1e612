/// Why the catalog could not be read. Messages never contain the Directus token.
public enum CatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Directus could not be reached, timed out, or answered 5xx.
    case unavailable(String)
    /// Directus' rate limiter (429); `retryAfter` in seconds when it said so.
    case rateLimited(retryAfter: Int?)
    /// 401: the static token is unknown to Directus.
    case unauthorized(String)
    /// 403 on a list: the role may not read the collection (or a field asked for).
    case forbidden(String)
    /// Directus answered something that is not the JSON it documents.
    case invalidResponse(String)

    /// A short name of the kind of failure (a metrics label).
    public var kind: String {
        switch self {
        case .unavailable(let reason): reason.hasPrefix("timeout") ? "timeout" : "unavailable"
        case .rateLimited: "rate_limited"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .invalidResponse: "invalid_response"
        }
    }

    public var description: String {
        switch self {
        case .unavailable(let reason): "Directus unavailable: \(reason)"
        case .rateLimited(let retryAfter): "Directus rate limit reached" + (retryAfter.map { ", retry after \($0) s" } ?? "")
        case .unauthorized(let reason): "Directus rejected the token: \(reason)"
        case .forbidden(let reason): "Directus denied access: \(reason)"
        case .invalidResponse(let reason): "unexpected Directus response: \(reason)"
        }
    }
}
