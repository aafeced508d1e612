/// An order as it arrives, before validation: the form fields and JSON keys other systems send
/// (`product_id`, `name`, `phone`, `email`, `company`, `quantity`, `comment`, `consent`, `utm_*`).
public struct LeadInput: Sendable, Equatable {
    public var productID: String?
    public var name: String?
    public var phone: String?
    public var email: String?
    public var company: String?
    public var quantity: String?
    public var comment: String?
    public var consent: Bool
    /// As received: untrimmed, unbounded.
    public var utm: UTM

    public init(
        productID: String? = nil, name: String? = nil, phone: String? = nil, email: String? = nil,
        company: String? = nil, quantity: String? = nil, comment: String? = nil, consent: Bool = false, utm: UTM = UTM()
    ) {
        self.productID = productID
        self.name = name
        self.phone = phone
        self.email = email
        self.company = company
        self.quantity = quantity
        self.comment = comment
        self.consent = consent
        self.utm = utm
    }
}

/// UTM labels of the landing page.
public struct UTM: Sendable, Equatable, Codable {
    public var source: String?
    public var medium: String?
    public var campaign: String?
    public var term: String?
    public var content: String?

    public init(source: String? = nil, medium: String? = nil, campaign: String? = nil, term: String? = nil, content: String? = nil) {
        self.source = source
        self.medium = medium
        self.campaign = campaign
        self.term = term
        self.content = content
    }

    /// The form fields, JSON keys, cookie entries and columns that carry the labels, in order.
    public static let keys = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"]

    /// Each label looked up by its key (`utm_source`, …).
    public init(_ value: (String) throws -> String?) rethrows {
        self.init(
            source: try value("utm_source"), medium: try value("utm_medium"), campaign: try value("utm_campaign"),
            term: try value("utm_term"), content: try value("utm_content"))
    }

    /// The labels by key, in the order of `keys`.
    public var byKey: [(key: String, value: String?)] {
        zip(Self.keys, [source, medium, campaign, term, content]).map { ($0, $1) }
    }

    /// One label by its key (`utm_source`, …).
    public subscript(key: String) -> String? {
        byKey.first { $0.key == key }?.value ?? nil
    }

    public var isEmpty: Bool { [source, medium, campaign, term, content].allSatisfy { $0 == nil } }
}
