import Basics
import Catalog
import Foundation

/// What every page's frame holds – title, navigation, canonical and OpenGraph links,
/// breadcrumbs – built from the catalog index and the site's public address.
struct SiteLayout: Sendable {
    /// `PUBLIC_BASE_URL`, without a trailing slash.
    let baseURL: String
    /// The footer's year comes from it.
    var clock: any WallClock = SystemClock()

    func absoluteURL(_ path: String) -> String {
        baseURL + path
    }

    /// Navigation for the layout: top-level categories.
    func layout(
        _ index: CatalogIndex?, title: String, description: String, canonicalPath: String?, activeCategoryID: Int? = nil,
        breadcrumbs: [Crumb] = [], query: String = "", noindex: Bool = false
    ) -> LayoutModel {
        let roots = index?.rootCategories ?? []
        let activeRoot = activeCategoryID.flatMap { id in index?.category(id: id) }.flatMap { index?.path(to: $0).first }
        let canonicalURL = canonicalPath.map(absoluteURL)
        return LayoutModel(
            title: title == LayoutModel.siteName ? title : "\(title) — \(LayoutModel.siteName)",
            metaDescription: description,
            canonicalURL: canonicalURL,
            nav: roots.map { NavItem(name: $0.name, url: SiteURL.category($0.slug), active: $0.id == activeRoot?.id) },
            noindex: noindex,
            query: query,
            breadcrumbs: breadcrumbs,
            openGraph: canonicalURL.map { OpenGraphModel(type: "website", title: title, description: description, url: $0) },
            year: MoscowTime.calendar.component(.year, from: clock.now()))
    }
}
