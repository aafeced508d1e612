import Caching
import Foundation

/// Builds the site's `Product` and `Category` values from Directus rows.
public enum CatalogNormalizer {
    public static let noCategoryText = "Без категории"
    public static let defaultAvailability = "Под заказ"

    public static func category(_ record: CategoryRecord) -> Category? {
        if let status = record.status, status != "published" { return nil }
        let slug = SpecsNormalizer.clean(record.slug ?? "")
        let name = SpecsNormalizer.clean(record.name ?? "")
        return Category(
            id: record.id,
            slug: slug.isEmpty ? String(record.id) : slug,
            name: name.isEmpty ? "Категория №\(record.id)" : name,
            parentID: record.parentID == record.id ? nil : record.parentID,
            sort: record.sort ?? Int.max)
    }

    /// - Parameter categories: published categories by id, to resolve unexpanded relations
    ///   and to hide a product's link to a category that is not public.
    /// - Parameter assets: how the description's images are recognized as catalog files.
    ///
    /// The product carries the description's excerpt and image ids, not its HTML (which
    /// `description(_:assets:)` gives): a catalog of ten thousand descriptions is not kept.
    public static func product(_ record: ProductRecord, categories: [Int: Category], assets: AssetLinks = AssetLinks()) -> Product {
        let trimmedName = SpecsNormalizer.clean(record.name ?? "")
        let sku = SpecsNormalizer.clean(record.sku ?? "")
        let name = !trimmedName.isEmpty ? trimmedName : (!sku.isEmpty ? sku : "Товар №\(record.id)")
        let slug = SpecsNormalizer.clean(record.slug ?? "").replacingOccurrences(of: " ", with: "-")

        var categoryRef: CategoryRef?
        let categoryID = record.category?.id ?? record.categoryID
        if let categoryID, let category = categories[categoryID] {
            categoryRef = CategoryRef(id: category.id, slug: category.slug, name: category.name)
        }

        let availability = SpecsNormalizer.clean(record.availability ?? "")
        let description = HTMLSanitizer.sanitize(record.description ?? "", assets: assets)

        return Product(
            id: record.id,
            slug: slug.isEmpty ? nil : slug,
            name: name,
            sku: sku.isEmpty ? nil : sku,
            category: categoryRef,
            categoryID: categoryID,
            price: PriceFormatter.price(raw: record.price, currency: record.currency),
            availability: availability.isEmpty ? defaultAvailability : availability,
            images: images(record, name: name),
            specs: SpecsNormalizer.specs(record.specs),
            excerpt: summary(description.text, limit: Product.excerptLimit),
            descriptionFileIDs: description.fileIDs,
            descriptionDigest: descriptionDigest(record),
            updatedAt: date(record.dateUpdated) ?? date(record.dateCreated),
            sort: record.sort ?? Int.max)
    }

    /// The sanitized description HTML of a product row, safe to insert into a page; empty when
    /// there is none.
    public static func description(_ record: ProductRecord, assets: AssetLinks = AssetLinks()) -> String {
        HTMLSanitizer.sanitize(record.description ?? "", assets: assets).html
    }

    /// A hash of the description exactly as Directus has it (`Product.descriptionDigest`).
    public static func descriptionDigest(_ record: ProductRecord) -> UInt64 {
        FNV1a.hash((record.description ?? "").utf8)
    }

    /// The hero image first, then the gallery without repeating it.
    static func images(_ record: ProductRecord, name: String) -> [ProductImage] {
        var files: [FileRecord] = []
        if let hero = record.heroImage { files.append(hero) }
        for file in record.images where !files.contains(where: { $0.id == file.id }) {
            files.append(file)
        }
        // An unexpanded hero image has no size; the same file in the gallery may have it.
        return files.enumerated().map { index, file in
            let sized = record.images.first { $0.id == file.id && $0.width != nil } ?? file
            return ProductImage(
                fileID: file.id, width: sized.width, height: sized.height,
                alt: index == 0 ? name : "\(name), фото \(index + 1)")
        }
    }

    /// The text cut at a word to at most `limit` characters (and an ellipsis).
    static func summary(_ text: String, limit: Int = 200) -> String {
        let clean = SpecsNormalizer.clean(text)
        guard clean.count > limit else { return clean }
        let cut = clean.prefix(limit)
        let end = cut.lastIndex(of: " ") ?? cut.endIndex
        return String(cut[..<end]) + "…"
    }

    /// Directus timestamps: `2025-02-14T09:12:44.000Z`; `datetime` columns come without a zone.
    static func date(_ text: String?) -> Date? {
        guard var text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if !text.hasSuffix("Z"), text.range(of: #"[+-]\d\d:?\d\d$"#, options: .regularExpression) == nil {
            text += "Z"
        }
        return (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
            ?? (try? Date.ISO8601FormatStyle().parse(text))
    }
}
