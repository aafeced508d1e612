import Basics

/// IndexNow, the protocol Yandex and Bing share for "these URLs changed" (DESIGN §9).
public struct IndexNowSettings: Sendable, Equatable {
    /// `INDEXNOW_KEY`: 8–128 of `a-z A-Z 0-9 -`; nil: IndexNow is off.
    public var key: String?
    /// `INDEXNOW_ENDPOINT`: where changed URLs are posted (Yandex's by default).
    public var endpoint = "https://yandex.com/indexnow"
    /// How long the first changed page waits for others before they are sent together: an
    /// editor's session of edits is one request, and a page changed twice is sent once.
    public var batchWindow: Duration = .seconds(60)
    /// URLs in one request: IndexNow takes up to 10,000.
    public var batchSize = 10_000

    public init() {}

    public init(environment env: Environment) throws(ConfigurationError) {
        if let key = env["INDEXNOW_KEY"] {
            guard (8...128).contains(key.utf8.count),
                key.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") })
            else {
                throw ConfigurationError(variable: "INDEXNOW_KEY", reason: "must be 8 to 128 of a-z, A-Z, 0-9 and -; generate one with: openssl rand -hex 16")
            }
            self.key = key
        }
        if let endpoint = try env.httpURL("INDEXNOW_ENDPOINT") { self.endpoint = endpoint }
    }
}
