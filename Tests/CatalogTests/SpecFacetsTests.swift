import Catalog
import Foundation
import Testing

/// Which specs of a list become filters, and how their values read as numbers and keys.
@Suite("Spec facets")
struct SpecFacetsTests {
    /// A product whose specs are `name: value unit` rows.
    static func product(_ id: Int, _ rows: [(String, String, String?)], availability: String = "В наличии") -> Product {
        let specs = JSONValue.array(rows.map { name, value, unit in
            .object([("name", .string(name)), ("value", .string(value)), ("unit", unit.map(JSONValue.string) ?? .null)])
        })
        return CatalogNormalizer.product(ProductRecord(id: id, name: "Станок \(id)", slug: "p\(id)", specs: specs, availability: availability), categories: [:])
    }

    @Test("a spec at least half the list has becomes a filter: one-unit numbers a range, a few texts choices; the rest none")
    func whichSpecsBecomeFilters() throws {
        let products = [
            Self.product(1, [("Мощность", "7,5", "кВт"), ("Система ЧПУ", "Fanuc", nil), ("Масса", "2 900", "кг"), ("Паспорт", "есть", nil)]),
            Self.product(2, [("мощность", "11", "кВт"), ("Система ЧПУ", "Siemens", nil), ("Масса", "3", "т")]),
            Self.product(3, [("Мощность", "15", "кВт"), ("Система ЧПУ", "Fanuc", nil), ("Вес", "1", "т")]),
            Self.product(4, [("Мощность", "—", nil), ("Наклон станины", "45", "°")]),
        ]
        let facets = SpecFacets.facets(of: products)
        // «Масса» is on half of them, in two units: no range, so its two values are choices.
        #expect(facets.map(\.key) == ["moshchnost", "sistema-chpu", "massa"])
        let power = try #require(facets.first)
        // Both spellings are one filter; the empty value («—») is no value.
        #expect(power.name == "Мощность" && power.names == ["Мощность", "мощность"] && power.count == 3)
        #expect(power.kind == .range(min: Decimal(string: "7.5")!, max: 15, unit: "кВт"))
        #expect(facets[1].kind == .choices([.init(value: "Fanuc", count: 2), .init(value: "Siemens", count: 1)]))
        #expect(facets[2].kind == .choices([.init(value: "2 900 кг", count: 1), .init(value: "3 т", count: 1)]))

        // One value for all is no filter; nor are many long texts; nor a list of one product.
        #expect(SpecFacets.facets(of: [Self.product(1, [("Усилие", "630", "кН")]), Self.product(2, [("Усилие", "630", "кН")])]).isEmpty)
        let notes = (1...13).map { Self.product($0, [("Примечание", "вариант \($0)", nil)]) }
        #expect(SpecFacets.facets(of: notes).isEmpty)
        let long = String(repeating: "очень длинное значение ", count: 3)
        #expect(SpecFacets.facets(of: [Self.product(1, [("Примечание", "коротко", nil)]), Self.product(2, [("Примечание", long, nil)])]).isEmpty)
        #expect(SpecFacets.facets(of: [Self.product(1, [("Примечание", "коротко", nil)]), Self.product(2, [("Примечание", "иначе", nil)])]).count == 1)
        #expect(SpecFacets.facets(of: [products[0]]).isEmpty)
        // At most `limit`, the most common first: «Параметр 9» is on every product, the others on two of three.
        let wide = (1...3).map { id in
            Self.product(id, (1...9).compactMap { $0 == 9 || id != 3 ? ("Параметр \($0)", "\(id * $0)", "мм") : nil })
        }
        #expect(SpecFacets.facets(of: wide).map(\.key) == ["parametr-9"] + (1...5).map { "parametr-\($0)" })
    }

