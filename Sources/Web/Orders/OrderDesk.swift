import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import Leads
import Logging
import Synchronization

/// Who sent an order, as the consent record and the rate limiter need it.
struct ClientInfo: Sendable {
    var ip: String
    var userAgent: String?

    init(_ request: Request, context: AppRequestContext, trusted: [CIDR]) {
        ip = ClientAddress.resolve(
            peer: context.peerAddress, forwardedFor: request.headers[HTTPField.Name("X-Forwarded-For")!], trusted: trusted)
        userAgent = request.headers[.userAgent]
    }
}

/// What the three order endpoints share: validation, the product snapshot, the durable
/// store, and waking the delivery workers.
final class OrderDesk: Sendable {
    /// The version of the personal-data consent text (templates/privacy.mustache).
    static let consentVersion = "2026-11-25"

    let store: LeadStore
    let catalog: Catalog
    let baseURL: String
    let ipLimiter: RateLimiter?
    let keyLimiter: RateLimiter?
    let wakeWorkers: @Sendable () -> Void
    let logger: Logger
    private let honeypotHits = Atomic<Int>(0)
    private let accepted = Atomic<Int>(0)

    init(
        store: LeadStore, catalog: Catalog, baseURL: String, rateLimit: RateLimit?, logger: Logger,
        wakeWorkers: @escaping @Sendable () -> Void
    ) {
        self.store = store
        self.catalog = catalog
        self.baseURL = baseURL
        ipLimiter = rateLimit.map(RateLimiter.init)
        keyLimiter = rateLimit.map(RateLimiter.init)
        self.logger = logger
        self.wakeWorkers = wakeWorkers
    }

    /// Honeypot submissions since start (metrics).
    var honeypotCount: Int { honeypotHits.load(ordering: .relaxed) }

    /// Orders stored since start (metrics).
    var acceptedCount: Int { accepted.load(ordering: .relaxed) }

    func countHoneypot() {
        honeypotHits.add(1, ordering: .relaxed)
    }

    enum Outcome {
        case accepted(AcceptedLead)
        case invalid([String: String])
    }

    /// Validates and stores an order; returns once it is committed.
    func submit(_ input: LeadInput, source: String, idempotencyKey: String? = nil, client: ClientInfo) async throws -> Outcome {
        let order: ValidLead
        switch LeadValidator.validate(input) {
        case .failure(let failure): return .invalid(failure.errors)
        case .success(let valid): order = valid
        }
        let lead = NewLead(
            source: source, idempotencyKey: idempotencyKey, order: order,
            product: await snapshot(order.productID),
            consent: ConsentRecord(at: Date(), ip: client.ip, userAgent: client.userAgent.map { String($0.prefix(500)) }, version: Self.consentVersion))
        let accepted = try await store.accept(lead)
        var metadata: Logger.Metadata = [
            "lead_number": "\(accepted.number)", "source": "\(source)", "duplicate": "\(accepted.duplicate)",
        ]
        // Contact data only masked (152-ФЗ): logs are kept longer and read by more people than leads.
        if let phone = order.phone { metadata["phone"] = "\(PersonalData.mask(phone: phone))" }
        if let email = order.email { metadata["email"] = "\(PersonalData.mask(email: email))" }
        logger.info("lead accepted", metadata: metadata)
        if !accepted.duplicate {
            self.accepted.add(1, ordering: .relaxed)
            wakeWorkers()
        }
        return .accepted(accepted)
    }

    /// The product as the visitor saw it. If the catalog cannot be read right now the order
    /// is still taken, naming the product by its id.
    func snapshot(_ productID: Int?) async -> ProductSnapshot? {
        guard let productID else { return nil }
        guard let product = try? await catalog.product(.id(productID)) else {
            return ProductSnapshot(
                id: productID, name: "Товар №\(productID)", sku: nil, url: baseURL + "/product/\(productID)",
                priceText: "", amount: nil)
        }
        return ProductSnapshot(
            id: product.id, name: product.name, sku: product.sku, url: baseURL + SiteURL.product(product),
            priceText: product.price.text, amount: product.price.amountText)
    }
}
