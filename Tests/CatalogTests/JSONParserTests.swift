import Foundation
import Testing

@testable import Catalog

@Suite("JSON parser")
struct JSONParserTests {
    @Test("object keys keep document order")
    func order() throws {
        let value = try JSONParser.parse(#"{"z":1,"a":2,"я":3,"б":4}"#)
        guard case .object(let pairs) = value else { Issue.record("not an object"); return }
        #expect(pairs.map(\.key) == ["z", "a", "я", "б"])
    }

    @Test("strings with escapes and surrogate pairs")
    func strings() throws {
        #expect(try JSONParser.parse(#""a\"b\\c\/d\n\u0416\ud83d\ude00""#) == .string("a\"b\\c/d\nЖ😀"))
    }

    @Test("decimals are exact")
    func decimals() throws {
        #expect(try JSONParser.parse("1250000.10") == .number(Decimal(string: "1250000.10")!))
        #expect(try JSONParser.parse("-0.5e2") == .number(-50))
    }

    @Test("invalid documents are rejected", arguments: ["", "{", "[1,]", "{\"a\" 1}", "tru", "01", "\"\u{01}\"", "1 2", "<html>", "{'a':1}"])
    func invalid(text: String) {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(text) }
    }

    @Test("serialization round-trips")
    func roundTrip() throws {
        let text = #"{"b":[1,2.5,"x\n",null,true],"a":{"c":"ё\"q"}}"#
        #expect(try JSONParser.parse(text).serialized == text)
    }
}
