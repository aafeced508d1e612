import Foundation

/// How a visitor narrows and orders a list of products: in stock only, a price range, an order.
/// Read from a URL's query (`stock=1&price_from=500000&price_to=2000000&sort=price`), written back
/// in one fixed order, so that a filtered list has one address (and one cache key).
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

    public var inStock = false
    /// Whole roubles, inclusive.
    public var priceFrom: Int?
    public var priceTo: Int?
    /// nil: the catalog's own order (or, for a search, relevance).
    public var sort: Sort?

    /// The largest price a visitor may type (a trillion roubles); a larger one is no filter.
    public static let priceLimit = 1_000_000_000_000

    public init(inStock: Bool = false, priceFrom: Int? = nil, priceTo: Int? = nil, sort: Sort? = nil) {
        self.inStock = inStock
        self.priceFrom = priceFrom
        self.priceTo = priceTo
        self.sort = sort
    }

    /// The filter in a query; nil when a value is not one (a page answers 404, the API 400).
    public init?(query fields: [String: String]) {
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
        if let raw = value("sort") {
            guard let sort = Sort(rawValue: raw) else { return nil }
            self.sort = sort
        }
    }

    public var isEmpty: Bool { self == ProductFilter() }

    /// Narrowing conditions set (the order is not one): more than one and a page is `noindex`.
    public var conditionCount: Int { (inStock ? 1 : 0) + (priceFrom != nil || priceTo != nil ? 1 : 0) }

    /// `stock=1&price_from=…&price_to=…&sort=…`, in this order, only what is set.
    public var queryItems: [(name: String, value: String)] {
        var items: [(String, String)] = []
        if inStock { items.append(("stock", "1")) }
        if let priceFrom { items.append(("price_from", String(priceFrom))) }
        if let priceTo { items.append(("price_to", String(priceTo))) }
        if let sort { items.append(("sort", sort.rawValue)) }
        return items
    }

    /// In stock: the availability says «в наличии».
    public static func isInStock(_ product: Product) -> Bool {
        product.availability.lowercased().hasPrefix("в наличии")
    }

    /// The products that pass, in the order asked for (a stable sort: ties keep the list's order).
    public func apply(_ products: [Product]) -> [Product] {
        var result = products
        if inStock { result = result.filter(Self.isInStock) }
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
