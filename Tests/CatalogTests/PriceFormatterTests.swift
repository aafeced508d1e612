import Foundation
import Testing

@testable import Catalog

@Suite("Price normalization")
struct PriceFormatterTests {
    static let nbsp = "\u{00A0}"

    @Test(
        "real prices are grouped with no-break spaces, kopecks only when not zero",
        arguments: [
            (JSONValue.string("1250000.00"), "RUB", "1 250 000 ₽", "1250000.00"),
            (.number(985000), "RUB", "985 000 ₽", "985000.00"),
            (.string("1890.50"), "RUB", "1 890,50 ₽", "1890.50"),
            (.string("1890.5"), nil, "1 890,50 ₽", "1890.50"),
            (.number(Decimal(string: "999.99")!), "RUB", "999,99 ₽", "999.99"),
            (.string("48500.00"), "EUR", "48 500 €", "48500.00"),
            (.string("2150"), "usd", "2 150 $", "2150.00"),
            (.string("100000"), "CNY", "100 000 CNY", "100000.00"),
            (.string(" 1 250 000,50 "), "RUB", "1 250 000,50 ₽", "1250000.50"),
            (.string("0.01"), "RUB", "0,01 ₽", "0.01"),
        ] as [(JSONValue, String?, String, String)])
    func formatsPrices(raw: JSONValue, currency: String?, text: String, amount: String) {
        let price = PriceFormatter.price(raw: raw, currency: currency)
        #expect(price.text == text.replacingOccurrences(of: " ", with: Self.nbsp))
        #expect(price.amountText == amount)
        #expect(!price.onRequest)
    }

    @Test(
        "missing, zero, negative or unparsable prices are «Цена по запросу»",
        arguments: [
            nil, JSONValue.null, .string(""), .string("   "), .string("0.00"), .number(0), .string("-1"),
            .number(-5), .string("по запросу"), .string("NaN"), .string("1.2.3"), .bool(true), .array([]),
            .object([]), .string("1e5"),
        ] as [JSONValue?])
    func onRequest(raw: JSONValue?) {
        let price = PriceFormatter.price(raw: raw, currency: "RUB")
        #expect(price.onRequest)
        #expect(price.text == "Цена по запросу")
        #expect(price.amountText == nil)
    }

    @Test("a missing currency is roubles")
    func defaultCurrency() {
        #expect(PriceFormatter.price(raw: .string("10"), currency: nil).currency == "RUB")
        #expect(PriceFormatter.price(raw: .string("10"), currency: "").text.hasSuffix("₽"))
    }
}
