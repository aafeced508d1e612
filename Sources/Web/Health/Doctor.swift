import Alerts
import AmoCRM
import AsyncHTTPClient
import Basics
import Catalog
import Logging
import Mail
import Storage
import Foundation
import Synchronization

/// `catalog-bff doctor` and `/admin/health`: every configured service checked live, each module
/// by its own rules (`DirectusDoctor`, `AmoCRMDoctor`, `MailSettings.diagnose`, …), all at once,
/// each part within its own deadline, so the answer comes in time even when a service hangs.
public struct Doctor: Sendable {
    let configuration: AppConfiguration
    /// The longest any part may take; the database gets a third of it, amoCRM (which reads its
    /// tokens from the database) the rest.
    let deadline: Duration
    let logger: Logger

    public init(configuration: AppConfiguration, deadline: Duration = .seconds(8), logger: Logger) {
        self.configuration = configuration
        self.deadline = deadline
        self.logger = logger
    }

    /// What the running service already holds: its database and amoCRM connection.
    struct Running: Sendable {
        var database: any Database
        var amoCRM: (api: AmoCRMAPI, tokens: TokenManager)?
    }

    /// The command line's run: it opens what it needs (the database without migrating it).
    public func examine() async -> [Diagnosis] {
        await examine(running: nil)
    }

    func examine(running: Running?) async -> [Diagnosis] {
        let configuration = configuration
        let settings =
            configuration.localAddressReason.map { Diagnosis.warning("settings", $0, fix: "задайте PUBLIC_BASE_URL=https://… — публичный адрес сайта") }
            ?? .ok("settings", "настройки прочитаны (\(configuration.publicBaseURL))")
        async let catalog = Diagnosis.within(deadline, check: "directus.server", fix: "проверьте DIRECTUS_URL и что Directus отвечает") {
            await directus()
        }
        async let mail = Diagnosis.within(deadline, check: "smtp", fix: "проверьте SMTP_HOST и SMTP_PORT: сервер не отвечает") {
            // libcurl's own limit a second later: the deadline answers first, the thread comes back soon after.
            await configuration.mail.diagnose(timeout: deadline + .seconds(1))
        }
        let alerts = configuration.alerts.diagnose(mail: configuration.mail)

        let database = Mutex<(any Database)?>(running?.database)
        let databaseDeadline = deadline / 3
        let stored = await Diagnosis.within(databaseDeadline, check: "database", fix: "проверьте DATABASE_URL: сервер базы не отвечает") {
            if let open = running?.database { return [await configuration.database.diagnose(open)] }
            let (diagnosis, opened) = await configuration.database.diagnose(logger: logger)
            database.withLock { $0 = opened }
            return [diagnosis]
        }
        let opened = database.withLock { $0 }
        let amo = await Diagnosis.within(deadline - databaseDeadline, check: "amocrm.account", fix: "проверьте доступ к amoCRM: он не отвечает") {
            await amoCRM(database: opened, running: running?.amoCRM)
        }
        if running == nil, let opened { await opened.close() }
        return [settings] + stored + (await catalog) + amo + (await mail) + [alerts]
    }

    func directus() async -> [Diagnosis] {
        guard configuration.catalog.directusURL != nil,
            let source = try? makeCatalogSource(configuration: configuration, logger: logger) as? DirectusCatalogSource
        else {
            return [.warning("directus.server", "DIRECTUS_URL не задан: сайт показывает демо-каталог", fix: "задайте DIRECTUS_URL и DIRECTUS_TOKEN")]
        }
        return await DirectusDoctor(
            source: source, siteURL: configuration.publicBaseURL, previewSecret: configuration.previewSecret,
            webhookSecret: configuration.directusWebhookSecret
        ).diagnose()
    }

    func amoCRM(database: (any Database)?, running: (api: AmoCRMAPI, tokens: TokenManager)?) async -> [Diagnosis] {
        guard let amo = configuration.amoCRM else { return [AmoCRMDoctor.unconfigured] }
        let connection: (api: AmoCRMAPI, tokens: TokenManager)
        if let running {
            connection = running
        } else {
            guard let database else {
                return [.failure("amocrm.account", "токены amoCRM хранятся в базе, а она недоступна", fix: "сначала исправьте базу (строка database)")]
            }
            let tokens = TokenManager.stored(for: amo, in: database, clock: SystemClock(), logger: logger)
            connection = (AmoCRMAPI(configuration: amo, httpClient: HTTPClient.shared, tokens: tokens, timeout: .seconds(6)), tokens)
        }
        return await AmoCRMDoctor(
            configuration: amo, api: connection.api, tokens: connection.tokens, webhookURL: configuration.amoCRMWebhookURL
        ).diagnose()
    }

    /// The first check: the settings parse (`doctor` stops there when they do not).
    public static func settings(_ environment: [String: String]) -> Result<AppConfiguration, Diagnosis> {
        do {
            return .success(try AppConfiguration(environment: environment))
        } catch {
            return .failure(.failure("settings", "настройки не читаются: \(error)", fix: "исправьте \(error.variable) в окружении или в .env"))
        }
    }

    /// Fails when something would lose or delay leads.
    public static func healthy(_ diagnoses: [Diagnosis]) -> Bool {
        !diagnoses.contains { $0.level == .failure }
    }
}

extension Diagnosis: Error {}

extension AppConfiguration {
    /// Why `PUBLIC_BASE_URL` cannot be given to Directus or amoCRM: they would call a loopback
    /// address (the default) that is not this site for them. nil for a public address.
    public var localAddressReason: String? {
        let host = URLComponents(string: publicBaseURL)?.host?.lowercased() ?? ""
        guard host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]" || host == "0.0.0.0" else { return nil }
        return "PUBLIC_BASE_URL — \(publicBaseURL): Directus и amoCRM не достучатся до этого адреса"
    }

    /// Where amoCRM must post status changes: `PUBLIC_BASE_URL/webhook/amocrm?token=…`.
    public var amoCRMWebhookURL: String? {
        amoCRMWebhookToken.map {
            publicBaseURL + SiteURL.amoCRMCallback + "?token=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)
        }
    }
}
