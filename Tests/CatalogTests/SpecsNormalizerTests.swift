import Testing

@testable import Catalog

@Suite("Specs normalization")
struct SpecsNormalizerTests {
    @Test("a list of {name, value, unit} keeps its order")
    func list() throws {
        let specs = SpecsNormalizer.specs(
            try JSONParser.parse(#"[{"name":"Диаметр","value":"500","unit":"мм"},{"name":"ЧПУ","value":"Fanuc","unit":null}]"#))
        #expect(specs == [Spec(name: "Диаметр", value: "500", unit: "мм"), Spec(name: "ЧПУ", value: "Fanuc", unit: nil)])
    }

    @Test("an object {name: value} keeps the editor's order")
    func object() throws {
        let specs = SpecsNormalizer.specs(
            try JSONParser.parse(#"{"Размер стола, мм": "1250×320", "Мощность, кВт": 7.5, "Масса, кг": "2900", "Б": "1", "А": "2"}"#))
        #expect(specs.map(\.name) == ["Размер стола, мм", "Мощность, кВт", "Масса, кг", "Б", "А"])
        #expect(specs[1].value == "7,5")
    }

    @Test("a string holding JSON is parsed")
    func jsonString() {
        let specs = SpecsNormalizer.specs(.string(#"[{"name":"РМЦ","value":"1000","unit":"мм"}]"#))
        #expect(specs == [Spec(name: "РМЦ", value: "1000", unit: "мм")])
    }

    @Test("plain text lines `Name: value` are parsed; lines without a separator are dropped")
    func plainText() {
        let specs = SpecsNormalizer.specs(.string("Размер стола: 1120×280 мм\r\nКонус шпинделя:ISO 40\nПримечание\nВремя: 10:30"))
        #expect(
            specs == [
                Spec(name: "Размер стола", value: "1120×280 мм", unit: nil),
                Spec(name: "Конус шпинделя", value: "ISO 40", unit: nil),
                Spec(name: "Время", value: "10:30", unit: nil),
            ])
    }

    @Test("nameless rows are dropped and empty values print as a dash", arguments: [
        #"[{"name":"","value":"x"},{"name":"  ","value":"y"},{"value":"z"},{"name":"Охлаждение","value":"","unit":"л"},{"name":"Вес","value":null}]"#
    ])
    func emptyParts(json: String) throws {
        let specs = SpecsNormalizer.specs(try JSONParser.parse(json))
        #expect(specs == [Spec(name: "Охлаждение", value: "—", unit: nil), Spec(name: "Вес", value: "—", unit: nil)])
    }

    @Test("no specs at all gives an empty list", arguments: [nil, JSONValue.null, .array([]), .object([]), .string(""), .number(5)] as [JSONValue?])
    func none(raw: JSONValue?) {
        #expect(SpecsNormalizer.specs(raw).isEmpty)
    }

    @Test("white space is folded, numbers and booleans are printed")
    func values() throws {
        let specs = SpecsNormalizer.specs(try JSONParser.parse(#"[{"name":"  Ход\n ползуна ","value":400,"unit":" мм "},{"name":"Люнет","value":true}]"#))
        #expect(specs == [Spec(name: "Ход ползуна", value: "400", unit: "мм"), Spec(name: "Люнет", value: "да", unit: nil)])
    }
}
