import AmoCRM
import Alerts
import Assets
import Basics
import Catalog
import Foundation
import Indexing
import Leads
import Logging
import Mail
import Passport
import Storage

/// All settings, read once from the environment: each module reads its own variables (its
/// `…Settings` type, with the defaults), and this one reads the web server's and assembles them.
public struct AppConfiguration: Sendable {
    // The modules' settings.
    public var catalog = CatalogSettings()
    public var assets = AssetSettings()
    public var database: DatabaseLocation = .sqlite(path: "var/catalog-bff.sqlite")
    public var mail = MailSettings()
    public var leads = LeadSettings()
    /// nil: amoCRM delivery is off (leads wait, nothing is lost).
    public var amoCRM: AmoCRMConfiguration?
    public var alerts = AlertSettings()
    public var passports = PassportSettings()

    // The web server's.
    public var host = "127.0.0.1"
    public var port = 8080
    /// Without a trailing slash: `http://127.0.0.1:8080`.
    public var publicBaseURL = "http://127.0.0.1:8080"
    /// A request head must be complete this long after a connection opens or its previous
    /// response ends (`REQUEST_HEAD_TIMEOUT`); see `ConnectionLimits`.
    public var requestHeadTimeout: Duration = .seconds(10)
    /// Rendered pages kept, in bytes of body storage (gzip variants included) and headers
    /// (`PAGE_CACHE_MB`); 24 MiB keeps a 10,000-product catalog under 150 MB resident. 0 keeps
    /// none: every request renders (benchmarks of the render itself, debugging).
    public var pageCacheBytes = AppConfiguration.defaultPageCacheBytes
    /// Full product descriptions kept for product pages and API answers (the catalog index holds
    /// excerpts only): a quarter of `PAGE_CACHE_MB`, at least 1 MiB; with the page cache off
    /// (`PAGE_CACHE_MB=0`), a quarter of the default, so that a render measured without the page
    /// cache is not one that reads its description from Directus again.
    public var descriptionCacheBytes: Int { max(1 << 20, (pageCacheBytes == 0 ? Self.defaultPageCacheBytes : pageCacheBytes) / 4) }
    public static let defaultPageCacheBytes = 24 << 20
    /// How long a keep-alive connection may sit idle between requests (`KEEPALIVE_TIMEOUT`).
    public var keepAliveTimeout: Duration = .seconds(75)
    public var logLevel: Logger.Level = .info
    /// Where the Mustache templates and static files are (`TEMPLATES_DIR`, `PUBLIC_DIR`):
    /// `templates` and `public` in the working directory, else where `make install` put them
    /// next to the binary (`PREFIX/share/catalog-bff/…`). Symbolic links are followed.
    public var templatesDirectory = "templates"
    public var publicDirectory = "public"
    /// The service's own files (`DATA_DIR`): the SQLite database, mail files and the image cache
    /// live here unless their own settings say otherwise.
    public var dataDirectory = "var"
    /// CIDRs whose `X-Forwarded-For` is believed.
    public var trustedProxies: [CIDR] = []
    /// Clients that may read `/metrics` and the detailed `/readyz` without the admin token
    /// (`METRICS_ALLOW`; by default loopback and the trusted proxies).
    public var metricsAllow: [CIDR] = AppConfiguration.loopback
    static let loopback = [CIDR("127.0.0.0/8")!, CIDR("::1")!]
    /// This instance's name among the deployment's (`INSTANCE_ID`; by default host name and
    /// port): it must survive restarts, so that a restarted instance takes back its work at once.
    public var instanceID: String?
    /// Secrets shorter than this stop start-up: a short one can be guessed.
    public static let minimumSecretLength = Environment.minimumSecretLength
    /// nil: the admin routes answer 403.
    public var adminToken: String?
    /// Ingest key → source name (`telegram`).
    public var ingestKeys: [String: String] = [:]
    /// nil: `POST /webhook/directus` answers 404.
    public var directusWebhookSecret: String?
    /// nil: the editor preview answers 404.
    public var previewSecret: String?
    /// The `?token=` amoCRM's event webhook must carry: `AMOCRM_WEBHOOK_TOKEN`, or derived from
    /// the integration's secret; nil only while amoCRM is off.
    public var amoCRMWebhookToken: String?
    /// nil: no limit (`off`, for load tests).
    public var orderRateLimit: RateLimit? = RateLimit(count: 20, period: .seconds(60))
    /// `INDEXNOW_KEY`, `INDEXNOW_ENDPOINT`.
    var indexNow = IndexNowSettings()

    public init() {}

    /// `INSTANCE_ID`, or this host's name and port.
    public var instance: String {
        instanceID ?? "\(ProcessInfo.processInfo.hostName):\(port)"
    }