    @Test("numbers: a decimal comma or point and grouping spaces; ranges, codes, signs and exponents are text")
    func numbers() {
        #expect(SpecFacets.number("7,5") == Decimal(string: "7.5"))
        #expect(SpecFacets.number("1 250") == 1250)
        #expect(SpecFacets.number("1\u{00A0}250.25") == Decimal(string: "1250.25"))
        #expect(SpecFacets.number("12 345 678") == 12_345_678)
        for text in ["45–1800", "BT40", "-5", "1e6", ",5", "5,", "1,2,3", "", "1234567890123", "1.1234567", "٣", "5 6", "1234 567", "1 2345", "5\u{301}"] {
            #expect(SpecFacets.number(text) == nil, "\(text)")
        }
        #expect(SpecFacets.urlText(Decimal(string: "7.50")!) == "7.5")
        #expect(SpecFacets.displayText(Decimal(string: "7.5")!) == "7,5")
    }

    @Test("keys: Latin letters, words joined by dashes, the same for spellings that differ in case and punctuation")
    func keys() {
        #expect(SpecFacets.key("Мощность, кВт") == "moshchnost-kvt")
        #expect(SpecFacets.key("  МОЩНОСТЬ — кВт. ") == "moshchnost-kvt")
        #expect(SpecFacets.key("Сечение реза 90°, круг") == "sechenie-reza-90-krug")
        #expect(SpecFacets.key("Шпиндель: ISO 40") == "shpindel-iso-40")
        #expect(SpecFacets.key("Ø") == "spec-d8" && SpecFacets.key("№") == "spec-2116")
        #expect(SpecFacets.key(String(repeating: "Щ", count: 30)).count <= 48)
    }

    @Test("a filter on specs: choices any-of, ranges inclusive, conditions all-of; a condition the list has no filter for is no list")
    func applying() throws {
        let products = [
            Self.product(1, [("Мощность", "7,5", "кВт"), ("Система ЧПУ", "Fanuc", nil)]),
            Self.product(2, [("мощность", "11", "кВт"), ("Система ЧПУ", "Siemens", nil)]),
            Self.product(3, [("Мощность", "15", "кВт"), ("Система ЧПУ", "Fanuc", nil)]),
            Self.product(4, [("Система ЧПУ", "GSK", nil)]),
        ]
        let facets = SpecFacets.facets(of: products)
        func ids(_ query: [(name: String, value: String)]) -> [Int]? {
            ProductFilter(query: query)?.apply(products, facets: facets)?.map(\.id)
        }
        #expect(ids([("spec.moshchnost.from", "7.5"), ("spec.moshchnost.to", "11")]) == [1, 2])
        #expect(ids([("spec.sistema-chpu", "Fanuc"), ("spec.sistema-chpu", "GSK")]) == [1, 3, 4])
        #expect(ids([("spec.sistema-chpu", "Fanuc"), ("spec.moshchnost.from", "10")]) == [3])
        // Not a filter of this list, a choice it does not offer, the wrong kind: nil (404 / 400).
        #expect(ids([("spec.massa.from", "1")]) == nil)
        #expect(ids([("spec.sistema-chpu", "Heidenhain")]) == nil)
        #expect(ids([("spec.sistema-chpu.from", "1")]) == nil)
        #expect(ids([("spec.moshchnost", "11")]) == nil)
        // Not a filter at all: a key in capitals, a bound that is no number, too many keys.
        #expect(ProductFilter(query: [("spec.Moshchnost", "1")]) == nil)
        #expect(ProductFilter(query: [("spec.moshchnost.from", "пять")]) == nil)
        #expect(ProductFilter(query: [("spec.moshchnost.to.from", "5")]) == nil)
        #expect(ProductFilter(query: (1...9).map { ("spec.k\($0)", "v") }) == nil)
        #expect(ProductFilter(query: (1...25).map { _ in ("spec.k", "v") }) == nil)
        // One address: keys in order, choices sorted, bounds as numbers, empty fields left out.
        let filter = try #require(
            ProductFilter(query: [
                ("spec.sistema-chpu", "Siemens"), ("spec.moshchnost.to", "11,0"), ("spec.sistema-chpu", "Fanuc"), ("spec.massa.from", ""),
                ("stock", "1"),
            ]))
        #expect(filter.queryItems.map { "\($0.name)=\($0.value)" }
            == ["stock=1", "spec.moshchnost.to=11", "spec.sistema-chpu=Fanuc", "spec.sistema-chpu=Siemens"])
        #expect(filter.conditionCount == 3)
    }
}
