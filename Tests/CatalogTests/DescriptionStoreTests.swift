import Logging
import Synchronization
import Testing
import TestSupport

@testable import Catalog

@Suite("Product descriptions: read for product pages only, kept within a byte budget")
struct DescriptionStoreTests {
    struct Upstream: Error {}

    let clock = ManualClock()

    func product(_ id: Int, excerpt: String = "Станок") -> Product {
        CatalogNormalizer.product(
            ProductRecord(id: id, name: "Станок \(id)", slug: "s-\(id)", description: "<p>\(excerpt)</p>"), categories: [:])
    }

    /// A loader that records the ids of every read and answers `<p>{id}:{round}</p>`.
    final class Reads: Sendable {
        let log = Mutex<[[Int]]>([])
        let failing = Mutex(false)

        var count: Int { log.withLock { $0.count } }
        var ids: [[Int]] { log.withLock { $0 } }

        func load(_ ids: [Int]) async throws -> [Int: String] {
            let round = log.withLock { log in
                log.append(ids)
                return log.count
            }
            if failing.withLock({ $0 }) { throw Upstream() }
            return Dictionary(uniqueKeysWithValues: ids.map { ($0, "<p>\($0):\(round)</p>") })
        }
    }

    @Test("a description is read once and kept while the product in the list is unchanged; a changed product is read again")
    func keptPerProduct() async throws {
        let store = DescriptionStore(maxBytes: 1 << 20, clock: clock.cacheClock)
        let reads = Reads()
        let first = product(1)
        #expect(try await store.descriptions(of: [first], load: reads.load) == [1: "<p>1:1</p>"])
        #expect(try await store.descriptions(of: [first], load: reads.load) == [1: "<p>1:1</p>"])
        #expect(reads.count == 1)
        // The list brought a new excerpt: the description is read again.
        #expect(try await store.descriptions(of: [product(1, excerpt: "Новый текст")], load: reads.load) == [1: "<p>1:2</p>"])
        #expect(reads.count == 2)
    }

    @Test("a page's products that are not kept are read in one request; a product Directus no longer has gets none")
    func oneReadPerPage() async throws {
        let store = DescriptionStore(maxBytes: 1 << 20, clock: clock.cacheClock)
        let reads = Reads()
        _ = try await store.descriptions(of: [product(2)], load: reads.load)
        let page = (1...5).map { product($0) }
        let found = try await store.descriptions(of: page, load: { ids in
            var answer = try await reads.load(ids)
            answer[5] = nil  // unpublished since the list was read
            return answer
        })
        #expect(reads.ids == [[2], [1, 3, 4, 5]])
        #expect(found[2] == "<p>2:1</p>" && found[3] == "<p>3:2</p>" && found[5] == "")
    }

    @Test("concurrent requests for one product share one read")
    func singleFlight() async throws {
        let store = DescriptionStore(maxBytes: 1 << 20, clock: clock.cacheClock)
        let reads = Reads()
        let gate = AsyncStream<Void>.makeStream()
        let target = product(7)
        let started = CallCounter()
        try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<30 {
                group.addTask {
                    started.increment()
                    return try await store.descriptions(of: [target]) { ids in
                        // Every read counts at once; the first is held open until all callers asked.
                        let read = try await reads.load(ids)
                        for await _ in gate.stream {}
                        return read
                    }[7]
                }
            }
            #expect(try await eventually { started.value == 30 && store.isLoading(7) })
            gate.continuation.finish()
            for try await html in group { #expect(html == "<p>7:1</p>") }
        }
        #expect(reads.count == 1)
    }

    @Test("descriptions stay within their byte budget, the least recently used going first")
    func byteBudget() async throws {
        let html = String(repeating: "я", count: 2_000)  // 4,000 bytes
        let budget = 3 * (4_000 + DescriptionStore.entryOverhead)
        let store = DescriptionStore(maxBytes: budget, clock: clock.cacheClock)
        let reads = Reads()
        let load: DescriptionStore.Loader = { ids in
            _ = try await reads.load(ids)
            return Dictionary(uniqueKeysWithValues: ids.map { ($0, html) })
        }
        for id in 1...3 { _ = try await store.descriptions(of: [product(id)], load: load) }
        _ = try await store.descriptions(of: [product(1)], load: load)  // 1 is now the most recent
        _ = try await store.descriptions(of: [product(4)], load: load)  // 2 goes
        #expect(store.bytes <= budget)
        #expect(store.count == 3)
        let before = reads.count
        _ = try await store.descriptions(of: [product(1), product(3), product(4)], load: load)
        #expect(reads.count == before)
        _ = try await store.descriptions(of: [product(2)], load: load)
        #expect(reads.count == before + 1)
    }

