import Catalog
import Synchronization

/// An in-memory stand-in for Directus in page tests: rows set by the test, a switch to make
/// every call fail, and a count of upstream calls.
public final class StubCatalogSource: CatalogSource {
    struct State {
        var categories: [CategoryRecord]
        var products: [ProductRecord]
        var failing = false
        var calls = 0
    }

    private let state: Mutex<State>

    public init(categories: [CategoryRecord] = [], products: [ProductRecord] = []) {
        state = Mutex(State(categories: categories, products: products))
    }

    public var calls: Int { state.withLock { $0.calls } }

    public func setFailing(_ failing: Bool) {
        state.withLock { $0.failing = failing }
    }

    public func setProducts(_ products: [ProductRecord]) {
        state.withLock { $0.products = products }
    }

    private func read<T>(_ body: (State) -> T) throws(CatalogError) -> T {
        let (failing, value) = state.withLock { state in
            state.calls += 1
            return (state.failing, body(state))
        }
        if failing { throw CatalogError.unavailable("stub is failing") }
        return value
    }

    public func fetchCategories() async throws(CatalogError) -> [CategoryRecord] {
        try read { $0.categories }
    }

    public func fetchProducts<Row>(_ transform: (ProductRecord) -> Row) async throws(CatalogError) -> [Row] {
        try read { $0.products }.map(transform)
    }

    public func fetchProducts(ids: [Int]) async throws(CatalogError) -> [ProductRecord] {
        try read { state in state.products.filter { ids.contains($0.id) } }
    }

    public func previewProduct(id: Int, version: String?) async throws(CatalogError) -> ProductRecord? {
        try read { state in version == nil ? state.products.first { $0.id == id } : nil }
    }

    public func previewCategory(id: Int, version: String?) async throws(CatalogError) -> CategoryRecord? {
        try read { state in version == nil ? state.categories.first { $0.id == id } : nil }
    }

    public func asset(fileID: String, preset: ImagePreset, format: ImageFormat) async throws(CatalogError) -> Asset? {
        nil
    }
}
