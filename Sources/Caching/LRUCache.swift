/// A map with a budget: at most `maxEntries` entries and `maxCost` units of cost (bytes, say),
/// and when either would be exceeded the least recently used entries go first.
///
/// Every operation is O(1) (evictions aside, each of which is O(1) too): entries sit in a
/// doubly linked list threaded through an array, most recently used at the head. A value
/// type without locking; owners keep it behind their own `Mutex`.
public struct LRUCache<Key: Hashable, Value> {
    fileprivate struct Node {
        var key: Key?
        var value: Value?
        var cost: Int
        var previous: Int
        var next: Int
    }

    public let maxEntries: Int
    public let maxCost: Int
    public private(set) var totalCost = 0
    private var slots: [Key: Int] = [:]
    private var nodes: [Node] = []
    private var unused: [Int] = []
    /// Most recently used; -1 when empty.
    private var head = -1
    /// Least recently used; -1 when empty.
    private var tail = -1

    public init(maxEntries: Int, maxCost: Int = .max) {
        precondition(maxEntries > 0 && maxCost > 0, "an LRU cache needs room for something")
        self.maxEntries = maxEntries
        self.maxCost = maxCost
    }

    public var count: Int { slots.count }
    public var isEmpty: Bool { slots.isEmpty }

    /// The value, marked as just used.
    public mutating func value(forKey key: Key) -> Value? {
        guard let slot = slots[key] else { return nil }
        moveToHead(slot)
        return nodes[slot].value
    }

    /// The value, without changing its place.
    public func peek(_ key: Key) -> Value? {
        slots[key].flatMap { nodes[$0].value }
    }

    public func contains(_ key: Key) -> Bool { slots[key] != nil }

    /// Stores `value` as the most recently used entry and evicts what no longer fits; returns
    /// the evicted entries. A value costing more than the whole budget is not kept (and any
    /// previous value under the key goes).
    @discardableResult
    public mutating func set(_ value: Value, forKey key: Key, cost: Int = 1) -> [(key: Key, value: Value)] {
        let cost = max(0, cost)
        guard cost <= maxCost else {
            removeValue(forKey: key)
            return []
        }
        if let slot = slots[key] {
            totalCost += cost - nodes[slot].cost
            nodes[slot].value = value
            nodes[slot].cost = cost
            moveToHead(slot)
        } else {
            let node = Node(key: key, value: value, cost: cost, previous: -1, next: -1)
            let slot: Int
            if let reused = unused.popLast() {
                nodes[reused] = node
                slot = reused
            } else {
                nodes.append(node)
                slot = nodes.count - 1
            }
            slots[key] = slot
            totalCost += cost
            linkAtHead(slot)
        }
        var evicted: [(key: Key, value: Value)] = []
        while slots.count > maxEntries || totalCost > maxCost, tail != -1, tail != slots[key] {
            if let key = nodes[tail].key, let value = nodes[tail].value { evicted.append((key, value)) }
            removeSlot(tail)
        }
        return evicted
    }

    /// Changes a stored value in place, without marking it used; false if there is none.
    @discardableResult
    public mutating func modify(_ key: Key, _ change: (inout Value) -> Void) -> Bool {
        guard let slot = slots[key], var value = nodes[slot].value else { return false }
        nodes[slot].value = nil
        change(&value)
        nodes[slot].value = value
        return true
    }

    @discardableResult
    public mutating func removeValue(forKey key: Key) -> Value? {
        guard let slot = slots[key] else { return nil }
        let value = nodes[slot].value
        removeSlot(slot)
        return value
    }

    /// The least recently used entry.
    public var leastRecent: (key: Key, value: Value)? {
        guard tail != -1, let key = nodes[tail].key, let value = nodes[tail].value else { return nil }
        return (key, value)
    }

    public mutating func removeLeastRecent() {
        if tail != -1 { removeSlot(tail) }
    }

    /// Removes every entry `shouldRemove` picks (O(n): for purges, not for requests).
    public mutating func removeAll(where shouldRemove: (Key, Value) -> Bool) {
        var slot = head
        while slot != -1 {
            let next = nodes[slot].next
            if let key = nodes[slot].key, let value = nodes[slot].value, shouldRemove(key, value) { removeSlot(slot) }
            slot = next
        }
    }

    public mutating func removeAll() {
        slots.removeAll()
        nodes.removeAll()
        unused.removeAll()
        head = -1
        tail = -1
        totalCost = 0
    }

    private mutating func removeSlot(_ slot: Int) {
        unlink(slot)
        if let key = nodes[slot].key { slots[key] = nil }
        totalCost -= nodes[slot].cost
        nodes[slot] = Node(key: nil, value: nil, cost: 0, previous: -1, next: -1)
        unused.append(slot)
    }

    private mutating func moveToHead(_ slot: Int) {
        guard head != slot else { return }
        unlink(slot)
        linkAtHead(slot)
    }

    private mutating func linkAtHead(_ slot: Int) {
        nodes[slot].previous = -1
        nodes[slot].next = head
        if head != -1 { nodes[head].previous = slot }
        head = slot
        if tail == -1 { tail = slot }
    }

    private mutating func unlink(_ slot: Int) {
        let previous = nodes[slot].previous
        let next = nodes[slot].next
        if previous != -1 { nodes[previous].next = next } else { head = next }
        if next != -1 { nodes[next].previous = previous } else { tail = previous }
        nodes[slot].previous = -1
        nodes[slot].next = -1
    }
}

extension LRUCache: Sendable where Key: Sendable, Value: Sendable {}
extension LRUCache.Node: Sendable where Key: Sendable, Value: Sendable {}
