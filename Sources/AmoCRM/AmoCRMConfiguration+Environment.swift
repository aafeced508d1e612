import Basics

extension AmoCRMConfiguration {
    /// The `AMOCRM_*` settings; nil when `AMOCRM_SUBDOMAIN` is not set (amoCRM is off, leads wait).
    /// `redirectURI` is the default of `AMOCRM_REDIRECT_URI` (the site's OAuth callback).
    public static func read(_ env: Environment, redirectURI defaultRedirect: String) throws(ConfigurationError) -> AmoCRMConfiguration? {
        guard let subdomain = env["AMOCRM_SUBDOMAIN"] else { return nil }
        guard subdomain.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }) else {
            throw ConfigurationError(variable: "AMOCRM_SUBDOMAIN", reason: "expected the account's subdomain, e.g. example for example.amocrm.ru")
        }
        let base = try env.httpURL("AMOCRM_BASE_URL")
        let auth = try Environment.httpURL(env["AMOCRM_AUTH_URL"] ?? "https://www.amocrm.ru/oauth", variable: "AMOCRM_AUTH_URL")
        let redirect = try Environment.httpURL(env["AMOCRM_REDIRECT_URI"] ?? defaultRedirect, variable: "AMOCRM_REDIRECT_URI")
        let longLived = env["AMOCRM_LONG_LIVED_TOKEN"]
        let clientID = env["AMOCRM_CLIENT_ID"]
        let clientSecret = env["AMOCRM_CLIENT_SECRET"]
        if longLived == nil, clientID == nil || clientSecret == nil {
            throw ConfigurationError(
                variable: clientID == nil ? "AMOCRM_CLIENT_ID" : "AMOCRM_CLIENT_SECRET",
                reason: "is required with AMOCRM_SUBDOMAIN (or set AMOCRM_LONG_LIVED_TOKEN)")
        }
        var amo = AmoCRMConfiguration(
            subdomain: subdomain, baseURL: base, authURL: auth, clientID: clientID, clientSecret: clientSecret, redirectURI: redirect,
            longLivedToken: longLived)
        func id(_ name: String) throws(ConfigurationError) -> Int? {
            guard let raw = env[name] else { return nil }
            guard let number = Int(raw), number > 0 else {
                throw ConfigurationError(variable: name, reason: "must be a numeric amoCRM id, got '\(raw)'")
            }
            return number
        }
        amo.pipelineID = try id("AMOCRM_PIPELINE_ID")
        amo.statusID = try id("AMOCRM_STATUS_ID")
        amo.responsibleUserID = try id("AMOCRM_RESPONSIBLE_USER_ID")
        amo.fields = CustomFields(
            product: try id("AMOCRM_FIELD_PRODUCT"), sku: try id("AMOCRM_FIELD_SKU"), quantity: try id("AMOCRM_FIELD_QUANTITY"),
            productURL: try id("AMOCRM_FIELD_PRODUCT_URL"), comment: try id("AMOCRM_FIELD_COMMENT"), serial: try id("AMOCRM_FIELD_SERIAL"))
        if let raw = env["AMOCRM_DUPLICATE_CONTROL"] {
            switch raw.lowercased() {
            case "on", "true", "1": amo.duplicateControl = true
            case "off", "false", "0": amo.duplicateControl = false
            default: throw ConfigurationError(variable: "AMOCRM_DUPLICATE_CONTROL", reason: "must be on or off, got '\(raw)'")
            }
        }
        return amo
    }
}
