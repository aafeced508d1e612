import AmoCRM
import AsyncHTTPClient
import Basics
import Logging
import Storage

/// `catalog-bff amocrm-setup [--dry-run]`: the account's pipelines and fields listed, the deal
/// fields catalog-bff fills created where missing, the status webhook registered, and the
/// `AMOCRM_*` lines to paste printed. The connection is the one `serve` uses (tokens in the
/// database, or the long-lived token).
public struct AmoCRMSetupRun: Sendable {
    public struct Report: Sendable {
        /// What to print, in order.
        public var lines: [String]
        /// Whether the account was changed (nothing is, on a dry run or a second run).
        public var changed: Bool
    }


    let configuration: AppConfiguration
    let logger: Logger

    public init(configuration: AppConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func run(dryRun: Bool) async throws -> Report {
        guard let amo = configuration.amoCRM, let webhookURL = configuration.amoCRMWebhookURL else {
            throw SetupRefused(
                "amoCRM не настроен: задайте AMOCRM_SUBDOMAIN, AMOCRM_CLIENT_ID, AMOCRM_CLIENT_SECRET и подключите его (catalog-bff amocrm-connect-url)")
        }
        if let reason = configuration.localAddressReason { throw SetupRefused(reason) }
        // The tokens `serve` stored: the database is opened as it is, never created or migrated here.
        let (diagnosis, opened) = await configuration.database.diagnose(logger: logger)
        guard let database = opened else {
            throw SetupRefused("база: \(diagnosis.found)" + (diagnosis.fix.map { " (\($0))" } ?? ""))
        }
        do {
            let tokens = TokenManager.stored(for: amo, in: database, clock: SystemClock(), logger: logger)
            let setup = AccountSetup(api: AmoCRMAPI(configuration: amo, httpClient: HTTPClient.shared, tokens: tokens))
            let plan = try await setup.plan(configured: amo.fields, webhookURL: webhookURL)
            let outcome = dryRun || plan.changesNothing ? nil : try await setup.apply(plan, webhookURL: webhookURL)
            await database.close()
            return Report(
                lines: Self.lines(plan, outcome, configuration: amo, webhookURL: webhookURL, dryRun: dryRun),
                changed: outcome.map { !$0.created.isEmpty || $0.webhookAdded } ?? false)
        } catch {
            await database.close()
            throw error
        }
    }

    static func lines(_ plan: AccountSetup.Plan, _ outcome: AccountSetup.Outcome?, configuration: AmoCRMConfiguration, webhookURL: String, dryRun: Bool) -> [String] {
        var lines = ["Аккаунт «\(plan.summary.name)» (\(configuration.accountHost), id \(plan.summary.id))", "", "Воронки и этапы:"]
        for pipeline in plan.pipelines {
            let marks = [pipeline.isMain ? "основная" : nil, pipeline.isArchive ? "в архиве" : nil].compactMap { $0 }
            lines.append("  \(pipeline.id) «\(pipeline.name)»" + (marks.isEmpty ? "" : " (\(marks.joined(separator: ", ")))"))
            for status in pipeline.statuses {
                lines.append("    \(status.id) «\(status.name)»" + (status.type == 1 ? " (неразобранное: не для AMOCRM_STATUS_ID)" : ""))
            }
        }
        lines += ["", "Поля сделок:"]
        lines += plan.fields.map { "  \($0.id) «\($0.name)» (\($0.type))" }
        lines += ["", "Поля, которые заполняет catalog-bff:"]
        for (wanted, existing) in plan.resolved {
            if let existing {
                lines.append("  «\(wanted.name)»: есть, \(existing.id)")
            } else if let created = outcome?.created[wanted] {
                lines.append("  «\(wanted.name)»: создано, \(created.id) (\(wanted.createdType))")
            } else {
                lines.append("  «\(wanted.name)»: нет, \(dryRun ? "будет создано" : "не создано") (\(wanted.createdType))")
            }
        }
        let shown = AccountSetup.withoutQuery(webhookURL)
        let webhook: String
        switch plan.webhook {
        case .registered: webhook = "есть"
        case .notAllowed: webhook = "не проверить: вебхуки видны только администратору; добавьте его вручную (Настройки → Интеграции → Web hooks), адрес — на /admin"
        case .missing, .disabled:
            if let outcome {
                webhook = outcome.webhookAdded ? "зарегистрирован" : (outcome.webhookProblem ?? "не зарегистрирован")
            } else {
                webhook = plan.webhook.isDisabled ? "отключён, будет добавлен заново" : "нет, будет зарегистрирован"
            }
        }
        lines += ["", "Вебхук смены статуса → \(shown): \(webhook)", "", "Строки для настроек (.env):"]
        lines += AccountSetup.settings(plan, outcome, configuration: configuration)
        lines.append("")
        if dryRun {
            lines.append("--dry-run: ничего не изменено.")
        } else if let outcome, !outcome.created.isEmpty || outcome.webhookAdded {
            var done: [String] = []
            if !outcome.created.isEmpty { done.append("создано полей: \(outcome.created.count)") }
            if outcome.webhookAdded { done.append("вебхук зарегистрирован") }
            lines.append("Изменено: " + done.joined(separator: ", ") + ". Вставьте строки выше в настройки и перезапустите catalog-bff.")
        } else {
            lines.append("Ничего не изменено: всё уже на месте.")
        }
        return lines
    }
}

extension AccountSetup.WebhookState {
    var isDisabled: Bool {
        if case .disabled = self { return true }
        return false
    }
}
