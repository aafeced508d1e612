import Foundation

/// How a visitor narrows and orders a list of products: in stock only, a price range, the specs
/// the list's products share, an order. Read from a URL's query
/// (`stock=1&price_from=500000&spec.moshchnost-kvt.from=5&spec.sistema-chpu=Fanuc&sort=price`),
/// written back in one fixed order, so that a filtered list has one address (and one cache key).
public struct ProductFilter: Sendable, Equatable {
    public enum Sort: String, CaseIterable, Sendable {
        case price
        case priceDescending = "-price"
        case name
        case newest = "new"

        /// As the sort control names it.
        public var label: String {
            switch self {
            case .price: "Сначала дешевле"
            case .priceDescending: "Сначала дороже"
            case .name: "По названию"
            case .newest: "Сначала новые"
            }
        }
    }

    /// A condition on one shared spec (`SpecFacet`): any of the chosen texts, or a number range.
    public struct SpecCondition: Sendable, Equatable {
        /// The facet's key.
        public var key: String
        /// Chosen values, sorted, each once; a product with any of them passes.
        public var values: [String]
        public var from: Decimal?
        public var to: Decimal?

        public init(key: String, values: [String] = [], from: Decimal? = nil, to: Decimal? = nil) {
            self.key = key
            self.values = Array(Set(values)).sorted()
            self.from = from
            self.to = to
        }
    }

    public var inStock = false
    /// Whole roubles, inclusive.
    public var priceFrom: Int?
    public var priceTo: Int?
    /// Sorted by key, one per key.
    public var specs: [SpecCondition] = []
    /// nil: the catalog's own order (or, for a search, relevance).
    public var sort: Sort?

    /// The largest price a visitor may type (a trillion roubles); a larger one is no filter.
    public static let priceLimit = 1_000_000_000_000
    /// Spec conditions in one address: more is no list anyone needs (and no page).
    public static let specKeyLimit = 8
    public static let specValueLimit = 24
    static let specPrefix = "spec."

    public init(inStock: Bool = false, priceFrom: Int? = nil, priceTo: Int? = nil, specs: [SpecCondition] = [], sort: Sort? = nil) {
        self.inStock = inStock
        self.priceFrom = priceFrom
        self.priceTo = priceTo
        self.specs = specs.sorted { $0.key < $1.key }
        self.sort = sort
    }

    /// The filter in a query; nil when a value is not one (a page answers 404, the API 400).
    public init?(query fields: [String: String]) {
        self.init(query: fields.map { (name: $0.key, value: $0.value) })
    }

    /// The filter in a query's fields in their order (a spec choice may repeat: `spec.x=A&spec.x=B`);
    /// of other repeated names the last wins. Nil when a value is not one.
    public init?(query pairs: [(name: String, value: String)]) {
        var fields: [String: String] = [:]
        var specs: [String: SpecCondition] = [:]
        var valueCount = 0
        for (name, raw) in pairs {
            guard name.hasPrefix(Self.specPrefix) else {
                fields[name] = raw
                continue
            }
            let value = SpecsNormalizer.clean(raw)
            guard !value.isEmpty else { continue }
            var key = String(name.dropFirst(Self.specPrefix.count))
            // One suffix at most: `spec.k.to.from` names the key `k.to`, which is none.
            let bound = [".from", ".to"].first(where: key.hasSuffix)
            if let bound { key = String(key.dropLast(bound.count)) }
            guard (1...48).contains(key.count), key.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else { return nil }
            var condition = specs[key] ?? SpecCondition(key: key)
            switch bound {
            case ".from"?, ".to"?:
                guard let number = SpecFacets.number(value) else { return nil }
                if bound == ".from" { condition.from = number } else { condition.to = number }
            default:
                guard value.count <= 100 else { return nil }
                valueCount += 1
                condition = SpecCondition(key: key, values: condition.values + [value], from: condition.from, to: condition.to)
            }
            specs[key] = condition
            guard specs.count <= Self.specKeyLimit, valueCount <= Self.specValueLimit else { return nil }
        }
        func value(_ name: String) -> String? { fields[name].flatMap { $0.isEmpty ? nil : $0 } }
        func price(_ name: String) -> Int?? {
            guard let raw = value(name) else { return .some(nil) }
            let digits = raw.filter { !$0.isWhitespace }
            guard (1...13).contains(digits.count), digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
                let number = Int(digits), number <= Self.priceLimit
            else { return nil }
            return .some(number)
        }
        switch value("stock") {
        case nil: inStock = false
        case "1": inStock = true
        default: return nil
        }
        guard let from = price("price_from"), let to = price("price_to") else { return nil }
        priceFrom = from
        priceTo = to
        self.specs = specs.values.sorted { $0.key < $1.key }
        if let raw = value("sort") {
            guard let sort = Sort(rawValue: raw) else { return nil }
            self.sort = sort
        }
    }

    public var isEmpty: Bool { self == ProductFilter() }

