import Hummingbird
import HTTPTypes
import Leads

extension OrderClient {
    /// The sender of a request: its address (believing `X-Forwarded-For` only from trusted
    /// proxies) and user agent, as the consent record and the rate limits need them.
    init(_ request: Request, context: AppRequestContext, trusted: [CIDR]) {
        self.init(ip: ClientAddress.of(request, context: context, trusted: trusted), userAgent: request.headers[.userAgent])
    }
}
