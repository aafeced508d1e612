import Leads
import Testing

@Suite("Order validation")
struct LeadValidatorTests {
    func errors(_ input: LeadInput) -> [String: String] {
        if case .failure(let failure) = LeadValidator.validate(input) { return failure.errors }
        return [:]
    }

    @Test("name, consent and a phone or an e-mail are required, with Russian messages")
    func required() {
        let result = errors(LeadInput())
        #expect(result["name"] == "Укажите, как к вам обращаться")
        #expect(result["phone"] == "Укажите телефон или e-mail, чтобы мы могли ответить")
        #expect(result["consent"] == "Нужно согласие на обработку персональных данных")
    }

    @Test("an e-mail alone is enough; a phone alone is enough")
    func contact() {
        #expect(errors(LeadInput(name: "Анна", email: "anna@example.ru", consent: true)).isEmpty)
        #expect(errors(LeadInput(name: "Анна", phone: "8 (900) 123-45-67", consent: true)).isEmpty)
    }

    @Test("Russian phones are normalized to +7XXXXXXXXXX", arguments: [
        ("8 (900) 123-45-67", "+79001234567"), ("+7 900 123 45 67", "+79001234567"), ("79001234567", "+79001234567"),
        ("9001234567", "+79001234567"), ("+7(495)123-45-67", "+74951234567"), ("8-495-123-45-67", "+74951234567"),
        ("+375 29 123-45-67", "+375291234567"),
    ])
    func phones(raw: String, normalized: String) {
        #expect(PhoneNumber.normalize(raw) == normalized)
    }

    @Test("bad phones and e-mails are refused", arguments: ["12345", "+7 900 123", "телефон", "8900123456789012", "+0123456789"])
    func badPhones(raw: String) {
        #expect(PhoneNumber.normalize(raw) == nil)
        #expect(errors(LeadInput(name: "А", phone: raw, consent: true))["phone"] != nil)
    }

    @Test("bad e-mails are refused", arguments: ["ivan", "ivan@", "@example.ru", "ivan@example", "iv an@example.ru", "a@b@c.ru", "ivan@.ru"])
    func badEmails(raw: String) {
        #expect(errors(LeadInput(name: "А", email: raw, consent: true))["email"] != nil)
    }

    @Test("quantity defaults to 1 and must be a whole number from 1")
    func quantity() throws {
        let valid = try LeadValidator.validate(LeadInput(name: "А", email: "a@b.ru", consent: true)).get()
        #expect(valid.quantity == 1)
        for bad in ["0", "-1", "1.5", "много", "100001"] {
            #expect(errors(LeadInput(name: "А", email: "a@b.ru", quantity: bad, consent: true))["quantity"] != nil, "\(bad)")
        }
        #expect(try LeadValidator.validate(LeadInput(name: "А", email: "a@b.ru", quantity: " 3 ", consent: true)).get().quantity == 3)
    }

    @Test("field lengths are bounded")
    func lengths() {
        let result = errors(LeadInput(name: String(repeating: "я", count: 101), email: "a@b.ru", comment: String(repeating: "x", count: 2001), consent: true))
        #expect(result["name"] == "Не больше 100 символов")
        #expect(result["comment"] == "Не больше 2000 символов")
    }

    @Test("values are trimmed; empty optional fields are nil")
    func trimming() throws {
        let valid = try LeadValidator.validate(
            LeadInput(productID: " 7 ", name: "  Анна  ", phone: "  ", email: " anna@example.ru ", company: "", consent: true, utm: UTM(source: " ya "))
        ).get()
        #expect(valid.name == "Анна")
        #expect(valid.phone == nil)
        #expect(valid.email == "anna@example.ru")
        #expect(valid.company == nil)
        #expect(valid.productID == 7)
        #expect(valid.utm.source == "ya")
    }
}
