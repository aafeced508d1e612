@_spi(Reflection) import Swift
import Testing

@testable import Web

/// Every page model Mustache reads through `TemplateFields` lists every stored property: a
/// property left out of a table would print as nothing (or as an outer value of that name).
@Suite("Template fields")
struct TemplateFieldsTests {
    static func storedProperties(of type: Any.Type) -> Set<String> {
        var names: Set<String> = []
        _ = _forEachField(of: type) { name, _, _, _ in
            names.insert(String(cString: name))
            return true
        }
        return names
    }

    static func check<Model: TemplateFields>(_ type: Model.Type) {
        #expect(Set(Model.templateFields.keys) == storedProperties(of: type), "\(Model.self)")
    }

    @Test("each table names exactly the model's stored properties")
    func complete() {
        Self.check(LayoutModel.self)
        Self.check(OpenGraphModel.self)
        Self.check(NavItem.self)
        Self.check(Crumb.self)
        Self.check(SiteLinks.self)
        Self.check(ProductCardModel.self)
        Self.check(CategoryTileModel.self)
        Self.check(HomePageModel.self)
        Self.check(CatalogPageModel.self)
        Self.check(PaginationModel.self)
        Self.check(PaginationModel.PageLink.self)
        Self.check(GalleryImageModel.self)
        Self.check(SpecRowModel.self)
        Self.check(ProductPageModel.self)
        Self.check(OrderFormModel.self)
        Self.check(OrderFormModel.Field.self)
        // The check itself sees a property that is missing.
        #expect(Self.storedProperties(of: Crumb.self) == ["name", "url"])
    }

    @Test("a value is read through its table, an optional unwrapped, an unknown name is nil")
    func lookup() {
        let crumb = Crumb(name: "Станки", url: nil)
        #expect(crumb.child(named: "name") as? String == "Станки")
        #expect(crumb.child(named: "url") == nil)
        #expect(Crumb(name: "a", url: "/b").child(named: "url") as? String == "/b")
        #expect(crumb.child(named: "missing") == nil)
    }
}
