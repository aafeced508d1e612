import SafeText
/// The catalog's search: an inverted index from search keys (`SearchTerms`) to products, built
/// once per catalog version with the rest of `CatalogIndex`.
///
/// Every word of a query must match (any order), in some field of the product; a product
/// ranks by where its words matched: the whole SKU or a model code first, then the name, the
/// category, the specs and the description. A query word with no key of its own may be one
/// typo away from a word of a name or category; the last word also matches as the beginning
/// of a longer one (as typed so far). A query that finds nothing is tried as typed in the other
/// keyboard layout.
public struct SearchIndex: Sendable {
    /// Where a key occurs, as a weight: the best field wins.
    enum Field: UInt8, Comparable {
        case description = 1, spec = 3, category = 8, name = 20, code = 40

        static func < (lhs: Field, rhs: Field) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// A whole SKU typed as the query outranks everything.
    static let wholeSKU = 1_000
    /// Words of a query looked at.
    static let maxWords = 8
    /// Words of a query that may be typos (the search for them is the costly part).
    static let maxTypoWords = 3
    /// A longer "word" is no word a name has.
    static let maxWordLength = 32

    /// key → (product position in the catalog's order, the best field it occurs in).
    private let postings: [String: [(product: Int32, field: Field)]]
    /// Name and category keys, sorted: prefix candidates.
    private let nameKeys: [String]
    /// The same without model codes, as characters, by length: typo candidates.
    private let typoCandidates: [Int: [(key: String, characters: [Character])]]
    /// A product's SKU as one code → its positions.
    private let skus: [String: [Int32]]

    public init(products: [Product]) {
        // Products come in catalog order, so a key's postings grow in order too: the last one
        // is the current product's, if it has one yet.
        var ids: [String: Int] = [:]
        var lists: [[(product: Int32, field: Field)]] = []
        var keyCache: [String: String] = [:]
        func key(_ word: String) -> String {
            if let cached = keyCache[word] { return cached }
            let key = SearchTerms.key(word)
            keyCache[word] = key
            return key
        }
        func add(_ text: String, _ field: Field, _ position: Int32) {
            for word in SearchTerms.words(text) {
                let key = key(word)
                let id: Int
                if let known = ids[key] {
                    id = known
                } else {
                    id = lists.count
                    ids[key] = id
                    lists.append([])
                }
                if let last = lists[id].last, last.product == position {
                    if field > last.field { lists[id][lists[id].count - 1].field = field }
                } else {
                    lists[id].append((position, field))
                }
            }
        }
        var names = Set<String>()
        var skus: [String: [Int32]] = [:]
        for (position, product) in zip(Int32(0)..., products) {
            if let sku = product.sku, !sku.isEmpty {
                add(sku, .code, position)
                let whole = SearchTerms.wholeCode(sku)
                if !whole.isEmpty { skus[whole, default: []].append(position) }
            }
            // A model code in a name ranks like a SKU: «Токарный станок CK6150».
            for word in SearchTerms.words(product.name) {
                let key = key(word)
                names.insert(key)
                add(word, key.contains(where: \.isNumber) ? .code : .name, position)
            }
            if let category = product.category?.name {
                for word in SearchTerms.words(category) { names.insert(key(word)) }
                add(category, .category, position)
            }
            for spec in product.specs { add(spec.name + " " + spec.valueWithUnit, .spec, position) }
            add(product.excerpt, .description, position)
        }
        var postings: [String: [(product: Int32, field: Field)]] = [:]
        postings.reserveCapacity(ids.count)
        for (key, id) in ids { postings[key] = lists[id] }
        self.postings = postings
        nameKeys = names.sorted()
        typoCandidates = Dictionary(
            grouping: names.filter { !$0.contains(where: \.isNumber) }.map { ($0, Array($0)) }, by: { $0.1.count }
        ).mapValues { $0.map { (key: $0.0, characters: $0.1) } }
        self.skus = skus
    }

    /// What a search found.
    public struct Result: Sendable {
        /// Positions in the catalog's order of the products found, best first.
        public var positions: [Int]
        /// The keys that matched, to highlight words with (`SearchIndex.highlight`).
        public var matchedKeys: Set<String>
        /// The query as it was understood, when that is not how it was typed (the other
        /// keyboard layout).
        public var correctedQuery: String?
        /// No product has every word: these have all but one of them.
        public var partial = false
    }