    public init(environment values: [String: String]) throws(ConfigurationError) {
        let env = Environment(values)
        templatesDirectory = Self.directory(env["TEMPLATES_DIR"], installed: "templates")
        publicDirectory = Self.directory(env["PUBLIC_DIR"], installed: "public")
        if let directory = env["DATA_DIR"] { dataDirectory = directory }
        if let host = env["HOST"] { self.host = host }
        if let port = env["PORT"] {
            guard let number = Int(port), (1...65_535).contains(number) else {
                throw ConfigurationError(variable: "PORT", reason: "must be a port number from 1 to 65535, got '\(port)'")
            }
            self.port = number
        }
        publicBaseURL = try Environment.httpURL(env["PUBLIC_BASE_URL"] ?? "http://\(host):\(port)", variable: "PUBLIC_BASE_URL")

        catalog = try CatalogSettings(environment: env)
        assets = try AssetSettings(environment: env, dataDirectory: dataDirectory)
        database = try DatabaseLocation(environment: env, dataDirectory: dataDirectory)
        mail = try MailSettings(environment: env, dataDirectory: dataDirectory)
        leads = try LeadSettings(environment: env)
        amoCRM = try AmoCRMConfiguration.read(env, redirectURI: publicBaseURL + SiteURL.Route.amoCRMCallback.rawValue)
        alerts = try AlertSettings(environment: env)
        passports = try PassportSettings(environment: env)

        if let megabytes = try env.number("PAGE_CACHE_MB", in: 0...4_096, unit: "MiB") { pageCacheBytes = megabytes << 20 }
        if let seconds = try env.number("REQUEST_HEAD_TIMEOUT", in: 1...300, unit: "seconds") { requestHeadTimeout = .seconds(seconds) }
        if let seconds = try env.number("KEEPALIVE_TIMEOUT", in: 1...3_600, unit: "seconds") { keepAliveTimeout = .seconds(seconds) }
        if let proxies = env["TRUSTED_PROXIES"] { trustedProxies = try Self.networks(proxies, variable: "TRUSTED_PROXIES") }
        metricsAllow = try env["METRICS_ALLOW"].map { text throws(ConfigurationError) in
            try Self.networks(text, variable: "METRICS_ALLOW")
        } ?? Self.loopback + trustedProxies
        directusWebhookSecret = try env.secret("DIRECTUS_WEBHOOK_SECRET")
        previewSecret = try env.secret("PREVIEW_SECRET")
        adminToken = try env.secret("ADMIN_TOKEN")
        if let keys = env["INGEST_KEYS"] {
            for pair in keys.split(separator: ",") {
                let parts = pair.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, !parts[0].isEmpty, parts[1].count >= Self.minimumSecretLength else {
                    throw ConfigurationError(
                        variable: "INGEST_KEYS",
                        reason: "expected source:key pairs with keys of \(Self.minimumSecretLength)+ characters, e.g. telegram:6f1c0d9a2b7e4f38a1")
                }
                ingestKeys[parts[1]] = parts[0]
            }
        }
        amoCRMWebhookToken = try env.secret("AMOCRM_WEBHOOK_TOKEN")
        // The webhook is unsigned: whenever amoCRM is configured its address carries a token.
        // Without one set, it is derived from the integration's secret (or the long-lived
        // token), which only the operator and amoCRM know; `/admin` shows the address.
        if amoCRMWebhookToken == nil, let amo = amoCRM, let secret = amo.clientSecret ?? amo.longLivedToken {
            amoCRMWebhookToken = Secrets.derived(from: secret, purpose: "catalog-bff amoCRM webhook " + amo.subdomain)
        }
        if let id = env["INSTANCE_ID"] {
            guard id.count <= 100, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }) else {
                throw ConfigurationError(variable: "INSTANCE_ID", reason: "letters, digits, - _ . : only, up to 100 characters")
            }
            instanceID = id
        }
        indexNow = try IndexNowSettings(environment: env)
        // IndexNow announces the site's public addresses: a guessed local one would be refused.
        if indexNow.key != nil, env["PUBLIC_BASE_URL"] == nil {
            throw ConfigurationError(variable: "INDEXNOW_KEY", reason: "needs PUBLIC_BASE_URL, the site's public address (https://…), whose pages it announces")
        }
        if let limit = env["ORDER_RATE_LIMIT"] {
            guard let parsed = RateLimit.parse(limit) else {
                throw ConfigurationError(variable: "ORDER_RATE_LIMIT", reason: "expected N/s, N/min, N/h or off, got '\(limit)'")
            }
            orderRateLimit = parsed.count == 0 ? nil : parsed
        }
        if let level = env["LOG_LEVEL"] {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError(variable: "LOG_LEVEL", reason: "must be one of \(names), got '\(level)'")
            }
            logLevel = parsed
        }
    }

    /// Comma-separated addresses and CIDRs.
    static func networks(_ text: String, variable: String) throws(ConfigurationError) -> [CIDR] {
        try text.split(separator: ",").map { item throws(ConfigurationError) in
            let entry = item.trimmingCharacters(in: .whitespaces)
            guard let cidr = CIDR(entry) else {
                throw ConfigurationError(variable: variable, reason: "'\(entry)' is not an address or CIDR like 10.0.0.0/8")
            }
            return cidr
        }
    }

    /// A directory as set, or by default `name` in the working directory, else the installed
    /// copy (`<binary>/../share/catalog-bff/name`) when there is one; symbolic links resolved,
    /// so a release folder that links to its templates works like the templates themselves.
    static func directory(_ setting: String?, installed name: String) -> String {
        let fileManager = FileManager.default
        var path = setting ?? name
        if setting == nil, !fileManager.fileExists(atPath: name), let executable = Bundle.main.executableURL {
            let shared = executable.resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("share/catalog-bff/\(name)").path
            if fileManager.fileExists(atPath: shared) { path = shared }
        }
        return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }
}
