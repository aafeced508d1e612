import CoreMetrics
import Foundation
import Logging
import Synchronization

/// The product an order names, as the catalog knows it now.
public protocol ProductLookup: Sendable {
    /// nil when the product is unknown or the catalog cannot be read right now.
    func snapshot(productID: Int) async -> ProductSnapshot?
    /// Where a product is when the catalog could not say (`…/product/{id}` redirects to it).
    func fallbackURL(productID: Int) -> String
}

/// Who sent an order, as the consent record needs it.
public struct OrderClient: Sendable, Equatable {
    public var ip: String
    public var userAgent: String?

    public init(ip: String, userAgent: String?) {
        self.ip = ip
        self.userAgent = userAgent
    }
}

/// Taking an order, whatever its way in – the site's form, the JSON API, the
/// ingest endpoint: validation, the product as the visitor saw it, the personal-data consent
/// record, and the durable accept of the lead with its outbox rows. The web layer only
/// parses requests and answers them.
public final class LeadIntake: Sendable {
    /// The version of the personal-data consent text (templates/privacy.mustache).
    public static let consentVersion = "2026-11-25"

    public enum Outcome: Sendable {
        case accepted(AcceptedLead)
        /// Field → message in Russian.
        case invalid([String: String])
    }

    let store: LeadStore
    let products: any ProductLookup
    let logger: Logger
    /// Called after a new lead is committed: the delivery workers can go.
    let onAccepted: @Sendable () -> Void
    let metrics: any MetricsFactory
    private let honeypot: Counter

    public init(
        store: LeadStore, products: any ProductLookup, metrics: any MetricsFactory = NOOPMetricsHandler.instance, logger: Logger,
        onAccepted: @escaping @Sendable () -> Void
    ) {
        self.store = store
        self.products = products
        self.metrics = metrics
        self.logger = logger
        self.onAccepted = onAccepted
        honeypot = Counter(label: "orders_honeypot_total", factory: metrics)
    }

    /// A form submission caught by the honeypot: nothing was stored or sent.
    public func recordHoneypot() {
        honeypot.increment()
    }

    /// Validates and stores an order; returns once it is committed.
    public func submit(_ input: LeadInput, source: LeadSource, idempotencyKey: String? = nil, client: OrderClient) async throws -> Outcome {
        let order: ValidLead
        switch LeadValidator.validate(input) {
        case .failure(let failure): return .invalid(failure.errors)
        case .success(let valid): order = valid
        }
        let lead = NewLead(
            source: source.name, idempotencyKey: idempotencyKey, order: order, product: await snapshot(order.productID),
            consent: ConsentRecord(
                at: store.clock.now(), ip: client.ip, userAgent: client.userAgent.map { String($0.prefix(500)) }, version: Self.consentVersion))
        let accepted = try await store.accept(lead)
        var metadata: Logger.Metadata = [
            "lead_number": "\(accepted.number)", "source": "\(source)", "duplicate": "\(accepted.duplicate)",
        ]
        // Contact data only masked (152-ФЗ): logs are kept longer and read by more people than leads.
        if let phone = order.phone { metadata["phone"] = "\(PersonalData.mask(phone: phone))" }
        if let email = order.email { metadata["email"] = "\(PersonalData.mask(email: email))" }
        logger.info("lead accepted", metadata: metadata)
        if !accepted.duplicate {
            // `source` is `site` or a configured ingest source: a handful of label values.
            Counter(label: "orders_accepted_total", dimensions: [("source", source.name)], factory: metrics).increment()
            onAccepted()
        }
        return .accepted(accepted)
    }

    /// The product as the visitor saw it. If the catalog cannot be read right now the order
    /// is still taken, naming the product by its id.
    func snapshot(_ productID: Int?) async -> ProductSnapshot? {
        guard let productID else { return nil }
        if let product = await products.snapshot(productID: productID) { return product }
        return ProductSnapshot(
            id: productID, name: "Товар №\(productID)", sku: nil, url: products.fallbackURL(productID: productID), priceText: "",
            amount: nil)
    }
}
