import Foundation
import SafeText

/// The one validation shared by the form, the JSON API and the ingest endpoint.
///
/// Messages are Russian and addressed to the visitor; keys are the field names.
public enum LeadValidator {
    public struct Failure: Error, Sendable, Equatable {
        public var errors: [String: String]
    }

    static let limits: [String: Int] = [
        "name": 100, "phone": 32, "email": 254, "company": 200, "comment": 2000, "utm": 200, "product_id": 20,
    ]

    /// A valid order: trimmed values, a normalized phone, a quantity.
    public static func validate(_ input: LeadInput) -> Result<ValidLead, Failure> {
        var errors: [String: String] = [:]
        func clean(_ value: String?, _ field: String, limit: Int, allowing allowance: ControlCharacters.Allowance = .singleLine) -> String? {
            guard let value else { return nil }
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { return nil }
            // `count` is in grapheme clusters, and one cluster can carry any number of
            // combining marks: the UTF-8 size is bounded too (4 bytes a character is
            // plenty for any real name or comment).
            if trimmed.count > limit || trimmed.utf8.count > limit * 4 { errors[field] = "Не больше \(limit) символов" }
            // Read on scalars: a line break inside a name would forge log lines and mail
            // headers, an ESC would reach the operator's terminal.
            if ControlCharacters.contains(in: trimmed, beyond: allowance) {
                errors[field] =
                    allowance == .multiline
                    ? "Уберите служебные символы: допустимы текст, переводы строк и табуляция"
                    : "Уберите служебные символы и переводы строк: здесь допустима одна строка текста"
            }
            return trimmed
        }

        let name = clean(input.name, "name", limit: limits["name"]!)
        if name == nil { errors["name"] = "Укажите, как к вам обращаться" }

        var phone: String?
        if let raw = clean(input.phone, "phone", limit: limits["phone"]!) {
            phone = PhoneNumber.normalize(raw)
            if phone == nil { errors["phone"] = "Проверьте номер телефона, например +7 900 123-45-67" }
        }
        var email: String?
        if let raw = clean(input.email, "email", limit: limits["email"]!) {
            email = EmailAddress.isValid(raw) ? raw : nil
            if email == nil { errors["email"] = "Проверьте адрес почты, например name@example.ru" }
        }
        if input.phone?.trimmingCharacters(in: .whitespaces).isEmpty ?? true,
            input.email?.trimmingCharacters(in: .whitespaces).isEmpty ?? true
        {
            errors["phone"] = "Укажите телефон или e-mail, чтобы мы могли ответить"
        }

        var quantity = 1
        if let raw = clean(input.quantity, "quantity", limit: 6) {
            if let number = Int(raw), (1...10_000).contains(number) {
                quantity = number
            } else {
                errors["quantity"] = "Количество — целое число от 1 до 10 000"
            }
        }

        var productID: Int?
        if let raw = clean(input.productID, "product_id", limit: limits["product_id"]!) {
            // Directus ids are 32-bit: a larger number names no product.
            if let id = Int(raw), (1...Int(Int32.max)).contains(id) { productID = id } else { errors["product_id"] = "Неизвестный товар" }
        }

        if !input.consent {
            errors["consent"] = "Нужно согласие на обработку персональных данных"
        }

        let company = clean(input.company, "company", limit: limits["company"]!)
        let comment = clean(input.comment, "comment", limit: limits["comment"]!, allowing: .multiline)
        // Labels come from the landing page's address (through a hidden field or the `utm`
        // cookie), which anyone can write and the visitor cannot see: a label that is too long
        // or holds control characters is dropped, never a reason to refuse the order.
        let utmLimit = limits["utm"]!
        let utm = UTM { key in
            guard let value = input.utm[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty,
                value.count <= utmLimit, value.utf8.count <= utmLimit * 4, !ControlCharacters.contains(in: value)
            else { return nil }
            return value
        }

        guard errors.isEmpty, let name else { return .failure(Failure(errors: errors)) }
        return .success(
            ValidLead(
                productID: productID, name: name, phone: phone, email: email, company: company, quantity: quantity,
                comment: comment, utm: utm))
    }
}

/// A validated order, not yet stored.
public struct ValidLead: Sendable, Equatable, Encodable {
    public var productID: Int?
    public var name: String
    public var phone: String?
    public var email: String?
    public var company: String?
    public var quantity: Int
    public var comment: String?
    public var utm: UTM

    public init(
        productID: Int? = nil, name: String, phone: String? = nil, email: String? = nil, company: String? = nil,
        quantity: Int = 1, comment: String? = nil, utm: UTM = UTM()
    ) {
        self.productID = productID
        self.name = name
        self.phone = phone
        self.email = email
        self.company = company
        self.quantity = quantity
        self.comment = comment
        self.utm = utm
    }

    enum CodingKeys: String, CodingKey {
        case productID = "product_id", name, phone, email, company, quantity, comment, utm
    }
}
