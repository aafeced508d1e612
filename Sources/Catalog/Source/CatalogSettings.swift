import Basics

/// The catalog's settings: where Directus is and how long its answers are kept.
public struct CatalogSettings: Sendable, Equatable {
    /// `DIRECTUS_URL`; nil: the built-in demo catalog.
    public var directusURL: String?
    /// `DIRECTUS_TOKEN`: the service user's static token; nil: the Public role.
    public var directusToken: String?
    /// One Directus request (`DIRECTUS_TIMEOUT`); an uncached page then answers the 503 page.
    public var directusTimeout: Duration = .seconds(5)
    /// The largest JSON answer read from Directus (`DIRECTUS_MAX_RESPONSE_MB`); lists come in pages.
    public var maxResponseBytes = 32 << 20
    /// Served without asking Directus (`CATALOG_FRESH_SECONDS`).
    public var fresh: Duration = .seconds(60)
    /// Served stale while one refresh runs (`CATALOG_STALE_SECONDS`).
    public var stale: Duration = .seconds(86_400)

    /// `CATALOG_MAPPING`: the project's collection and field names (DESIGN's by default).
    public var mapping = CatalogMapping()

    public init() {}

    public init(environment env: Environment) throws(ConfigurationError) {
        directusURL = try env.httpURL("DIRECTUS_URL")
        directusToken = env["DIRECTUS_TOKEN"]
        mapping = try CatalogMapping.read(env)
        if let seconds = try env.number("DIRECTUS_TIMEOUT", in: 1...120, unit: "seconds") { directusTimeout = .seconds(seconds) }
        if let megabytes = try env.number("DIRECTUS_MAX_RESPONSE_MB", in: 1...1_024, unit: "MiB") { maxResponseBytes = megabytes << 20 }
        if let seconds = try env.seconds("CATALOG_FRESH_SECONDS") { fresh = .seconds(seconds) }
        if let seconds = try env.seconds("CATALOG_STALE_SECONDS") { stale = .seconds(seconds) }
        guard stale >= fresh else {
            throw ConfigurationError(variable: "CATALOG_STALE_SECONDS", reason: "must not be shorter than CATALOG_FRESH_SECONDS")
        }
    }
}
