import Catalog
import Leads

/// The catalog as the order intake sees it: a product as the visitor saw it, with its
/// address on this site.
struct CatalogProductLookup: ProductLookup {
    let catalog: Catalog
    let layout: SiteLayout

    func snapshot(productID: Int) async -> ProductSnapshot? {
        guard let product = try? await catalog.product(.id(productID)) else { return nil }
        return ProductSnapshot(
            id: product.id, name: product.name, sku: product.sku, url: layout.absoluteURL(SiteURL.product(product)),
            priceText: product.price.text, amount: product.price.amountText)
    }

    func fallbackURL(productID: Int) -> String {
        layout.absoluteURL(SiteURL.Route.product.path(String(productID)))
    }
}
