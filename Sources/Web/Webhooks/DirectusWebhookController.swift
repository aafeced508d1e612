import Basics
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import Storage
import Logging

/// `POST /webhook/directus`: Directus tells us what changed, and the cached copies go.
///
/// Accepts a Flow's "Webhook / Request URL" body (`{{$trigger}}`: `{event, collection,
/// key | keys, payload}`) and the legacy webhook body, which has the same keys. The payload
/// of an update holds only the changed fields, so it is never used as data: the affected
/// items are dropped and loaded again on the next request.
struct DirectusWebhookController: Sendable {
    typealias Context = AppRequestContext
    /// `DIRECTUS_WEBHOOK_SECRET`; nil: the webhook does not exist.
    let secret: String?
    /// Drops on this instance and tells the others.
    let purges: CatalogPurges
    /// Wrong secrets per client: a guesser gets 429 after a few.
    let guesses: SecretGuesses
    /// The project's collection names (`CATALOG_MAPPING`).
    let mapping: CatalogMapping
    let logger: Logger

    func addRoutes(to router: Router<Context>) {
        router.post(SiteURL.Route.directusWebhook.pattern, use: receive)
    }

    struct Answer: Encodable {
        var collection: String
        var dropped: String
    }

    @Sendable func receive(_ request: Request, context: Context) async throws -> Response {
        guard let secret else { throw HTTPError(.notFound) }
        guard let presented = request.headers[HTTPField.Name("X-Webhook-Secret")!], Secrets.matches(presented, secret) else {
            if let retryAfter = guesses.wrong(request, context: context) { throw SecretGuesses.tooMany(retryAfter) }
            throw ProblemDetails(.unauthorized, detail: "Неверный или отсутствующий X-Webhook-Secret.")
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard let event = try? JSONParser.parse(body.readableBytesView), case .object = event else {
            throw ProblemDetails(.badRequest, detail: "Ожидалось JSON-тело события Directus.")
        }
        let collection = event["collection"]?.string ?? ""
        var keys: [JSONValue] = event["keys"]?.array ?? []
        if let key = event["key"] { keys.append(key) }
        let ids = Set(keys.compactMap(\.int))
        let purge: CatalogPurges.Purge
        switch collection {
        case mapping.products where !ids.isEmpty:
            purge = .products(ids)
        case "directus_files" where !keys.isEmpty:
            // A replaced or deleted file: its cached sizes go, and pages (sizes, titles) too.
            purge = .files(keys.compactMap(\.string).filter { FileID.isValid($0) })
        default:
            // Categories (names and paths are on every page), files, or an event we cannot
            // narrow down: drop everything rather than show stale data.
            purge = .all
        }
        await purges.purge(purge)
        let dropped = purge.text
        logger.info("directus webhook", metadata: ["event": "\(event["event"]?.string ?? "")", "dropped": "\(dropped)"])
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder.sorted.encode(Answer(collection: collection, dropped: dropped)))))
    }
}
