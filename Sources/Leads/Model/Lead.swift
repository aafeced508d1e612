import Foundation

/// What the lead says about the product at the moment of the order (prices change).
public struct ProductSnapshot: Sendable, Equatable, Codable {
    public var id: Int
    public var name: String
    public var sku: String?
    public var url: String
    /// `1 250 000 ₽` or `Цена по запросу`.
    public var priceText: String
    /// `1250000.00` when there is a price.
    public var amount: String?

    public init(id: Int, name: String, sku: String?, url: String, priceText: String, amount: String?) {
        self.id = id
        self.name = name
        self.sku = sku
        self.url = url
        self.priceText = priceText
        self.amount = amount
    }
}

/// The personal-data consent as 152-ФЗ expects it recorded: when, from where, which text.
public struct ConsentRecord: Sendable, Equatable {
    public var at: Date
    public var ip: String?
    public var userAgent: String?
    public var version: String

    public init(at: Date, ip: String?, userAgent: String?, version: String) {
        self.at = at
        self.ip = ip
        self.userAgent = userAgent
        self.version = version
    }
}

/// A validated order with everything that is stored with it.
public struct NewLead: Sendable, Equatable {
    /// Where it came from: `сайт`, `api`, or an ingest key's source name (`telegram`).
    public var source: String
    public var idempotencyKey: String?
    public var order: ValidLead
    public var product: ProductSnapshot?
    public var consent: ConsentRecord

    public init(source: String, idempotencyKey: String? = nil, order: ValidLead, product: ProductSnapshot?, consent: ConsentRecord) {
        self.source = source
        self.idempotencyKey = idempotencyKey
        self.order = order
        self.product = product
        self.consent = consent
    }
}

/// A stored lead.
public struct Lead: Sendable, Equatable, Identifiable {
    /// Unguessable public id (thanks page, API answers).
    public var id: String
    /// The human number: `Заявка №{number}`.
    public var number: Int
    public var source: String
    public var order: ValidLead
    public var product: ProductSnapshot?
    public var consent: ConsentRecord
    public var createdAt: Date
    /// When the customer's personal data was erased (`PersonalDataEraser`); nil while kept.
    public var erasedAt: Date? = nil

    /// `Заявка №12: Токарный станок CK6150` – the e-mail subject and the amoCRM lead name.
    public var title: String {
        "Заявка №\(number): \(product?.name ?? Lead.generalRequest)"
    }

    public static let generalRequest = "Общий запрос"
}

/// What an endpoint answers once a lead is stored.
public struct AcceptedLead: Sendable, Equatable {
    public var id: String
    public var number: Int
    /// True when an `Idempotency-Key` matched an earlier lead: nothing new was stored.
    public var duplicate: Bool
}
