/// The amoCRM integration's settings (`AMOCRM_*`).
public struct AmoCRMConfiguration: Sendable {
    public var subdomain: String
    /// API and token host: `https://{subdomain}.amocrm.ru` (tests: loopback).
    public var baseURL: String
    /// Where the admin is sent to grant access.
    public var authURL: String
    public var clientID: String?
    public var clientSecret: String?
    public var redirectURI: String
    /// An alternative to OAuth2: a token that is never refreshed.
    public var longLivedToken: String?
    /// Where new leads go; nil lets amoCRM use the account's defaults.
    public var pipelineID: Int?
    public var statusID: Int?
    public var responsibleUserID: Int?
    /// Account-specific custom field ids for the order's details (`AMOCRM_FIELD_*`).
    public var fields = CustomFields()
    /// `AMOCRM_DUPLICATE_CONTROL=on`: the account merges duplicate contacts itself (amoCRM's
    /// «Контроль дублей» for this integration), so contacts are sent without searching first.
    public var duplicateControl = false

    public struct CustomFields: Sendable, Equatable {
        public var product: Int?
        public var sku: Int?
        public var quantity: Int?
        public var productURL: Int?
        public var comment: Int?
        /// The deal's serial number, shown on its digital passport (`AMOCRM_FIELD_SERIAL`).
        public var serial: Int?

        public init(
            product: Int? = nil, sku: Int? = nil, quantity: Int? = nil, productURL: Int? = nil, comment: Int? = nil, serial: Int? = nil
        ) {
            self.product = product
            self.sku = sku
            self.quantity = quantity
            self.productURL = productURL
            self.comment = comment
            self.serial = serial
        }
    }

    public init(
        subdomain: String, baseURL: String? = nil, authURL: String = "https://www.amocrm.ru/oauth", clientID: String?,
        clientSecret: String?, redirectURI: String, longLivedToken: String? = nil
    ) {
        self.subdomain = subdomain
        self.baseURL = baseURL ?? "https://\(subdomain).amocrm.ru"
        self.authURL = authURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.redirectURI = redirectURI
        self.longLivedToken = longLivedToken
    }

    /// The account host amoCRM names as `referer` in the OAuth redirect.
    public var accountHost: String { "\(subdomain).amocrm.ru" }
}

/// Why amoCRM could not be used. Never carries tokens or the client secret.
public enum AmoCRMError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection must be re-authorized by an admin (revoked refresh token, no tokens).
    case needsReauthorization(String)
    /// amoCRM refused the client (id, secret or redirect URI do not match).
    case badClient(String)
    /// The authorization code is used or expired.
    case badCode(String)
    /// 429: too many requests.
    case rateLimited
    /// Network, timeout or 5xx: the outcome may be unknown.
    case unavailable(String)
    /// An answer that is not what the API documents.
    case invalidResponse(String)
    /// 4xx with amoCRM's explanation (validation errors).
    case rejected(status: Int, detail: String)

    public var description: String {
        switch self {
        case .needsReauthorization(let reason): "amoCRM needs re-authorization: \(reason)"
        case .badClient(let reason): "amoCRM refused the integration's credentials: \(reason)"
        case .badCode(let reason): "amoCRM refused the authorization code: \(reason)"
        case .rateLimited: "amoCRM rate limit (429)"
        case .unavailable(let reason): "amoCRM unavailable: \(reason)"
        case .invalidResponse(let reason): "unexpected amoCRM response: \(reason)"
        case .rejected(let status, let detail): "amoCRM rejected the request (\(status)): \(detail)"
        }
    }
}
