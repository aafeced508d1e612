import Mustache

/// The page models Mustache reads on every render, looked up by name through key paths.
/// swift-mustache otherwise reflects on the value (`Mirror`) at every `{{name}}`, demangling the
/// type of each of its fields each time: in a profile of product pages rendered without the page
/// cache (10,000 products, perf) that was about half of the render. A model's table lists its
/// stored properties, all of them (`TemplateFieldsTests` compares it with the reflection).
protocol TemplateFields: MustacheParent {
    static var templateFields: [String: any PartialKeyPath<Self> & Sendable] { get }
}

extension TemplateFields {
    /// The property `name`, an optional unwrapped (nil sends Mustache on to the enclosing
    /// context, as a missing name does, and as reflection does).
    func child(named name: String) -> Any? {
        guard let path = Self.templateFields[name] else { return nil }
        let value = self[keyPath: path]
        if let optional = value as? any OptionalTemplateValue { return optional.unwrappedValue }
        return value
    }
}

protocol OptionalTemplateValue {
    var unwrappedValue: Any? { get }
}

extension Optional: OptionalTemplateValue {
    var unwrappedValue: Any? { self.map { $0 as Any } }
}

extension LayoutModel: TemplateFields {
    static let templateFields: [String: any PartialKeyPath<LayoutModel> & Sendable] = [
        "title": \.title,
        "metaDescription": \.metaDescription,
        "canonicalURL": \.canonicalURL,
        "nav": \.nav,
        "noindex": \.noindex,
        "query": \.query,
        "breadcrumbs": \.breadcrumbs,
        "siteName": \.siteName,
        "openGraph": \.openGraph,
        "structuredData": \.structuredData,
        "preview": \.preview,
        "links": \.links,
        "year": \.year,
    ]
}

extension OpenGraphModel: TemplateFields {
    static let templateFields: [String: any PartialKeyPath<OpenGraphModel> & Sendable] = [
        "type": \.type,
        "title": \.title,
        "description": \.description,
        "url": \.url,
        "image": \.image,
        "siteName": \.siteName,
        "locale": \.locale,
    ]
}

extension NavItem: TemplateFields {
    static let templateFields: [String: any PartialKeyPath<NavItem> & Sendable] = [
        "name": \.name,
        "url": \.url,
        "active": \.active,
    ]
}

extension Crumb: TemplateFields {
    static let templateFields: [String: any PartialKeyPath<Crumb> & Sendable] = [
        "name": \.name,
        "url": \.url,
    ]
}

extension SiteLinks: TemplateFields {
    static let templateFields: [String: any PartialKeyPath<SiteLinks> & Sendable] = [
        "home": \.home,
        "catalog": \.catalog,
        "order": \.order,
        "privacy": \.privacy,
        "admin": \.admin,
        "adminPassports": \.adminPassports,
        "adminHealth": \.adminHealth,
    ]
}

extension ProductCardModel: TemplateFields {
    static let templateFields: [String: any PartialKeyPath<ProductCardModel> & Sendable] = [
        "name": \.name,
        "url": \.url,
        "sku": \.sku,
        "priceText": \.priceText,
        "onRequest": \.onRequest,
        "availability": \.availability,
        "categoryName": \.categoryName,
        "imageURL": \.imageURL,
        "imageSrcset": \.imageSrcset,
        "imageAlt": \.imageAlt,
        "nameHTML": \.nameHTML,
    ]
}

extension CategoryTileModel: TemplateFields {
    static let templateFields: [String: any PartialKeyPath<CategoryTileModel> & Sendable] = [
        "name": \.name,
        "url": \.url,
        "countText": \.countText,
        "children": \.children,
    ]
}

extension HomePageModel: TemplateFields {
    static let templateFields: [String: any PartialKeyPath<HomePageModel> & Sendable] = [
        "layout": \.layout,
        "categories": \.categories,
        "newest": \.newest,
    ]
}

extension CatalogPageModel: TemplateFields {
    static let templateFields: [String: any PartialKeyPath<CatalogPageModel> & Sendable] = [
        "layout": \.layout,
        "heading": \.heading,
        "intro": \.intro,
        "countText": \.countText,
        "subcategories": \.subcategories,
        "products": \.products,
        "emptyText": \.emptyText,
        "pagination": \.pagination,
        "query": \.query,
        "formAction": \.formAction,
        "correctedQuery": \.correctedQuery,
        "partialMatch": \.partialMatch,
        "suggestions": \.suggestions,
        "filter": \.filter,
    ]
}

extension PaginationModel: TemplateFields {
    static let templateFields: [String: any PartialKeyPath<PaginationModel> & Sendable] = [
        "pages": \.pages,
        "previousURL": \.previousURL,
        "nextURL": \.nextURL,
        "show": \.show,
    ]
}

extension PaginationModel.PageLink: TemplateFields {
    static let templateFields: [String: any PartialKeyPath<PaginationModel.PageLink> & Sendable] = [
        "number": \.number,
        "url": \.url,
        "current": \.current,
        "gap": \.gap,
    ]
}

extension GalleryImageModel: TemplateFields {
    static let templateFields: [String: any PartialKeyPath<GalleryImageModel> & Sendable] = [
        "fullURL": \.fullURL,
        "thumbURL": \.thumbURL,
        "srcset": \.srcset,
        "alt": \.alt,
        "width": \.width,
        "height": \.height,
        "first": \.first,
    ]
}

extension SpecRowModel: TemplateFields {
    static let templateFields: [String: any PartialKeyPath<SpecRowModel> & Sendable] = [
        "name": \.name,
        "value": \.value,
    ]
}

extension ProductPageModel: TemplateFields {
    static let templateFields: [String: any PartialKeyPath<ProductPageModel> & Sendable] = [
        "layout": \.layout,
        "name": \.name,
        "sku": \.sku,
        "categoryName": \.categoryName,
        "categoryURL": \.categoryURL,
        "priceText": \.priceText,
        "onRequest": \.onRequest,
        "availability": \.availability,
        "mainImage": \.mainImage,
        "gallery": \.gallery,
        "hasGallery": \.hasGallery,
        "specs": \.specs,
        "noSpecsText": \.noSpecsText,
        "descriptionHTML": \.descriptionHTML,
        "hasDescription": \.hasDescription,
        "form": \.form,
    ]
}

extension OrderFormModel: TemplateFields {
    static let templateFields: [String: any PartialKeyPath<OrderFormModel> & Sendable] = [
        "action": \.action,
        "productID": \.productID,
        "productName": \.productName,
        "onRequest": \.onRequest,
        "submitText": \.submitText,
        "privacyURL": \.privacyURL,
        "csrf": \.csrf,
        "name": \.name,
        "phone": \.phone,
        "email": \.email,
        "company": \.company,
        "quantity": \.quantity,
        "comment": \.comment,
        "consent": \.consent,
        "consentChecked": \.consentChecked,
        "utm": \.utm,
        "hasErrors": \.hasErrors,
        "errorList": \.errorList,
        "disabled": \.disabled,
    ]
}

extension OrderFormModel.Field: TemplateFields {
    static let templateFields: [String: any PartialKeyPath<OrderFormModel.Field> & Sendable] = [
        "value": \.value,
        "error": \.error,
    ]
}
