import Caching

extension Product {
    /// A digest of everything the product's page shows – not `updatedAt` or `sort`, which an
    /// edit elsewhere moves too. Stable across instances and restarts: changes are found by
    /// comparing it with the one recorded in the database.
    public var pageFingerprint: UInt64 {
        var digest = FNV1a.Digest()
        digest.add(id)
        digest.add(slug)
        digest.add(name)
        digest.add(sku)
        digest.add(category.map { "\($0.id) \($0.slug) \($0.name)" })
        digest.add(price.text)
        digest.add(price.amountText)
        digest.add(price.currency)
        digest.add(availability)
        digest.add(images.count)
        for image in images {
            digest.add(image.fileID)
            digest.add(image.width ?? -1)
            digest.add(image.height ?? -1)
            digest.add(image.alt)
        }
        digest.add(specs.count)
        for spec in specs {
            digest.add(spec.name)
            digest.add(spec.value)
            digest.add(spec.unit)
        }
        digest.add(excerpt)
        digest.add(descriptionDigest)
        return digest.value
    }
}

extension Category {
    /// A digest of the category's own fields (its page adds its products and subcategories).
    public var fingerprint: UInt64 {
        var digest = FNV1a.Digest()
        digest.add(id)
        digest.add(slug)
        digest.add(name)
        digest.add(parentID ?? -1)
        digest.add(sort)
        return digest.value
    }
}
