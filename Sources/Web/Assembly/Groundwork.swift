import Basics
import CoreMetrics
import Logging
import Mail
import Mustache
import SafeText
import ServiceLifecycle
import Storage

/// What every feature is built on: the settings, the clock, the log, the metrics registry,
/// the database, this instance's name and heartbeat, and the mail transport and templates.
struct Groundwork {
    let configuration: AppConfiguration
    let clock: any WallClock
    let logger: Logger
    /// Every part counts into this application's own registry, served at /metrics.
    let telemetry: Telemetry
    var metrics: any MetricsFactory { telemetry.factory }
    let database: any Database
    let instance: String
    let instances: Instances
    let transport: any MailTransport
    let mailTemplates: MustacheLibrary

    init(configuration: AppConfiguration, clock: any WallClock, logger: Logger) async throws {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        telemetry = Telemetry()
        // Files first: a missing template stops start-up before anything is opened.
        mailTemplates = try MustacheLibrary(safeHTMLDirectory: configuration.templatesDirectory + "/mail")
        database = try await openDatabase(configuration.database, logger: logger, clock: clock)
        instance = configuration.instance
        instances = Instances(database: database, clock: clock)
        do {
            try await instances.heartbeat(instance)
        } catch {
            await database.close()
            throw error
        }
        transport = configuration.mail.smtp.map { SMTPMailTransport(configuration: $0) } ?? FileMailTransport(directory: configuration.mail.directory)
    }

    /// The transport, counted by the kind of mail (`lead`, `passport`, `alert`).
    func mail(_ kind: String) -> any MailTransport {
        MeteredMailTransport(transport, kind: kind, metrics: metrics)
    }

    /// A client's wrong secrets on one endpoint, counted under `name`.
    func guesses(_ name: String) -> SecretGuesses {
        SecretGuesses(name: name, trustedProxies: configuration.trustedProxies, metrics: metrics)
    }
}
