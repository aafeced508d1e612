import Catalog
import Testing

@testable import Web

@Suite("Site URLs")
struct SiteURLTests {
    @Test("links are built from the routes' patterns, one percent-encoded segment per parameter")
    func links() {
        #expect(SiteURL.Route.product.path("станок 1/2") == "/product/%D1%81%D1%82%D0%B0%D0%BD%D0%BE%D0%BA%201%2F2")
        #expect(SiteURL.thanks(leadID: "abc") == "/order/thanks/abc")
        #expect(SiteURL.adminRetry(leadNumber: 12) == "/admin/leads/12/retry")
        #expect(SiteURL.admin(page: 3) == "/admin?page=3")
        #expect(SiteURL.admin(done: "requeued-email") == "/admin?done=requeued-email")
        #expect(SiteURL.adminLead(7, done: "retried") == "/admin/leads/7?done=retried")
        #expect(SiteURL.orderForm(productID: 7) == "/product/7#order")
        #expect(SiteURL.list(SiteURL.catalog, query: "токарный станок", page: 2) == "/catalog?q=%D1%82%D0%BE%D0%BA%D0%B0%D1%80%D0%BD%D1%8B%D0%B9%20%D1%81%D1%82%D0%B0%D0%BD%D0%BE%D0%BA&page=2")
    }

    @Test("an image link is served by the image proxy's route")
    func assets() {
        let link = SiteURL.asset("3f2a9c1e-0b7d", preset: .card)
        #expect(link == SiteURL.Route.asset.path("3f2a9c1e-0b7d") + "?preset=card")
        #expect(AssetLinks().fileID(inSource: "/assets/3f2a9c1e-0b7d?width=10").map { AssetLinks.path(fileID: $0, preset: .full) } == SiteURL.asset("3f2a9c1e-0b7d", preset: .full))
    }
}
