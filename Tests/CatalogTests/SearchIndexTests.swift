import Catalog
import Foundation
import Logging
import Testing
import TestSupport

/// The search index with its catalog: built again when a list changes in the background, before
/// any request asks for it.
@Suite("Search index")
struct SearchIndexTests {
    static func record(_ id: Int, _ name: String) -> ProductRecord {
        ProductRecord(id: id, name: name, slug: "p\(id)", sku: "SKU-\(id)")
    }

    @Test("a list refreshed in the background has its index and search built at once, without another request")
    func rebuiltOffTheRequestPath() async throws {
        let source = StubCatalogSource(products: [Self.record(1, "Токарный станок")])
        let clock = TestWallClock()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let catalog = Catalog(source: source, policy: CachePolicy(fresh: .seconds(1), stale: .seconds(3600)), clock: clock, logger: logger)
        #expect(try await catalog.index().search("фрезерный").isEmpty)

        // Stale: the request gets the old list and starts a refresh; the refresh brings a new one.
        source.setProducts([Self.record(1, "Токарный станок"), Self.record(2, "Фрезерный станок")])
        clock.advance(by: .seconds(2))
        _ = try await catalog.index()
        // No request from here on: the new index appears by itself.
        #expect(try await eventually { catalog.lastIndex?.search("фрезерные").map(\.id) == [2] })
    }

    @Test("search keys: word forms, lookalike codes, ё; highlighting marks the matched words and escapes the rest")
    func keysAndHighlight() {
        let index = SearchIndex(products: [])
        #expect(index.search("токарный").positions.isEmpty)
        #expect(SearchIndex.normalize("  Токарные   СТАНКИ, ёж ") == "токарные станки еж")
        let marked = SearchIndex.highlight("Станок <b>токарный</b> CK6150", keys: ["токарн", "ck6150"])
        #expect(marked == "Станок &lt;b&gt;<mark>токарный</mark>&lt;/b&gt; <mark>CK6150</mark>")
    }
}