    @Test("after a failed read none starts for 1 s, then 2 s; a purge ends the wait")
    func failureWait() async throws {
        let store = DescriptionStore(maxBytes: 1 << 20, clock: clock.cacheClock)
        let reads = Reads()
        reads.failing.withLock { $0 = true }
        await #expect(throws: Upstream.self) { try await store.descriptions(of: [product(1)], load: reads.load) }
        // Within the wait: the error at once, no request (Directus is down; pages use the excerpt).
        await #expect(throws: Upstream.self) { try await store.descriptions(of: [product(2)], load: reads.load) }
        #expect(reads.count == 1)
        clock.advance(by: .milliseconds(1_001))
        await #expect(throws: Upstream.self) { try await store.descriptions(of: [product(1)], load: reads.load) }
        #expect(reads.count == 2)
        clock.advance(by: .milliseconds(1_500))  // the wait doubled to 2 s
        await #expect(throws: Upstream.self) { try await store.descriptions(of: [product(1)], load: reads.load) }
        #expect(reads.count == 2)
        // A Directus webhook says it is up: the next request reads at once.
        reads.failing.withLock { $0 = false }
        store.removeAll()
        #expect(try await store.descriptions(of: [product(1)], load: reads.load)[1] == "<p>1:3</p>")
        // Kept products are served during a wait too.
        reads.failing.withLock { $0 = true }
        clock.advance(by: .seconds(60))
        await #expect(throws: Upstream.self) { try await store.descriptions(of: [product(9)], load: reads.load) }
        #expect(try await store.descriptions(of: [product(1)], load: reads.load)[1] == "<p>1:3</p>")
    }

    @Test("a read under way when descriptions are purged is handed to its callers but not kept")
    func purgeDuringRead() async throws {
        let store = DescriptionStore(maxBytes: 1 << 20, clock: clock.cacheClock)
        let reads = Reads()
        let gate = AsyncStream<Void>.makeStream()
        let target = product(3)
        async let held = store.descriptions(of: [target]) { ids in
            for await _ in gate.stream {}
            return try await reads.load(ids)
        }
        #expect(try await eventually { store.isLoading(3) })
        store.removeAll()
        gate.continuation.finish()
        #expect(try await held[3] == "<p>3:1</p>")
        #expect(try await store.descriptions(of: [target], load: reads.load)[3] == "<p>3:2</p>")
    }

    @Test("the catalog keeps excerpts only; a product's description is read from the source and dropped by a purge")
    func catalogReadsDescriptions() async throws {
        let long = (1...60).map { "Абзац \($0): станок поставляется с оснасткой." }.joined(separator: " ")
        let source = StubCatalogSource(products: [ProductRecord(id: 1, name: "Станок", slug: "s", description: "<p>\(long)</p>")])
        let catalog = Catalog(source: source, clock: clock.cacheClock, logger: Logger(label: "test"))
        let product = try #require(try await catalog.product(.slug("s")))
        #expect(product.excerpt.count <= Product.excerptLimit + 1 && product.excerpt.hasSuffix("…"))
        let calls = source.calls
        #expect(try await catalog.description(of: product) == "<p>\(long)</p>")
        #expect(try await catalog.description(of: product) == "<p>\(long)</p>")
        #expect(source.calls == calls + 1)
        catalog.invalidateProducts()
        let reloaded = try #require(try await catalog.product(.slug("s")))
        _ = try await catalog.description(of: reloaded)
        #expect(source.calls == calls + 3)  // the list, and the description again
    }
}

@Suite("Catalog reloads")
struct CatalogReloadTests {
    /// Where a string's bytes live (two equal strings in different places are two copies).
    static func storage(_ text: String) -> UInt? {
        text.utf8.withContiguousStorageIfAvailable { UInt(bitPattern: $0.baseAddress) } ?? nil
    }

    @Test("a reload keeps the products that did not change as they are in memory; a changed one is new")
    func unchangedProductsShared() async throws {
        let text = String(repeating: "Станок для тяжёлой обработки. ", count: 10)
        func records(secondName: String) -> [ProductRecord] {
            [
                ProductRecord(id: 1, name: "Токарный станок", slug: "a", description: "<p>\(text)</p>"),
                ProductRecord(id: 2, name: secondName, slug: "b", description: "<p>\(text)</p>"),
            ]
        }
        let source = StubCatalogSource(products: records(secondName: "Фрезерный станок"))
        let catalog = Catalog(source: source, logger: Logger(label: "test"))
        let before = try await catalog.index()
        source.setProducts(records(secondName: "Фрезерный станок с ЧПУ"))
        catalog.invalidateProducts()  // a Directus webhook: the list is read again
        let after = try await catalog.index()
        let (old1, new1) = (try #require(before.product(.id(1))), try #require(after.product(.id(1))))
        #expect(old1 == new1)
        #expect(Self.storage(new1.excerpt) != nil && Self.storage(new1.excerpt) == Self.storage(old1.excerpt))
        let (old2, new2) = (try #require(before.product(.id(2))), try #require(after.product(.id(2))))
        #expect(new2.name == "Фрезерный станок с ЧПУ")
        #expect(Self.storage(new2.excerpt) != Self.storage(old2.excerpt))
    }
}
