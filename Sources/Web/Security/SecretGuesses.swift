import Hummingbird

/// Wrong secrets presented by one client on the public endpoints that take one: an ingest
/// key, `PREVIEW_SECRET`, `DIRECTUS_WEBHOOK_SECRET`, `AMOCRM_WEBHOOK_TOKEN`.
///
/// The same rule as the admin token's (`AdminGuard`): after `limit` wrong ones a minute the
/// client gets 429 until its bucket refills, without its guesses being compared. A right
/// secret costs nothing, so the service that holds it (amoCRM, a Directus Flow, the bot) is
/// never slowed by a stranger's guessing from another address.
struct SecretGuesses: Sendable {
    static let limit = RateLimit(count: 10, period: .seconds(60))

    let failures: RateLimiter
    let trustedProxies: [CIDR]

    /// The seconds this client must wait before its next guess is looked at; nil when it may try.
    func wait(_ request: Request, context: AppRequestContext) -> Int? {
        failures.exhausted(ClientAddress.rateKey(of: request, context: context, trusted: trustedProxies))
    }

    /// Counts one wrong secret against the client.
    func failed(_ request: Request, context: AppRequestContext) {
        _ = failures.check(ClientAddress.rateKey(of: request, context: context, trusted: trustedProxies))
    }

    /// The machine endpoints' answer to a client that must wait.
    static func tooMany(_ retryAfter: Int) -> ProblemDetails {
        var problem = ProblemDetails(.tooManyRequests, detail: "Слишком много неверных ключей. Повторите через \(retryAfter) с.")
        problem.retryAfter = retryAfter
        return problem
    }
}
