import Foundation
import Hummingbird

/// Who may read operational detail (`/metrics`, the detailed `/readyz`): clients whose
/// address is in `METRICS_ALLOW` (loopback and the trusted proxies by default), or anyone
/// presenting the admin token. The address is the resolved client address, so a visitor
/// coming through a trusted proxy is judged by their own address, not the proxy's. Wrong
/// tokens count against the same per-client budget as the admin's login, so these routes
/// are no way around its slow-down.
struct OperatorAccess: Sendable {
    let allow: [CIDR]
    let trustedProxies: [CIDR]
    let adminToken: String?
    let failures: RateLimiter


    func isAllowed(_ request: Request, context: AppRequestContext) -> Bool {
        let client = ClientAddress.of(request, context: context, trusted: trustedProxies)
        if allow.contains(where: { $0.contains(client) }) { return true }
        let key = ClientAddress.rateKey(client)
        guard let header = request.headers[.authorization], let adminToken, failures.exhausted(key) == nil else { return false }
        if let presented = AdminGuard.credential(header), Secrets.matches(presented, adminToken) { return true }
        _ = failures.check(key)
        return false
    }
}
