import Catalog
import Testing

@testable import Web

/// A list of a large catalog links a window of pages, not all 400 of them.
@Suite("Pagination")
struct PaginationTests {
    static func labels(current: Int, total: Int) -> [String] {
        var page = Page<Product>(all: [], number: current, perPage: 24)
        page.total = total
        page.number = current
        return PaginationModel(path: "/catalog", query: "", page: page).pages.map { $0.gap ? "…" : String($0.number) }
    }

    @Test("a short list links every page; a long one the first, the last and two on either side of the current one")
    func window() {
        #expect(Self.labels(current: 1, total: 24 * 7) == ["1", "2", "3", "4", "5", "6", "7"])
        #expect(Self.labels(current: 1, total: 10_000) == ["1", "2", "3", "…", "417"])
        #expect(Self.labels(current: 200, total: 10_000) == ["1", "…", "198", "199", "200", "201", "202", "…", "417"])
        #expect(Self.labels(current: 417, total: 10_000) == ["1", "…", "415", "416", "417"])
        #expect(Self.labels(current: 4, total: 10_000) == ["1", "2", "3", "4", "5", "6", "…", "417"])
        #expect(Self.labels(current: 1, total: 0) == ["1"])
    }

    @Test("the links carry the list's address, and the current page is marked")
    func links() {
        var page = Page<Product>(all: [], number: 200, perPage: 24)
        page.total = 10_000
        page.number = 200
        let model = PaginationModel(path: "/catalog", query: "", page: page)
        #expect(model.pages.first { $0.current }?.number == 200)
        #expect(model.pages.last?.url == "/catalog?page=417")
        #expect(model.previousURL == "/catalog?page=199" && model.nextURL == "/catalog?page=201")
    }
}
