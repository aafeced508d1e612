/// An order as it arrives, before validation: the form fields and JSON keys of DESIGN §4.
public struct LeadInput: Sendable, Equatable {
    public var productID: String?
    public var name: String?
    public var phone: String?
    public var email: String?
    public var company: String?
    public var quantity: String?
    public var comment: String?
    public var consent: Bool
    public var utmSource: String?
    public var utmMedium: String?
    public var utmCampaign: String?
    public var utmTerm: String?
    public var utmContent: String?

    public init(
        productID: String? = nil, name: String? = nil, phone: String? = nil, email: String? = nil,
        company: String? = nil, quantity: String? = nil, comment: String? = nil, consent: Bool = false,
        utmSource: String? = nil, utmMedium: String? = nil, utmCampaign: String? = nil, utmTerm: String? = nil,
        utmContent: String? = nil
    ) {
        self.productID = productID
        self.name = name
        self.phone = phone
        self.email = email
        self.company = company
        self.quantity = quantity
        self.comment = comment
        self.consent = consent
        self.utmSource = utmSource
        self.utmMedium = utmMedium
        self.utmCampaign = utmCampaign
        self.utmTerm = utmTerm
        self.utmContent = utmContent
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

    public var isEmpty: Bool { [source, medium, campaign, term, content].allSatisfy { $0 == nil } }
}