    /// Products for `query` among `allowed` positions (all when nil), best first.
    public func search(_ query: String, allowed: Set<Int>? = nil) -> Result {
        let first = run(query, allowed: allowed)
        if !first.positions.isEmpty { return first }
        if let other = SearchTerms.otherLayout(query) {
            var second = run(other, allowed: allowed)
            if !second.positions.isEmpty {
                second.correctedQuery = other
                return second
            }
        }
        // «фрезерного станка 6т12» without a 6Т12 in the catalog: the milling machines are
        // closer to what was meant than nothing.
        return run(query, allowed: allowed, missing: 1)
    }

    /// Products with every word of `query` but `missing` of them (a query of at least
    /// `missing + 2` words), best first.
    private func run(_ query: String, allowed: Set<Int>?, missing: Int = 0) -> Result {
        // A query's first words are enough to find a machine, and bound the typo search's work.
        let words = Array(SearchTerms.words(query).prefix(Self.maxWords))
        guard !words.isEmpty, missing == 0 || words.count >= missing + 2 else {
            return Result(positions: [], matchedKeys: [], correctedQuery: nil)
        }
        var scores: [Int32: Int] = [:]
        var hits: [Int32: Int] = [:]
        var matched = Set<String>()
        var typoWords = 0
        for (index, word) in words.enumerated() where word.count <= Self.maxWordLength {
            let key = SearchTerms.key(word)
            var found: [Int32: Int] = [:]
            func collect(_ key: String, penalty: Int) {
                guard let list = postings[key] else { return }
                matched.insert(key)
                for (product, field) in list {
                    let score = max(0, Int(field.rawValue) - penalty)
                    if score > found[product, default: -1] { found[product] = score }
                }
            }
            collect(key, penalty: 0)
            // The last word may be the beginning of a longer one (typed so far).
            if index == words.count - 1, key.count >= 3 {
                for candidate in prefixed(key) where candidate != key { collect(candidate, penalty: 2) }
            }
            // No exact key: a word of a name one or two typos away (never a model code: 6Т15 is
            // not a mistyped 6Т12, it is another machine).
            if found.isEmpty, !word.contains(where: \.isNumber), typoWords < Self.maxTypoWords {
                let limit = SearchTerms.allowedEdits(word.count)
                if limit > 0 {
                    typoWords += 1
                    let target = Array(key)
                    for length in max(1, target.count - limit)...(target.count + limit) {
                        for candidate in typoCandidates[length] ?? []
                        where SearchTerms.distance(target, candidate.characters, limit: limit) != nil {
                            collect(candidate.key, penalty: 4)
                        }
                    }
                }
            }
            for (product, score) in found {
                scores[product, default: 0] += score
                hits[product, default: 0] += 1
            }
        }
        var final = scores.filter { hits[$0.key, default: 0] >= words.count - missing }
        for position in skus[SearchTerms.wholeCode(query)] ?? [] { final[position, default: 0] += Self.wholeSKU }
        if let allowed { final = final.filter { allowed.contains(Int($0.key)) } }
        let ordered = final.sorted { ($0.value, -$0.key) > ($1.value, -$1.key) }.map { Int($0.key) }
        return Result(positions: ordered, matchedKeys: matched, correctedQuery: nil, partial: missing > 0 && !ordered.isEmpty)
    }

    /// Name and category keys that begin with `prefix` (binary search in the sorted list).
    private func prefixed(_ prefix: String) -> ArraySlice<String> {
        var low = 0
        var high = nameKeys.count
        while low < high {
            let middle = (low + high) / 2
            if nameKeys[middle] < prefix { low = middle + 1 } else { high = middle }
        }
        var end = low
        while end < nameKeys.count, nameKeys[end].hasPrefix(prefix), end - low < 50 { end += 1 }
        return nameKeys[low..<end]
    }

    /// A query as search reads it (folded words, one space between): one cache key for every
    /// spelling that searches the same.
    public static func normalize(_ query: String) -> String {
        SearchTerms.words(query).prefix(maxWords).joined(separator: " ")
    }

    /// `text` as HTML with the words that matched marked (`<mark>`), everything escaped.
    public static func highlight(_ text: String, keys: Set<String>) -> String {
        guard !keys.isEmpty else { return HTMLEscaping.escape(text) }
        var html = ""
        var word = ""
        func flush() {
            guard !word.isEmpty else { return }
            let folded = SearchTerms.words(word).first.map(SearchTerms.key)
            html += folded.map(keys.contains) == true ? "<mark>" + HTMLEscaping.escape(word) + "</mark>" : HTMLEscaping.escape(word)
            word = ""
        }
        for character in text {
            if character.isLetter || character.isNumber {
                word.append(character)
            } else {
                flush()
                html += HTMLEscaping.escape(String(character))
            }
        }
        flush()
        return html
    }
}
