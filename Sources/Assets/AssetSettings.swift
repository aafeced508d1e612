import Basics

/// The image proxy's disk cache: where, and how big.
public struct AssetSettings: Sendable, Equatable {
    /// `ASSET_CACHE_DIR`.
    public var directory = "var/assets"
    /// `ASSET_CACHE_MAX_MB`.
    public var maxBytes = 512 << 20

    public init() {}

    /// `dataDirectory` (`DATA_DIR`) holds the cache unless `ASSET_CACHE_DIR` says otherwise.
    public init(environment env: Environment, dataDirectory: String) throws(ConfigurationError) {
        directory = env["ASSET_CACHE_DIR"] ?? dataDirectory + "/assets"
        if let megabytes = env["ASSET_CACHE_MAX_MB"] {
            guard let number = Int(megabytes), number >= 1, number <= 1_000_000 else {
                throw ConfigurationError(variable: "ASSET_CACHE_MAX_MB", reason: "must be a whole number of megabytes ≥ 1, got '\(megabytes)'")
            }
            maxBytes = number << 20
        }
    }
}
