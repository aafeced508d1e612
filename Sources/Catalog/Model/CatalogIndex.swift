import Foundation

/// The published catalog as one consistent, queryable value: categories as a tree with
/// product counts, products in editor order, search.
public struct CatalogIndex: Sendable {
    public let categories: [Category]
    public let products: [Product]
    private let categoriesBySlug: [String: Category]
    /// Published categories by id.
    public let categoriesByID: [Int: Category]
    private let childrenByID: [Int: [Category]]
    /// Every catalog file a published page shows: the image proxy serves these and no others.
    public let fileIDs: Set<String>
    /// Positions in `products` (not copies of them: a product value is a few hundred bytes).
    private let productsByID: [Int: Int32]
    private let productsBySlug: [String: Int32]
    /// Positions in `products` of each category's products and its subcategories', in catalog
    /// order: lists, counts and facets read these instead of going through the whole catalog.
    private let positionsByCategory: [Int: [Int32]]
    /// Each category's name as search reads it (suggestions match the query against these).
    private let categoryTerms: [(words: [String], wordKeys: [String], keys: Set<String>)]
    /// Search over `products` (built with the index, once per catalog version).
    public let searchIndex: SearchIndex
    private let facetMemo = FacetMemo()

    public init(categories: [Category], products: [Product]) {
        let sortedCategories = categories.sorted { ($0.sort, $0.id) < ($1.sort, $1.id) }
        let byID = Dictionary(sortedCategories.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        // A parent that is not published (or missing) makes the category a top-level one.
        let normalized = sortedCategories.map { category -> Category in
            var category = category
            if let parent = category.parentID, byID[parent] == nil { category.parentID = nil }
            return category
        }
        self.categories = normalized
        categoriesByID = Dictionary(normalized.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        categoriesBySlug = Dictionary(normalized.map { ($0.slug, $0) }, uniquingKeysWith: { first, _ in first })
        childrenByID = Dictionary(grouping: normalized.filter { $0.parentID != nil }, by: { $0.parentID! })
        var descendants: [Int: Set<Int>] = [:]
        for category in normalized {
            var found: Set<Int> = [category.id]
            var queue = [category.id]
            while let next = queue.popLast() {
                for child in childrenByID[next] ?? [] where !found.contains(child.id) {
                    found.insert(child.id)
                    queue.append(child.id)
                }
            }
            descendants[category.id] = found
        }
        let sorted = products.sorted { ($0.sort, $0.id) < ($1.sort, $1.id) }
        self.products = sorted
        fileIDs = Set(products.flatMap(\.fileIDs))
        var idPositions: [Int: Int32] = [:]
        var slugPositions: [String: Int32] = [:]
        idPositions.reserveCapacity(sorted.count)
        slugPositions.reserveCapacity(sorted.count)
        // A duplicate id or slug: the first in catalog order wins.
        for (position, product) in zip(Int32(0)..., sorted) {
            if idPositions[product.id] == nil { idPositions[product.id] = position }
            if let slug = product.slug, slugPositions[slug] == nil { slugPositions[slug] = position }
        }
        productsByID = idPositions
        productsBySlug = slugPositions
        var direct: [Int: [Int32]] = [:]
        for (position, product) in zip(Int32(0)..., sorted) {
            if let id = product.category?.id { direct[id, default: []].append(position) }
        }
        positionsByCategory = descendants.mapValues { ids in ids.flatMap { direct[$0] ?? [] }.sorted() }
        categoryTerms = normalized.map { category in
            let words = SearchTerms.words(category.name)
            let keys = words.map(SearchTerms.key)
            return (words, keys, Set(keys))
        }
        searchIndex = SearchIndex(products: sorted)
    }

    /// The published product that goes by `key`.
    public func product(_ key: ProductKey) -> Product? {
        let position: Int32? =
            switch key {
            case .id(let id): productsByID[id]
            case .slug(let slug): productsBySlug[slug]
            }
        return position.map { products[Int($0)] }
    }

    public var rootCategories: [Category] { categories.filter { $0.parentID == nil } }

    public func category(slug: String) -> Category? { categoriesBySlug[slug] }

    public func category(id: Int) -> Category? { categoriesByID[id] }

    public func children(of category: Category) -> [Category] { childrenByID[category.id] ?? [] }

    /// The category and its ancestors, root first (for breadcrumbs).
    public func path(to category: Category) -> [Category] {
        var path = [category]
        var seen: Set<Int> = [category.id]
        while let parentID = path[0].parentID, let parent = categoriesByID[parentID], !seen.contains(parentID) {
            path.insert(parent, at: 0)
            seen.insert(parentID)
        }
        return path
    }

    /// Products of a category and of all its subcategories.
    public func products(in category: Category) -> [Product] {
        guard let positions = positionsByCategory[category.id] else {
            // Not one of the index's categories (an editor's preview of a draft): its own products.
            return products.filter { $0.category?.id == category.id }
        }
        return positions.map { products[Int($0)] }
    }

    public func productCount(_ category: Category) -> Int {
        positionsByCategory[category.id]?.count ?? products(in: category).count
    }

    /// The specs a category's products (or, for nil, the catalog's) share, as filters.
    public func facets(in category: Category?) -> [SpecFacet] {
        guard let category else { return facetMemo.facets(Int.min) { SpecFacets.facets(of: products) } }
        return facetMemo.facets(category.id) { SpecFacets.facets(of: products(in: category)) }
    }

    /// What a search found, best first (`SearchIndex`).
    public struct Found: Sendable {
        public var products: [Product]
        public var matchedKeys: Set<String>
        /// The query as understood, when not as typed (the other keyboard layout).
        public var correctedQuery: String?
        /// Nothing had every word: these lack one.
        public var partial = false
    }

    /// Products for the query (word forms, any order, lookalike letters in codes, typos, the
    /// other keyboard layout), best first; all of `scope` (or the catalog) for an empty query.
    public func find(_ query: String, in scope: [Product]? = nil) -> Found {
        guard !SearchTerms.words(query).isEmpty else { return Found(products: scope ?? products, matchedKeys: [], correctedQuery: nil) }
        let allowed = scope.map { Set($0.compactMap { productsByID[$0.id].map(Int.init) }) }
        let result = searchIndex.search(query, allowed: allowed)
        return Found(
            products: result.positions.map { products[$0] }, matchedKeys: result.matchedKeys, correctedQuery: result.correctedQuery,
            partial: result.partial)
    }

    /// For a search field's as-you-type list: the best few products (no near matches) and the
    /// categories whose names have every word, the last as typed so far («ток» → «Токарные станки»).
    public func suggest(_ query: String, products limit: Int = 5, categories categoryLimit: Int = 3) -> (products: [Product], categories: [Category]) {
        let words = SearchTerms.words(query)
        guard !words.isEmpty else { return ([], []) }
        let found = find(query)
        let products = found.partial ? [] : Array(found.products.prefix(limit))
        let keys = words.map(SearchTerms.key)
        let matching = zip(categories, categoryTerms).filter { _, terms in
            keys.enumerated().allSatisfy { index, key in
                terms.keys.contains(key)
                    || (index == keys.count - 1 && zip(terms.words, terms.wordKeys).contains { $0.hasPrefix(words[index]) || $1.hasPrefix(key) })
            }
        }.map(\.0)
        return (products, Array(matching.prefix(categoryLimit)))
    }

    /// The products of `find`, best first.
    public func search(_ query: String, in scope: [Product]? = nil) -> [Product] {
        find(query, in: scope).products
    }

    /// Recently updated products first.
    public func newest(limit: Int) -> [Product] {
        Array(
            products.sorted { ($0.updatedAt ?? .distantPast, $0.id) > ($1.updatedAt ?? .distantPast, $1.id) }
                .prefix(limit))
    }
}

/// One page of a list.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var number: Int
    public var perPage: Int
    public var total: Int

    public var pageCount: Int { total == 0 ? 1 : (total - 1) / perPage + 1 }

    /// A page past the last one is empty. `number` and `perPage` come from visitors, so no
    /// arithmetic here may trap, whatever they are: the start is computed only for pages that
    /// exist, where it is below `all.count`.
    public init(all: [Item], number: Int, perPage: Int) {
        let perPage = max(1, perPage)
        self.perPage = perPage
        self.total = all.count
        self.number = max(1, number)
        let pageCount = all.isEmpty ? 0 : (all.count - 1) / perPage + 1
        guard self.number <= pageCount else {
            items = []
            return
        }
        let start = (self.number - 1) * perPage
        items = Array(all[start..<min(all.count, start + min(perPage, all.count - start))])
    }

    /// Whether this page exists: the first page always does (it may say «nothing found»).
    public var exists: Bool { number == 1 || !items.isEmpty }
}
