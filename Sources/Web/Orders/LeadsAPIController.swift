import Basics
import Foundation
import HTTPTypes
import Hummingbird
import Leads
import Storage

/// Orders as JSON: `POST /api/leads` for the site's own front ends and
/// `POST /ingest/leads` for other sources (the Telegram bot) with an ingest key.
struct LeadsAPIController: Sendable {
    let intake: LeadIntake
    /// Orders per client address, shared with the form; nil when switched off.
    let ipLimiter: RateLimiter?
    /// Orders per ingest key.
    let keyLimiter: RateLimiter?
    /// Ingest key → source name (`telegram`).
    let ingestKeys: [String: String]
    /// Wrong keys per client: a guesser gets 429 after a few.
    let guesses: SecretGuesses
    let trustedProxies: [CIDR]

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post(SiteURL.Route.apiLeads.pattern, use: apiLead)
        router.post(SiteURL.Route.ingestLeads.pattern, use: ingestLead)
    }

    struct Accepted: Encodable {
        var id: String
        var number: Int
        var status = "accepted"
    }

    @Sendable func apiLead(_ request: Request, context: AppRequestContext) async throws -> Response {
        let client = OrderClient(request, context: context, trusted: trustedProxies)
        // The limit comes first: a client over it costs no body read and no parse.
        if let limiter = ipLimiter, let retryAfter = limiter.check(ClientAddress.rateKey(client.ip)) {
            throw tooMany(retryAfter)
        }
        let input = try await readJSON(request, context: context)
        return try await submit(input, source: .site, idempotencyKey: nil, client: client)
    }

    @Sendable func ingestLead(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer "),
            let source = matchKey(String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces))
        else {
            // A request without any key is a misconfigured client, not a guess.
            if request.headers[.authorization] != nil, let retryAfter = guesses.wrong(request, context: context) {
                throw SecretGuesses.tooMany(retryAfter)
            }
            var response = ProblemDetails(.unauthorized, detail: "Нужен ключ источника: Authorization: Bearer <ключ из INGEST_KEYS>.").response()
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        if let limiter = keyLimiter, let retryAfter = limiter.check("key:" + source.name) {
            throw tooMany(retryAfter)
        }
        let input = try await readJSON(request, context: context)
        var key = request.headers[HTTPField.Name("Idempotency-Key")!]?.trimmingCharacters(in: .whitespaces)
        if key?.isEmpty == true { key = nil }
        if let key, key.count > 200 {
            throw ProblemDetails(.badRequest, detail: "Idempotency-Key длиннее 200 символов.")
        }
        let client = OrderClient(request, context: context, trusted: trustedProxies)
        return try await submit(input, source: source, idempotencyKey: key, client: client)
    }

    /// The source name of an ingest key, compared in constant time.
    func matchKey(_ presented: String) -> LeadSource? {
        var match: LeadSource?
        for (key, source) in ingestKeys where Secrets.matches(presented, key) {
            match = LeadSource(source)
        }
        return match
    }

    func readJSON(_ request: Request, context: AppRequestContext) async throws -> LeadInput {
        guard let type = request.headers[.contentType]?.lowercased(), type.hasPrefix("application/json") else {
            throw ProblemDetails(.unsupportedMediaType, detail: "Тело запроса должно быть JSON (Content-Type: application/json).")
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        do {
            return try OrderInput.lead(fromJSON: body.readableBytesView)
        } catch .notAnObject {
            throw ProblemDetails(.badRequest, detail: "Ожидался JSON-объект с полями заявки.")
        } catch {
            throw ProblemDetails(.badRequest, detail: "Некорректный JSON.")
        }
    }

    func submit(_ input: LeadInput, source: LeadSource, idempotencyKey: String?, client: OrderClient) async throws -> Response {
        switch try await intake.submit(input, source: source, idempotencyKey: idempotencyKey, client: client) {
        case .invalid(let errors):
            throw ProblemDetails(.unprocessableContent, detail: "Проверьте поля заявки.", errors: errors)
        case .accepted(let lead):
            let body = try JSONEncoder.sorted.encode(Accepted(id: lead.id, number: lead.number))
            return Response(
                status: .accepted, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    func tooMany(_ retryAfter: Int) -> ProblemDetails {
        var problem = ProblemDetails(.tooManyRequests, detail: "Слишком много заявок подряд. Повторите через \(retryAfter) с.")
        problem.retryAfter = retryAfter
        return problem
    }
}
