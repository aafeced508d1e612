import Foundation
import Hummingbird

/// Who may read operational detail (`/metrics`, the detailed `/readyz`): clients whose
/// address is in `METRICS_ALLOW` (loopback and the trusted proxies by default), or anyone
/// presenting the admin token. The address is the resolved client address, so a visitor
/// coming through a trusted proxy is judged by their own address, not the proxy's.
struct OperatorAccess: Sendable {
    let allow: [CIDR]
    let trustedProxies: [CIDR]
    let adminToken: String?

    init(configuration: AppConfiguration) {
        allow = configuration.metricsAllow
        trustedProxies = configuration.trustedProxies
        adminToken = configuration.adminToken
    }

    func isAllowed(_ request: Request, context: AppRequestContext) -> Bool {
        let client = ClientInfo(request, context: context, trusted: trustedProxies)
        if allow.contains(where: { $0.contains(client.ip) }) { return true }
        guard let adminToken, let presented = AdminGuard.credential(request.headers[.authorization]) else {
            return false
        }
        return Secrets.matches(presented, adminToken)
    }
}
