import CoreMetrics
import Hummingbird

/// Wrong secrets presented by one client on a public endpoint that takes one: an ingest key,
/// `PREVIEW_SECRET`, `DIRECTUS_WEBHOOK_SECRET`, `AMOCRM_WEBHOOK_TOKEN` – each endpoint counts
/// its own.
///
/// After `limit` wrong ones a minute, a client's next wrong ones are answered 429 until its
/// bucket refills. The right secret always passes: amoCRM sends every account's webhooks from
/// the same few addresses, and a bot or a Directus Flow may share an address (a NAT, an IPv6
/// /64) with someone guessing – a stranger's guesses must not lock the real sender out. The
/// secrets are at least 16 random characters, so no rate makes guessing them practical; the
/// 429 keeps a guesser cheap to answer and visible in `rate_limit_hits_total`.
struct SecretGuesses: Sendable {
    static let limit = RateLimit(count: 10, period: .seconds(60))

    let failures: RateLimiter
    let trustedProxies: [CIDR]

    init(name: String, trustedProxies: [CIDR], metrics: any MetricsFactory) {
        failures = RateLimiter(Self.limit, name: name, metrics: metrics)
        self.trustedProxies = trustedProxies
    }

    /// Counts one wrong secret against the client: nil to answer with the usual refusal, or
    /// the seconds it must wait (answer 429).
    func wrong(_ request: Request, context: AppRequestContext) -> Int? {
        failures.check(ClientAddress.rateKey(of: request, context: context, trusted: trustedProxies))
    }

    /// The machine endpoints' answer to a client that must wait.
    static func tooMany(_ retryAfter: Int) -> ProblemDetails {
        var problem = ProblemDetails(.tooManyRequests, detail: "Слишком много неверных ключей. Повторите через \(retryAfter) с.")
        problem.retryAfter = retryAfter
        return problem
    }
}
