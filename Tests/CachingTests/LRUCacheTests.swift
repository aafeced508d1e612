import Caching
import Testing

@Suite("LRU cache")
struct LRUCacheTests {
    @Test("over its entry budget the least recently used entry goes, and reading an entry keeps it")
    func entryBudget() {
        var cache = LRUCache<String, Int>(maxEntries: 3)
        cache.set(1, forKey: "a")
        cache.set(2, forKey: "b")
        cache.set(3, forKey: "c")
        #expect(cache.value(forKey: "a") == 1)
        #expect(cache.set(4, forKey: "d").map(\.key) == ["b"])
        #expect(cache.count == 3)
        #expect(!cache.contains("b"))
        #expect(cache.peek("a") == 1 && cache.peek("c") == 3 && cache.peek("d") == 4)
        #expect(cache.leastRecent?.key == "c")
    }

    @Test("over its cost budget entries go oldest first until the new one fits; one too big is not kept")
    func costBudget() {
        var cache = LRUCache<String, String>(maxEntries: 100, maxCost: 10)
        cache.set("x", forKey: "a", cost: 4)
        cache.set("y", forKey: "b", cost: 4)
        #expect(cache.totalCost == 8)
        #expect(cache.set("z", forKey: "c", cost: 5).map(\.key) == ["a"])
        #expect(!cache.contains("a") && cache.totalCost == 9)
        cache.set("big", forKey: "b", cost: 11)
        #expect(!cache.contains("b") && cache.totalCost == 5)
        cache.set("smaller", forKey: "c", cost: 2)
        #expect(cache.totalCost == 2 && cache.peek("c") == "smaller")
    }

    @Test("removals keep the order and the totals right, and freed slots are reused")
    func removals() {
        var cache = LRUCache<Int, Int>(maxEntries: 1_000, maxCost: 1_000_000)
        for key in 0..<1_000 { cache.set(key, forKey: key, cost: key) }
        cache.removeAll { key, _ in key.isMultiple(of: 2) }
        #expect(cache.count == 500)
        #expect(cache.totalCost == (0..<1_000).filter { !$0.isMultiple(of: 2) }.reduce(0, +))
        #expect(cache.leastRecent?.key == 1)
        cache.removeLeastRecent()
        #expect(cache.leastRecent?.key == 3)
        #expect(cache.removeValue(forKey: 999) == 999)
        #expect(cache.modify(3) { $0 = -3 })
        #expect(cache.peek(3) == -3 && cache.leastRecent?.key == 3)
        // A long run of churn stays within budget.
        for key in 10_000..<30_000 { cache.set(key, forKey: key, cost: 1) }
        #expect(cache.count == 1_000)
        #expect(cache.leastRecent?.key == 29_000)
        cache.removeAll()
        #expect(cache.isEmpty && cache.totalCost == 0 && cache.leastRecent == nil)
    }
}