    /// A query field this filter reads.
    public static func isParameter(_ name: String) -> Bool {
        ["stock", "price_from", "price_to", "sort"].contains(name) || name.hasPrefix(specPrefix)
    }

    /// A typed number narrows the list (a price or a spec range): any number is a valid address,
    /// so such lists are kept apart from the site's pages (`PageController`).
    public var hasBounds: Bool { priceFrom != nil || priceTo != nil || specs.contains { $0.from != nil || $0.to != nil } }

    /// A list of the long tail: narrowed by a typed number, or by spec choices (their
    /// combinations with stock and order run into the thousands per list, each a valid
    /// address a crawler can walk). Such lists are kept on the page cache's small shelf, so
    /// they cannot push the site's pages out; stock and order alone stay with the pages.
    public var isLongTail: Bool { hasBounds || specs.contains { !$0.values.isEmpty } }

    /// Narrowing conditions set (the order is not one): more than one and a page is `noindex`.
    public var conditionCount: Int { (inStock ? 1 : 0) + (priceFrom != nil || priceTo != nil ? 1 : 0) + specs.count }

    /// `stock=1&price_from=…&price_to=…&spec.…&sort=…`, in this order, only what is set; specs by
    /// key, each with its choices in order, then its bounds.
    public var queryItems: [(name: String, value: String)] {
        var items: [(String, String)] = []
        if inStock { items.append(("stock", "1")) }
        if let priceFrom { items.append(("price_from", String(priceFrom))) }
        if let priceTo { items.append(("price_to", String(priceTo))) }
        for spec in specs {
            let name = Self.specPrefix + spec.key
            items += spec.values.map { (name, $0) }
            if let from = spec.from { items.append((name + ".from", SpecFacets.urlText(from))) }
            if let to = spec.to { items.append((name + ".to", SpecFacets.urlText(to))) }
        }
        if let sort { items.append(("sort", sort.rawValue)) }
        return items
    }

    /// In stock: the availability says «в наличии».
    public static func isInStock(_ product: Product) -> Bool {
        product.availability.lowercased().hasPrefix("в наличии")
    }

    /// The products that pass, in the order asked for (a stable sort: ties keep the list's order).
    /// `facets` are the list's (`CatalogIndex.facets(in:)`): nil when a spec condition is not
    /// one of them – a key the list has no filter for, a choice it does not offer, a range on
    /// text or choices on a number (no such page).
    public func apply(_ products: [Product], facets: [SpecFacet] = []) -> [Product]? {
        var result = products
        if inStock { result = result.filter(Self.isInStock) }
        for condition in specs {
            guard let facet = facets.first(where: { $0.key == condition.key }) else { return nil }
            let test: (Spec) -> Bool
            switch facet.kind {
            case .range:
                guard condition.values.isEmpty, condition.from != nil || condition.to != nil else { return nil }
                test = { spec in
                    guard let number = SpecFacets.number(spec.value) else { return false }
                    return (condition.from.map { number >= $0 } ?? true) && (condition.to.map { number <= $0 } ?? true)
                }
            case .choices(let choices):
                let offered = Set(choices.map(\.value))
                guard condition.from == nil, condition.to == nil, condition.values.allSatisfy(offered.contains) else { return nil }
                let chosen = Set(condition.values)
                test = { chosen.contains($0.valueWithUnit) }
            }
            result = result.filter { product in
                product.specs.first { facet.names.contains($0.name) && $0.value != SpecsNormalizer.emptyValue }.map(test) ?? false
            }
        }
        if priceFrom != nil || priceTo != nil {
            let low = priceFrom.map { Decimal($0) }
            let high = priceTo.map { Decimal($0) }
            result = result.filter { product in
                guard let amount = product.price.amount else { return false }
                return (low.map { amount >= $0 } ?? true) && (high.map { amount <= $0 } ?? true)
            }
        }
        guard let sort else { return result }
        let indexed = Array(result.enumerated())
        func byPrice(_ ascending: Bool) -> [Product] {
            // Prices on request last, whichever the direction.
            indexed.sorted { a, b in
                switch (a.element.price.amount, b.element.price.amount) {
                case let (x?, y?): x == y ? a.offset < b.offset : (ascending ? x < y : x > y)
                case (_?, nil): true
                case (nil, _?): false
                case (nil, nil): a.offset < b.offset
                }
            }.map(\.element)
        }
        switch sort {
        case .price: return byPrice(true)
        case .priceDescending: return byPrice(false)
        case .name:
            return indexed.sorted { a, b in
                let order = a.element.name.compare(b.element.name, options: [.caseInsensitive], locale: Locale(identifier: "ru_RU"))
                return order == .orderedSame ? a.offset < b.offset : order == .orderedAscending
            }.map(\.element)
        case .newest:
            return indexed.sorted { a, b in
                let x = a.element.updatedAt ?? .distantPast
                let y = b.element.updatedAt ?? .distantPast
                return x == y ? a.offset < b.offset : x > y
            }.map(\.element)
        }
    }
}
