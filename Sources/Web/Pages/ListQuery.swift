import Catalog
import Hummingbird

/// A list page's query (`/catalog`, a category), read once: the search words, the page number
/// and the filter, and the one spelling of all three.
struct ListQuery {
    /// The fields as they came, in order.
    let pairs: [(name: String, value: String)]
    let words: String
    let page: Int
    let filter: ProductFilter

    /// A page number or filter that is not one is no page at all (404), so that every list page
    /// has one address.
    init(_ request: Request) throws {
        pairs = request.queryPairs
        let fields = FormURLEncoded.fields(pairs)
        words = Self.words(fields)
        guard let page = RequestNumber.page(fields["page"]), let filter = ProductFilter(query: pairs) else { throw HTTPError(.notFound) }
        self.page = page
        self.filter = filter
    }

    /// The search words as typed (a GET form sends spaces as `+`), white space collapsed.
    static func words(_ fields: [String: String]) -> String {
        String(SpecsNormalizer.clean(fields["q"] ?? "").prefix(100))
    }

    /// The list's address: `path` with the filter and page (and, with `searching`, the words).
    func address(_ path: String, searching: Bool = false) -> String {
        SiteURL.list(path, query: searching ? words : "", filter: filter, page: page)
    }

    /// A 301 to the list's address when the query has the list's own parameters only (`q`,
    /// `page`, the filter's), but not its fields in its order: the filter form sends its empty
    /// fields, in its own order. Nil when they are – whatever the percent-encoding: the search
    /// form's `+` for a space is not worth a round trip – or when other parameters come along
    /// (`utm_source`, a click id: kept for the page's script to read).
    func redirect(_ path: String, searching: Bool = false) -> Response? {
        guard pairs.allSatisfy({ $0.name == "q" || $0.name == "page" || ProductFilter.isParameter($0.name) }) else { return nil }
        let items = SiteURL.listItems(query: searching ? words : "", filter: filter, page: page)
        guard !pairs.elementsEqual(items, by: { $0.name == $1.name && $0.value == $1.value }) else { return nil }
        return Response(status: .movedPermanently, headers: [.location: address(path, searching: searching)])
    }
}
