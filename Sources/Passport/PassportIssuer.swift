import AmoCRM
import Catalog
import Foundation
import Leads
import Storage

/// Makes a won deal's passport from what amoCRM says about the deal now (the webhook is
/// unsigned: its word is never taken) and what we know about the sale.
///
/// The product, in this order: our stored order, when the deal came from us; the catalog
/// product whose SKU the deal's SKU field holds (`AMOCRM_FIELD_SKU`); the one its product
/// field or its name names; else the deal's name with no specs. The buyer: the order's company
/// or name; for a deal made in amoCRM, its company's name or its main contact's.
public struct PassportIssuer: Sendable {
    let deals: AmoCRMDeals
    let fields: AmoCRMConfiguration.CustomFields
    let leads: LeadStore
    let catalog: Catalog
    let warrantyMonths: Int
    /// The product page's absolute address.
    let productURL: @Sendable (Product) -> String

    public init(
        deals: AmoCRMDeals, fields: AmoCRMConfiguration.CustomFields, leads: LeadStore, catalog: Catalog, warrantyMonths: Int,
        productURL: @escaping @Sendable (Product) -> String
    ) {
        self.deals = deals
        self.fields = fields
        self.leads = leads
        self.catalog = catalog
        self.warrantyMonths = warrantyMonths
        self.productURL = productURL
    }

    /// What to do about a deal that an event says was won.
    public enum Verdict: Sendable, Equatable {
        case issue(Passport)
        /// amoCRM has no such deal, or it is not won (a forged or outdated event).
        case notWon(status: Int?)
    }

    /// Reads deal `dealID` again and, if it is won, makes its passport (not stored yet).
    /// Throws `AmoCRMError` when amoCRM cannot answer, or the database's error.
    /// - Parameter eventAt: when the won event came: the sale date if amoCRM has no `closed_at`.
    public func verdict(dealID: Int, eventAt: Date, now: Date) async throws -> Verdict {
        guard let deal = try await deals.deal(id: dealID) else { return .notWon(status: nil) }
        guard deal.won else { return .notWon(status: deal.statusID) }
        let ours = try await leads.lead(amoCRMDeal: dealID)
        let index = await currentIndex()
        var product: Passport.Product
        var specs: [Passport.Spec] = []
        var catalogProduct: Product?
        if let snapshot = ours?.product {
            catalogProduct = index?.product(.id(snapshot.id))
            product = .init(id: snapshot.id, name: snapshot.name, sku: snapshot.sku, url: snapshot.url.isEmpty ? nil : snapshot.url)
        } else {
            catalogProduct = index.flatMap { match(deal, in: $0) }
            product = catalogProduct.map { .init(id: $0.id, name: $0.name, sku: $0.sku, url: productURL($0)) }
                ?? .init(id: nil, name: Self.productName(fromDealName: deal.name), sku: fields.sku.flatMap { deal.fields[$0] }, url: nil)
        }
        if let catalogProduct {
            specs = catalogProduct.specs.map { Passport.Spec(name: $0.name, value: $0.valueWithUnit) }
            if product.sku == nil { product.sku = catalogProduct.sku }
        }
        let buyer: String
        if let order = ours?.order {
            buyer = order.company ?? order.name
        } else {
            buyer = try await buyerName(of: deal) ?? ""
        }
        let soldAt = deal.closedAt ?? eventAt
        let serial = fields.serial.flatMap { deal.fields[$0] }?.trimmingCharacters(in: .whitespacesAndNewlines)
        return .issue(
            Passport(
                code: Passport.makeCode(), amoLeadID: dealID, leadNumber: ours?.number, product: product, specs: specs, buyer: buyer,
                serial: serial?.isEmpty == false ? serial : nil, soldAt: soldAt, warrantyMonths: warrantyMonths,
                warrantyUntil: Passport.warrantyEnd(soldAt: soldAt, months: warrantyMonths), issuedAt: now))
    }

    /// The published catalog now, or the last one read while Directus is down; nil if there has
    /// never been one (the passport is then made without specs: the sale is not held up).
    private func currentIndex() async -> CatalogIndex? {
        if let index = try? await catalog.index() { return index }
        return catalog.lastIndex
    }

    /// The catalog product the deal names: by its SKU field, else by its product field or its
    /// name (the same name, else the longest product name the text contains).
    func match(_ deal: AmoCRMDeal, in index: CatalogIndex) -> Product? {
        if let field = fields.sku, let sku = deal.fields[field].map(Self.fold), !sku.isEmpty,
            let found = index.products.first(where: { $0.sku.map(Self.fold) == sku })
        {
            return found
        }
        let texts = [fields.product.flatMap { deal.fields[$0] }, deal.name].compactMap { $0 }.map(Self.fold)
        for text in texts where !text.isEmpty {
            if let same = index.products.first(where: { Self.fold($0.name) == text }) { return same }
            let contained = index.products.filter { product in
                let name = Self.fold(product.name)
                return name.count >= Self.shortestNameToMatch && text.contains(name)
            }
            if let longest = contained.max(by: { $0.name.count < $1.name.count }) { return longest }
        }
        return nil
    }

    /// Shorter product names than this are not looked for inside a deal's name (`Пресс` would
    /// match every deal about a press).
    static let shortestNameToMatch = 8

    static func fold(_ text: String) -> String {
        SearchText.fold(text).split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// `Заявка №42: Токарный станок` → `Токарный станок`; other names as they are.
    static func productName(fromDealName name: String) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("Заявка №"), let colon = trimmed.firstIndex(of: ":") {
            let rest = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if !rest.isEmpty { return rest }
        }
        return trimmed.isEmpty ? "Оборудование" : trimmed
    }

    private func buyerName(of deal: AmoCRMDeal) async throws(AmoCRMError) -> String? {
        if let company = deal.companyID, let name = try await deals.name(of: .companies, id: company) { return name }
        if let contact = deal.contactID, let name = try await deals.name(of: .contacts, id: contact) { return name }
        return nil
    }
}
