import Basics
import Caching
import Logging
import Synchronization
import Testing
import TestSupport

@testable import Catalog

@Suite("Product descriptions: read for product pages only, kept within a byte budget")
struct DescriptionStoreTests {
    struct Upstream: Error {}

    let clock = TestWallClock()

    func product(_ id: Int, excerpt: String = "Станок") -> Product {
        CatalogNormalizer.product(
            ProductRecord(id: id, name: "Станок \(id)", slug: "s-\(id)", description: "<p>\(excerpt)</p>"), categories: [:])
    }

    /// A loader that records the ids of every read and answers `<p>{id}:{round}</p>`, with the
    /// digest of the description Directus has now (`<p>Станок</p>` unless a test changes it).
    final class Reads: Sendable {
        let log = Mutex<[[Int]]>([])
        let failing = Mutex(false)
        let texts = Mutex<[Int: String]>([:])

        var count: Int { log.withLock { $0.count } }
        var ids: [[Int]] { log.withLock { $0 } }

        /// `load`, once `gate` is finished (a read held open while a test looks at the store).
        func held(until gate: AsyncStream<Void>) -> DescriptionStore.Loader {
            { ids in
                for await _ in gate {}
                return try await self.load(ids)
            }
        }

        func load(_ ids: [Int]) async throws -> DescriptionStore.Found {
            let round = log.withLock { log in
                log.append(ids)
                return log.count
            }
            if failing.withLock({ $0 }) { throw Upstream() }
            let texts = texts.withLock { $0 }
            return Dictionary(uniqueKeysWithValues: ids.map { ($0, (FNV1a.hash((texts[$0] ?? "<p>Станок</p>").utf8), "<p>\($0):\(round)</p>")) })
        }
    }

    @Test("a description is read once and kept while the product in the list is unchanged; a changed product is read again")
    func keptPerProduct() async throws {
        let store = DescriptionStore(maxBytes: 1 << 20, clock: clock)
        let reads = Reads()
        let first = product(1)
        #expect(try await store.descriptions(of: [first], load: reads.load) == [1: "<p>1:1</p>"])
        #expect(try await store.descriptions(of: [first], load: reads.load) == [1: "<p>1:1</p>"])
        #expect(reads.count == 1)
        // The list brought a changed description: it is read again, and kept as the new one.
        reads.texts.withLock { $0[1] = "<p>Новый текст</p>" }
        let changed = product(1, excerpt: "Новый текст")
        #expect(try await store.descriptions(of: [changed], load: reads.load) == [1: "<p>1:2</p>"])
        #expect(try await store.descriptions(of: [changed], load: reads.load) == [1: "<p>1:2</p>"])
        #expect(reads.count == 2)
    }

    @Test("an edit the excerpt does not show (markup, text past 500 characters) changes the product")
    func digestSeesEveryEdit() {
        let start = String(repeating: "Станок для тяжёлой обработки. ", count: 30)
        let before = CatalogNormalizer.product(ProductRecord(id: 1, name: "Станок", slug: "s", description: "<p>\(start)конец</p>"), categories: [:])
        let after = CatalogNormalizer.product(
            ProductRecord(id: 1, name: "Станок", slug: "s", description: "<p>\(start)<b>конец</b></p>"), categories: [:])
        #expect(before.excerpt == after.excerpt)
        #expect(before != after)
    }

    @Test("a request for a newer version of a product does not join a read started for the older one")
    func noJoinAcrossVersions() async throws {
        let store = DescriptionStore(maxBytes: 1 << 20, clock: clock)
        let reads = Reads()
        let gate = AsyncStream<Void>.makeStream()
        async let old = store.descriptions(of: [product(4)], load: reads.held(until: gate.stream))
        #expect(try await eventually { store.isLoading(4) })
        reads.texts.withLock { $0[4] = "<p>Новый текст</p>" }
        #expect(try await store.descriptions(of: [product(4, excerpt: "Новый текст")], load: reads.load)[4] == "<p>4:1</p>")
        gate.continuation.finish()
        _ = try await old
        #expect(reads.count == 2 && store.joinCount == 0)
    }

    @Test("at most so many reads run at once: a single product waits in a bounded line, a list is refused while none is free")
    func boundedReads() async throws {
        let store = DescriptionStore(maxBytes: 1 << 20, maxReads: 1, maxWaiting: 1, clock: clock)
        let reads = Reads()
        let gate = AsyncStream<Void>.makeStream()
        let holding = reads.held(until: gate.stream)
        async let first = store.descriptions(of: [product(1)], load: holding)
        #expect(try await eventually { store.isLoading(1) })
        // A list of products is refused at once while the one slot is taken…
        await #expect(throws: DescriptionsBusy.self) { try await store.descriptions(of: [product(2), product(3)], load: reads.load) }
        // …a single product waits in line, and the next one finds the line full.
        async let second = store.descriptions(of: [product(4)], load: reads.load)
        #expect(try await eventually { store.isLoading(4) })
        await #expect(throws: DescriptionsBusy.self) { try await store.descriptions(of: [product(5)], load: reads.load) }
        #expect(reads.count == 0)
        gate.continuation.finish()
        let (one, four) = try await (first, second)
        #expect(one[1] == "<p>1:1</p>" && four[4] == "<p>4:2</p>")
        // Nothing was counted as a failure: the next read runs at once.
        #expect(try await store.descriptions(of: [product(2), product(3)], load: reads.load).count == 2)
    }

    @Test("a page's products that are not kept are read in one request; a product Directus no longer has gets none")
    func oneReadPerPage() async throws {
        let store = DescriptionStore(maxBytes: 1 << 20, clock: clock)
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
        #expect(store.count == 4)  // 5 is not kept: its next page asks again
    }

    @Test("concurrent requests for one product share one read")
    func singleFlight() async throws {
        let store = DescriptionStore(maxBytes: 1 << 20, clock: clock)
        let reads = Reads()
        let gate = AsyncStream<Void>.makeStream()
        let target = product(7)
        try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<30 {
                group.addTask {
                    try await store.descriptions(of: [target]) { ids in
                        // Every read counts at once; the first is held open until all callers joined it.
                        let read = try await reads.load(ids)
                        for await _ in gate.stream {}
                        return read
                    }[7]
                }
            }
            // Every other caller joined the one read, which is still held open.
            #expect(try await eventually { store.joinCount == 29 && reads.count == 1 })
            gate.continuation.finish()
            for try await html in group { #expect(html == "<p>7:1</p>") }
        }
        #expect(reads.count == 1)
    }

    @Test("descriptions stay within their byte budget, the least recently used going first")
    func byteBudget() async throws {
        let html = String(repeating: "я", count: 2_000)  // 4,000 bytes
        let budget = 3 * (4_000 + DescriptionStore.entryOverhead)
        let store = DescriptionStore(maxBytes: budget, clock: clock)
        let reads = Reads()
        let load: DescriptionStore.Loader = { ids in
            try await reads.load(ids).mapValues { ($0.digest, html) }
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
        let store = DescriptionStore(maxBytes: 1 << 20, clock: clock)
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
        let store = DescriptionStore(maxBytes: 1 << 20, clock: clock)
        let reads = Reads()
        let gate = AsyncStream<Void>.makeStream()
        let target = product(3)
        async let held = store.descriptions(of: [target], load: reads.held(until: gate.stream))
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
        let catalog = Catalog(source: source, clock: clock, logger: Logger(label: "test"))
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
