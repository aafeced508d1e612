import Basics
import Caching
import Catalog
import Foundation
import Hummingbird
import Synchronization

/// `GET /api/suggest?q=`: a few products and categories for the search field's as-you-type
/// list (`public/js/site.js`).
///
/// Answers are kept per normalized query and catalog version in a cache of their own, with an
/// entry and a byte budget: every prefix a visitor types is a new key, and they must not push
/// the site's pages out of the page cache.
struct SuggestController<Context: RequestContext>: Sendable {
    let catalog: Catalog
    let layout: SiteLayout
    let answers: SuggestAnswers

    struct Item: Encodable {
        var name: String
        var url: String
        var sku: String?
        var price: String?
    }

    struct Answer: Encodable {
        var query: String
        var products: [Item]
        var categories: [Item]
    }

    func addRoutes(to router: Router<Context>) {
        router.get(SiteURL.Route.apiSuggest.pattern, use: suggest)
    }

    @Sendable func suggest(_ request: Request, context: Context) async throws -> Response {
        let query = ListQuery.words(request.queryFields)
        // The query as typed (lower case), not only its words: «yj;ybws» is «ножницы» in the
        // other layout, and `;` is its «ж».
        let normalized = query.lowercased()
        let key = "\(catalog.version.current)|\(normalized)"
        let body: ByteBuffer
        if let kept = answers.get(key) {
            body = kept
        } else {
            let index = try await catalog.index()
            let (products, categories) = index.suggest(normalized)
            let answer = Answer(
                query: normalized,
                products: products.map {
                    Item(name: $0.name, url: layout.absoluteURL(SiteURL.product($0)), sku: $0.sku, price: $0.price.text)
                },
                categories: categories.map { Item(name: $0.name, url: layout.absoluteURL(SiteURL.category($0.slug)), sku: nil, price: nil) })
            body = ByteBuffer(bytes: try JSONEncoder.sorted.encode(answer))
            answers.put(key, body)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: PageCache.publicCacheControl, .xContentTypeOptions: "nosniff"],
            body: .init(byteBuffer: body))
    }
}

/// The suggest answers kept (least recently used out first, within entries and bytes).
final class SuggestAnswers: Sendable {
    private let cache: Mutex<LRUCache<String, ByteBuffer>>

    init(maxEntries: Int = 2_048, maxBytes: Int = 4 << 20) {
        cache = Mutex(LRUCache(maxEntries: maxEntries, maxCost: maxBytes))
    }

    func get(_ key: String) -> ByteBuffer? { cache.withLock { $0.value(forKey: key) } }

    func put(_ key: String, _ body: ByteBuffer) {
        cache.withLock { _ = $0.set(body, forKey: key, cost: body.readableBytes + key.utf8.count + 64) }
    }

    var count: Int { cache.withLock { $0.count } }
}
