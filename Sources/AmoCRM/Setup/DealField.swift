/// The deal fields catalog-bff fills, as `amocrm-setup` creates them and `doctor` checks them:
/// the setting that holds each one's id, its name in the account, the type it is created with
/// and the types that take what the deliverer sends.
public enum DealField: String, CaseIterable, Sendable {
    case product, sku, quantity, productURL, comment, serial

    /// `AMOCRM_FIELD_*`.
    public var variable: String {
        switch self {
        case .product: "AMOCRM_FIELD_PRODUCT"
        case .sku: "AMOCRM_FIELD_SKU"
        case .quantity: "AMOCRM_FIELD_QUANTITY"
        case .productURL: "AMOCRM_FIELD_PRODUCT_URL"
        case .comment: "AMOCRM_FIELD_COMMENT"
        case .serial: "AMOCRM_FIELD_SERIAL"
        }
    }

    /// The field's name in the account (what a manager sees on the deal).
    public var name: String {
        switch self {
        case .product: "Товар"
        case .sku: "Артикул"
        case .quantity: "Количество"
        case .productURL: "Ссылка на товар"
        case .comment: "Комментарий"
        case .serial: "Серийный номер"
        }
    }

    /// amoCRM's type for a new field.
    public var createdType: String {
        switch self {
        case .product, .sku, .serial: "text"
        case .quantity: "numeric"
        case .productURL: "url"
        case .comment: "textarea"
        }
    }

    /// amoCRM types that accept the value sent: text goes into any free-text field; a
    /// quantity also into a number; a link also into a URL field.
    public var acceptedTypes: Set<String> {
        switch self {
        case .product, .sku, .comment, .serial: ["text", "textarea"]
        case .quantity: ["numeric", "text", "textarea"]
        case .productURL: ["url", "text", "textarea"]
        }
    }

    /// A `code` for fields this tool creates (upper-case Latin, digits and `_`: the safe subset),
    /// so that a second run finds them even after a manager renamed one.
    public var code: String { "CATALOG_BFF_" + variable.dropFirst("AMOCRM_FIELD_".count) }

    public func id(in fields: AmoCRMConfiguration.CustomFields) -> Int? {
        switch self {
        case .product: fields.product
        case .sku: fields.sku
        case .quantity: fields.quantity
        case .productURL: fields.productURL
        case .comment: fields.comment
        case .serial: fields.serial
        }
    }
}
