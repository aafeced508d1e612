import Basics
import Foundation
import Leads
import Storage

/// A sold unit's digital passport: what was sold, to whom, when, and until when
/// it is under warranty. Its own copy of everything: the catalog and the lead may change or be
/// erased later, the record of the sale stays.
public struct Passport: Sendable, Equatable {
    /// Unguessable: the public page's address (`/passport/{code}`).
    public var code: String
    /// The won deal in amoCRM.
    public var amoLeadID: Int
    /// Our lead, when the deal came from the site or the ingest API.
    public var leadNumber: Int?
    public var product: Product
    /// The product's specifications at the time of the sale, units included.
    public var specs: [Spec]
    /// The buyer's company, or the buyer's name without one. No phone, no e-mail.
    public var buyer: String
    public var serial: String?
    public var soldAt: Date
    public var warrantyMonths: Int
    public var warrantyUntil: Date
    public var issuedAt: Date
    public var revokedAt: Date?
    public var noteAddedAt: Date?
    public var mailedAt: Date?

    public struct Product: Sendable, Equatable {
        /// The catalog product, when one was found.
        public var id: Int?
        public var name: String
        public var sku: String?
        /// The product page, as an absolute address.
        public var url: String?

        public init(id: Int?, name: String, sku: String?, url: String?) {
            self.id = id
            self.name = name
            self.sku = sku
            self.url = url
        }
    }

    public struct Spec: Sendable, Equatable, Codable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(
        code: String, amoLeadID: Int, leadNumber: Int?, product: Product, specs: [Spec], buyer: String, serial: String?, soldAt: Date,
        warrantyMonths: Int, warrantyUntil: Date, issuedAt: Date, revokedAt: Date? = nil, noteAddedAt: Date? = nil, mailedAt: Date? = nil
    ) {
        self.code = code
        self.amoLeadID = amoLeadID
        self.leadNumber = leadNumber
        self.product = product
        self.specs = specs
        self.buyer = buyer
        self.serial = serial
        self.soldAt = soldAt
        self.warrantyMonths = warrantyMonths
        self.warrantyUntil = warrantyUntil
        self.issuedAt = issuedAt
        self.revokedAt = revokedAt
        self.noteAddedAt = noteAddedAt
        self.mailedAt = mailedAt
    }

    /// A new code: 96 random bits as 24 hex characters (short enough for a small QR code).
    public static func makeCode() -> String { RandomHex.make(bytes: 12) }

    /// Whether `text` can be a code at all (checked before any database lookup).
    public static func isWellFormed(_ text: some StringProtocol) -> Bool {
        text.utf8.count == 24 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// `18 мес., до 30.05.2028`, or `без гарантии`.
    public var warrantyText: String {
        warrantyMonths == 0 ? "без гарантии" : "\(warrantyMonths) мес., до \(MoscowTime.formatDate(warrantyUntil))"
    }

    /// The warranty's end: `months` calendar months after the sale, in Moscow time.
    public static func warrantyEnd(soldAt: Date, months: Int) -> Date {
        MoscowTime.calendar.date(byAdding: .month, value: months, to: soldAt) ?? soldAt
    }
}
