import AmoCRM
import Foundation
import Logging
import Mail
import Storage

/// A configuration value that cannot be used; start-up stops with this one line.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public var variable: String
    public var reason: String

    public var description: String { "\(variable): \(reason)" }
}

/// All settings, read once from the environment. Defaults live here only.
public struct AppConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Without a trailing slash: `http://127.0.0.1:8080`.
    public var publicBaseURL = "http://127.0.0.1:8080"
    public var directusURL: String?
    public var directusToken: String?
    /// One Directus request (`DIRECTUS_TIMEOUT`); an uncached page then answers the 503 page.
    public var directusTimeout: Duration = .seconds(5)
    /// A request head must be complete this long after a connection opens or its previous
    /// response ends (`REQUEST_HEAD_TIMEOUT`); see `ConnectionLimits`.
    public var requestHeadTimeout: Duration = .seconds(10)
    /// The largest JSON answer read from Directus (`DIRECTUS_MAX_RESPONSE_MB`); lists come in pages.
    public var directusMaxResponseBytes = 32 << 20
    /// Rendered pages kept, in bytes of body storage (gzip variants included) and headers
    /// (`PAGE_CACHE_MB`); 24 MiB keeps a 10,000-product catalog under 150 MB resident.
    public var pageCacheBytes = 24 << 20
    /// Full product descriptions kept for product pages and API answers (the catalog index holds
    /// excerpts only): a quarter of `PAGE_CACHE_MB`, at least 1 MiB.
    public var descriptionCacheBytes: Int { max(1 << 20, pageCacheBytes / 4) }
    /// How long a keep-alive connection may sit idle between requests (`KEEPALIVE_TIMEOUT`).
    public var keepAliveTimeout: Duration = .seconds(75)
    public var catalogFresh: Duration = .seconds(60)
    public var catalogStale: Duration = .seconds(86_400)
    public var logLevel: Logger.Level = .info
    /// Where the Mustache templates and static files are (`TEMPLATES_DIR`, `PUBLIC_DIR`):
    /// `templates` and `public` in the working directory, else where `make install` put them
    /// next to the binary (`PREFIX/share/catalog-bff/…`). Symbolic links are followed.
    public var templatesDirectory = "templates"
    public var publicDirectory = "public"
    /// The service's own files (`DATA_DIR`): the SQLite database, mail files and the image cache
    /// live here unless their own settings say otherwise.
    public var dataDirectory = "var"
    /// The image proxy's disk cache (`ASSET_CACHE_DIR`) and its size cap (`ASSET_CACHE_MAX_MB`).
    public var assetCacheDirectory = "var/assets"
    public var assetCacheMaxBytes = 512 << 20

    public var database: DatabaseLocation = .sqlite(path: "var/catalog-bff.sqlite")
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
    public static let minimumSecretLength = 16
    /// nil: SMTP is off and mail is written as files to `mailDirectory`.
    public var smtp: SMTPMailTransport.Configuration?
    public var mailFrom = MailAddress("orders@localhost")
    public var mailTo = [MailAddress("orders@localhost")]
    public var mailDirectory = "var/mail"
    /// Erase customers' personal data from leads delivered longer ago (`LEAD_RETENTION_DAYS`);
    /// nil: keep it.
    public var leadRetentionDays: Int?
    /// Operator alerts go here (`ALERT_TO`); nil: to `mailTo`.
    public var alertTo: [MailAddress]?
    /// How long a failing channel or Directus is tolerated before it is an incident (`ALERT_AFTER`).
    public var alertAfter: Duration = .seconds(600)
    /// nil: the admin routes answer 403.
    public var adminToken: String?
    /// Ingest key → source name (`telegram`).
    public var ingestKeys: [String: String] = [:]
    /// nil: `POST /webhook/directus` answers 404.
    public var directusWebhookSecret: String?
    /// nil: the editor preview answers 404.
    public var previewSecret: String?
    /// nil: amoCRM delivery is off (leads wait, nothing is lost).
    public var amoCRM: AmoCRMConfiguration?
    /// The `?token=` amoCRM's event webhook must carry: `AMOCRM_WEBHOOK_TOKEN`, or derived from
    /// the integration's secret; nil only while amoCRM is off.
    public var amoCRMWebhookToken: String?
    /// Delivery attempts per lead and channel before a row is dead (`OUTBOX_MAX_ATTEMPTS`).
    public var outboxMaxAttempts = 10
    /// The warranty a digital passport shows, in months (`PASSPORT_WARRANTY_MONTHS`).
    public var passportWarrantyMonths = 12
    /// How long a worker owns a claimed row; after it the row is claimed again, which is how
    /// deliveries interrupted by a crash resume (`OUTBOX_LEASE_SECONDS`).
    public var outboxLease: Duration = .seconds(120)
    /// nil: no limit (`off`, for load tests).
    public var orderRateLimit: RateLimit? = RateLimit(count: 20, period: .seconds(60))

    public init() {}

    /// `INSTANCE_ID`, or this host's name and port.
    public var instance: String {
        instanceID ?? "\(ProcessInfo.processInfo.hostName):\(port)"
    }

    public init(environment env: [String: String]) throws(ConfigurationError) {
        func value(_ name: String) -> String? {
            guard let raw = env[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        templatesDirectory = Self.directory(value("TEMPLATES_DIR"), installed: "templates")
        publicDirectory = Self.directory(value("PUBLIC_DIR"), installed: "public")
        if let directory = value("DATA_DIR") { dataDirectory = directory }
        assetCacheDirectory = dataDirectory + "/assets"
        mailDirectory = dataDirectory + "/mail"
        database = .sqlite(path: dataDirectory + "/catalog-bff.sqlite")
        if let host = value("HOST") { self.host = host }
        if let port = value("PORT") {
            guard let number = Int(port), (1...65_535).contains(number) else {
                throw ConfigurationError(variable: "PORT", reason: "must be a port number from 1 to 65535, got '\(port)'")
            }
            self.port = number
        }
        publicBaseURL = try Self.httpURL(value("PUBLIC_BASE_URL") ?? "http://\(host):\(port)", variable: "PUBLIC_BASE_URL")
        if let directus = value("DIRECTUS_URL") {
            directusURL = try Self.httpURL(directus, variable: "DIRECTUS_URL")
        }
        directusToken = value("DIRECTUS_TOKEN")
        if let seconds = try Self.number(value("DIRECTUS_TIMEOUT"), variable: "DIRECTUS_TIMEOUT", in: 1...120, unit: "seconds") {
            directusTimeout = .seconds(seconds)
        }
        if let megabytes = try Self.number(value("DIRECTUS_MAX_RESPONSE_MB"), variable: "DIRECTUS_MAX_RESPONSE_MB", in: 1...1_024, unit: "MiB") {
            directusMaxResponseBytes = megabytes << 20
        }
        if let megabytes = try Self.number(value("PAGE_CACHE_MB"), variable: "PAGE_CACHE_MB", in: 1...4_096, unit: "MiB") {
            pageCacheBytes = megabytes << 20
        }
        if let seconds = try Self.number(value("REQUEST_HEAD_TIMEOUT"), variable: "REQUEST_HEAD_TIMEOUT", in: 1...300, unit: "seconds") {
            requestHeadTimeout = .seconds(seconds)
        }
        if let seconds = try Self.number(value("KEEPALIVE_TIMEOUT"), variable: "KEEPALIVE_TIMEOUT", in: 1...3_600, unit: "seconds") {
            keepAliveTimeout = .seconds(seconds)
        }
        directusWebhookSecret = try Self.secret(value("DIRECTUS_WEBHOOK_SECRET"), variable: "DIRECTUS_WEBHOOK_SECRET")
        previewSecret = try Self.secret(value("PREVIEW_SECRET"), variable: "PREVIEW_SECRET")
        if let directory = value("ASSET_CACHE_DIR") { assetCacheDirectory = directory }
        if let megabytes = value("ASSET_CACHE_MAX_MB") {
            guard let number = Int(megabytes), number >= 1, number <= 1_000_000 else {
                throw ConfigurationError(variable: "ASSET_CACHE_MAX_MB", reason: "must be a whole number of megabytes ≥ 1, got '\(megabytes)'")
            }
            assetCacheMaxBytes = number << 20
        }
        if let fresh = value("CATALOG_FRESH_SECONDS") {
            catalogFresh = .seconds(try Self.seconds(fresh, variable: "CATALOG_FRESH_SECONDS"))
        }
        if let stale = value("CATALOG_STALE_SECONDS") {
            catalogStale = .seconds(try Self.seconds(stale, variable: "CATALOG_STALE_SECONDS"))
        }
        guard catalogStale >= catalogFresh else {
            throw ConfigurationError(
                variable: "CATALOG_STALE_SECONDS", reason: "must not be shorter than CATALOG_FRESH_SECONDS")
        }
        if let url = value("DATABASE_URL") {
            do {
                database = try DatabaseLocation(url: url)
            } catch {
                throw ConfigurationError(variable: "DATABASE_URL", reason: error.reason)
            }
        }
        if let proxies = value("TRUSTED_PROXIES") {
            trustedProxies = try Self.networks(proxies, variable: "TRUSTED_PROXIES")
        }
        metricsAllow = try value("METRICS_ALLOW").map { text throws(ConfigurationError) in
            try Self.networks(text, variable: "METRICS_ALLOW")
        } ?? Self.loopback + trustedProxies
        try readMail(value)
        leadRetentionDays = try Self.number(value("LEAD_RETENTION_DAYS"), variable: "LEAD_RETENTION_DAYS", in: 1...3_650, unit: "days")
        if let raw = value("ALERT_TO") { alertTo = try Self.addresses(raw, variable: "ALERT_TO") }
        if let raw = value("ALERT_AFTER") { alertAfter = try Self.duration(raw, variable: "ALERT_AFTER", in: 0...86_400) }
        adminToken = try Self.secret(value("ADMIN_TOKEN"), variable: "ADMIN_TOKEN")
        if let keys = value("INGEST_KEYS") {
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
        if let subdomain = value("AMOCRM_SUBDOMAIN") {
            guard subdomain.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
                throw ConfigurationError(variable: "AMOCRM_SUBDOMAIN", reason: "expected the account's subdomain, e.g. example for example.amocrm.ru")
            }
            let base = try value("AMOCRM_BASE_URL").map { url throws(ConfigurationError) in try Self.httpURL(url, variable: "AMOCRM_BASE_URL") }
            let auth = try Self.httpURL(value("AMOCRM_AUTH_URL") ?? "https://www.amocrm.ru/oauth", variable: "AMOCRM_AUTH_URL")
            let redirect = try Self.httpURL(value("AMOCRM_REDIRECT_URI") ?? publicBaseURL + SiteURL.Route.amoCRMCallback.rawValue, variable: "AMOCRM_REDIRECT_URI")
            let longLived = value("AMOCRM_LONG_LIVED_TOKEN")
            let clientID = value("AMOCRM_CLIENT_ID")
            let clientSecret = value("AMOCRM_CLIENT_SECRET")
            if longLived == nil, clientID == nil || clientSecret == nil {
                throw ConfigurationError(
                    variable: clientID == nil ? "AMOCRM_CLIENT_ID" : "AMOCRM_CLIENT_SECRET",
                    reason: "is required with AMOCRM_SUBDOMAIN (or set AMOCRM_LONG_LIVED_TOKEN)")
            }
            var amo = AmoCRMConfiguration(
                subdomain: subdomain, baseURL: base, authURL: auth, clientID: clientID, clientSecret: clientSecret,
                redirectURI: redirect, longLivedToken: longLived)
            func id(_ name: String) throws(ConfigurationError) -> Int? {
                guard let raw = value(name) else { return nil }
                guard let number = Int(raw), number > 0 else {
                    throw ConfigurationError(variable: name, reason: "must be a numeric amoCRM id, got '\(raw)'")
                }
                return number
            }
            amo.pipelineID = try id("AMOCRM_PIPELINE_ID")
            amo.statusID = try id("AMOCRM_STATUS_ID")
            amo.responsibleUserID = try id("AMOCRM_RESPONSIBLE_USER_ID")
            amo.fields = AmoCRMConfiguration.CustomFields(
                product: try id("AMOCRM_FIELD_PRODUCT"), sku: try id("AMOCRM_FIELD_SKU"), quantity: try id("AMOCRM_FIELD_QUANTITY"),
                productURL: try id("AMOCRM_FIELD_PRODUCT_URL"), comment: try id("AMOCRM_FIELD_COMMENT"),
                serial: try id("AMOCRM_FIELD_SERIAL"))
            if let raw = value("AMOCRM_DUPLICATE_CONTROL") {
                switch raw.lowercased() {
                case "on", "true", "1": amo.duplicateControl = true
                case "off", "false", "0": amo.duplicateControl = false
                default:
                    throw ConfigurationError(variable: "AMOCRM_DUPLICATE_CONTROL", reason: "must be on or off, got '\(raw)'")
                }
            }
            amoCRM = amo
        }
        amoCRMWebhookToken = try Self.secret(value("AMOCRM_WEBHOOK_TOKEN"), variable: "AMOCRM_WEBHOOK_TOKEN")
        // The webhook is unsigned: whenever amoCRM is configured its address carries a token.
        // Without one set, it is derived from the integration's secret (or the long-lived
        // token), which only the operator and amoCRM know; `/admin` shows the address.
        if amoCRMWebhookToken == nil, let amo = amoCRM, let secret = amo.clientSecret ?? amo.longLivedToken {
            amoCRMWebhookToken = Secrets.derived(from: secret, purpose: "catalog-bff amoCRM webhook " + amo.subdomain)
        }
        if let months = try Self.number(value("PASSPORT_WARRANTY_MONTHS"), variable: "PASSPORT_WARRANTY_MONTHS", in: 0...600, unit: "months") {
            passportWarrantyMonths = months
        }
        if let raw = value("OUTBOX_MAX_ATTEMPTS") {
            guard let number = Int(raw), (1...100).contains(number) else {
                throw ConfigurationError(variable: "OUTBOX_MAX_ATTEMPTS", reason: "must be a number from 1 to 100, got '\(raw)'")
            }
            outboxMaxAttempts = number
        }
        if let raw = value("OUTBOX_LEASE_SECONDS") {
            guard let number = Int(raw), (1...86_400).contains(number) else {
                throw ConfigurationError(variable: "OUTBOX_LEASE_SECONDS", reason: "must be a number of seconds from 1, got '\(raw)'")
            }
            outboxLease = .seconds(number)
        }
        if let id = value("INSTANCE_ID") {
            guard id.count <= 100, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }) else {
                throw ConfigurationError(variable: "INSTANCE_ID", reason: "letters, digits, - _ . : only, up to 100 characters")
            }
            instanceID = id
        }
        if let limit = value("ORDER_RATE_LIMIT") {
            guard let parsed = RateLimit.parse(limit) else {
                throw ConfigurationError(variable: "ORDER_RATE_LIMIT", reason: "expected N/s, N/min, N/h or off, got '\(limit)'")
            }
            orderRateLimit = parsed.count == 0 ? nil : parsed
        }
        if let level = value("LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError(variable: "LOG_LEVEL", reason: "must be one of \(names), got '\(level)'")
            }
            logLevel = parsed
        }
    }

    private mutating func readMail(_ value: (String) -> String?) throws(ConfigurationError) {
        if let directory = value("MAIL_DIR") { mailDirectory = directory }
        let user = value("SMTP_USER")
        guard let host = value("SMTP_HOST") else {
            mailFrom = MailAddress(value("MAIL_FROM") ?? "orders@localhost")
            mailTo = try Self.addresses(value("MAIL_TO") ?? "orders@localhost", variable: "MAIL_TO")
            return
        }
        var security = SMTPMailTransport.Security.ssl
        if let raw = value("SMTP_SECURITY") {
            guard let parsed = SMTPMailTransport.Security(rawValue: raw.lowercased()) else {
                throw ConfigurationError(variable: "SMTP_SECURITY", reason: "must be ssl, starttls or none, got '\(raw)'")
            }
            security = parsed
        }
        var port: Int?
        if let raw = value("SMTP_PORT") {
            guard let number = Int(raw), (1...65_535).contains(number) else {
                throw ConfigurationError(variable: "SMTP_PORT", reason: "must be a port number, got '\(raw)'")
            }
            port = number
        }
        if let caFile = value("SMTP_CA_FILE"), !FileManager.default.isReadableFile(atPath: caFile) {
            throw ConfigurationError(variable: "SMTP_CA_FILE", reason: "cannot read \(caFile)")
        }
        smtp = SMTPMailTransport.Configuration(
            host: host, port: port, security: security, user: user, password: value("SMTP_PASSWORD"),
            caFile: value("SMTP_CA_FILE"))
        guard let from = value("MAIL_FROM") ?? user else {
            throw ConfigurationError(variable: "MAIL_FROM", reason: "is required with SMTP_HOST (or set SMTP_USER)")
        }
        guard Self.isMailbox(from) else {
            throw ConfigurationError(variable: "MAIL_FROM", reason: "'\(from)' is not an e-mail address")
        }
        mailFrom = MailAddress(from)
        guard let to = value("MAIL_TO") else {
            throw ConfigurationError(variable: "MAIL_TO", reason: "is required with SMTP_HOST: where orders are sent")
        }
        mailTo = try Self.addresses(to, variable: "MAIL_TO")
    }

    /// `name@domain`; unlike visitors' addresses, a dotless domain (`orders@localhost`) is fine.
    static func isMailbox(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && !text.contains(where: { $0.isWhitespace || "<>,;\"".contains($0) })
    }

    static func addresses(_ raw: String, variable: String) throws(ConfigurationError) -> [MailAddress] {
        let list = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !list.isEmpty else { throw ConfigurationError(variable: variable, reason: "needs at least one address") }
        for address in list where !Self.isMailbox(address) {
            throw ConfigurationError(variable: variable, reason: "'\(address)' is not an e-mail address")
        }
        return list.map { MailAddress($0) }
    }

    /// An absolute http(s) URL without a trailing slash.
    static func httpURL(_ raw: String, variable: String) throws(ConfigurationError) -> String {
        guard let url = URL(string: raw), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            throw ConfigurationError(variable: variable, reason: "must be an absolute http:// or https:// URL, got '\(raw)'")
        }
        var text = raw
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// A secret a visitor presents (admin token, preview and webhook secrets): long enough
    /// not to be guessed. The value itself is never part of the error.
    static func secret(_ raw: String?, variable: String) throws(ConfigurationError) -> String? {
        guard let raw else { return nil }
        guard raw.count >= minimumSecretLength else {
            throw ConfigurationError(
                variable: variable, reason: "must be at least \(minimumSecretLength) characters long (it has \(raw.count)); generate one with: openssl rand -hex 24")
        }
        return raw
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

    /// A whole number of `unit` within `range` (nil when the variable is not set), or an error
    /// naming the variable.
    static func number(_ raw: String?, variable: String, in range: ClosedRange<Int>, unit: String) throws(ConfigurationError) -> Int? {
        guard let raw else { return nil }
        guard let number = Int(raw), range.contains(number) else {
            throw ConfigurationError(
                variable: variable, reason: "must be a number of \(unit) from \(range.lowerBound) to \(range.upperBound), got '\(raw)'")
        }
        return number
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

    /// `90`, `90s`, `10m`, `2h`: a duration within `range` seconds.
    static func duration(_ raw: String, variable: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Duration {
        let text = raw.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(suffix: String, seconds: Int)] = [("h", 3_600), ("m", 60), ("s", 1)]
        let unit = units.first { text.hasSuffix($0.suffix) }
        let digits = unit.map { String(text.dropLast($0.suffix.count)) } ?? text
        guard digits.count <= 6, let number = Int(digits), number >= 0, range.contains(number * (unit?.seconds ?? 1)) else {
            throw ConfigurationError(
                variable: variable, reason: "must be a duration such as 90s, 10m or 2h, at most \(range.upperBound / 3_600) h, got '\(raw)'")
        }
        return .seconds(number * (unit?.seconds ?? 1))
    }

    static func seconds(_ raw: String, variable: String) throws(ConfigurationError) -> Int {
        guard let number = Int(raw), number >= 0 else {
            throw ConfigurationError(variable: variable, reason: "must be a whole number of seconds, got '\(raw)'")
        }
        return number
    }
}
