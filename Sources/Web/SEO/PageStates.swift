import Caching
import Catalog
import Indexing

/// The pages a catalog index makes, each with a digest of what it shows, for `PageChanges`:
/// a product page shows the product; a category page its own fields, its subcategories and
/// its products (a price edit changes both); the home page and `/catalog` show a bit of
/// everything.
enum PageStates {
    static func pages(of index: CatalogIndex) -> [PageState] {
        var pages: [PageState] = []
        pages.reserveCapacity(index.products.count + index.categories.count + 2)
        var fingerprints: [Int: UInt64] = [:]
        fingerprints.reserveCapacity(index.products.count)
        var everything = FNV1a.Digest()
        for product in index.products {
            let fingerprint = product.pageFingerprint
            fingerprints[product.id] = fingerprint
            everything.add(fingerprint)
            pages.append(PageState(path: SiteURL.product(product), fingerprint: fingerprint, updatedAt: product.updatedAt, announce: true))
        }
        for category in index.categories {
            var digest = FNV1a.Digest()
            digest.add(category.fingerprint)
            everything.add(category.fingerprint)
            for child in index.children(of: category) { digest.add(child.fingerprint) }
            let products = index.products(in: category)
            for product in products { digest.add(fingerprints[product.id] ?? product.pageFingerprint) }
            pages.append(
                PageState(
                    path: SiteURL.category(category.slug), fingerprint: digest.value, updatedAt: products.compactMap(\.updatedAt).max(),
                    announce: true))
        }
        let newest = index.products.compactMap(\.updatedAt).max()
        for path in [SiteURL.home, SiteURL.catalog] {
            pages.append(PageState(path: path, fingerprint: everything.value, updatedAt: newest, announce: false))
        }
        return pages
    }
}
