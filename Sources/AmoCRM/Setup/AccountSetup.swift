/// `catalog-bff amocrm-setup`: brings an amoCRM account to what catalog-bff needs and says
/// what to paste into the settings. It lists pipelines, stages and deal fields; finds the deal
/// fields catalog-bff fills (by the code it gives them, else by name and a usable type, else the
/// id already configured) and creates only those missing, in one request; and registers the
/// status webhook for this site unless it is there. A second run finds everything and changes
/// nothing (amoCRM would happily create a second field of the same name).
public struct AccountSetup: Sendable {
    let account: AccountSettings

    public init(api: AmoCRMAPI) {
        account = AccountSettings(api: api)
    }

    public struct Plan: Sendable {
        public var summary: AccountSettings.Summary
        public var pipelines: [AccountSettings.Pipeline]
        public var fields: [AccountSettings.Field]
        /// Each field catalog-bff fills: the account's field, or nil (to be created).
        public var resolved: [(field: DealField, existing: AccountSettings.Field?)]
        public var webhook: WebhookState

        public var missing: [DealField] { resolved.filter { $0.existing == nil }.map(\.field) }
        public var changesNothing: Bool { missing.isEmpty && webhook.isRegistered }
    }

    public enum WebhookState: Sendable {
        case registered
        case disabled
        case missing
        /// The token may not read or add webhooks (not an admin, or not on this plan): 403.
        case notAllowed(String)

        var isRegistered: Bool {
            if case .registered = self { return true }
            if case .notAllowed = self { return true }
            return false
        }
    }

    /// The webhook's address as it may be shown: without its query, which holds the token. Cut
    /// on scalars (a `?` followed by a combining mark is one `Character`, not a `?`).
    public static func withoutQuery(_ url: String) -> String {
        guard let mark = url.unicodeScalars.firstIndex(of: "?") else { return url }
        return String(url.unicodeScalars[..<mark])
    }

    /// The event catalog-bff listens to: a deal's status changed.
    public static let webhookEvents = ["status_lead"]

    public func plan(configured: AmoCRMConfiguration.CustomFields, webhookURL: String) async throws -> Plan {
        let summary = try await account.summary()
        let pipelines = try await account.pipelines()
        let fields = try await account.dealFields()
        let resolved = DealField.allCases.map { wanted in (wanted, Self.match(wanted, in: fields, configured: configured)) }
        let webhook: WebhookState
        do {
            let hooks = try await account.webhooks(destination: webhookURL).filter { $0.settings.contains("status_lead") }
            webhook = hooks.isEmpty ? .missing : hooks.contains { !$0.disabled } ? .registered : .disabled
        } catch let refused as AccountSettings.Refused where refused.status == 403 {
            webhook = .notAllowed(refused.detail)
        }
        return Plan(summary: summary, pipelines: pipelines, fields: fields, resolved: resolved, webhook: webhook)
    }

    /// The account's field for `wanted`: ours by code; else one a manager made with the same name
    /// and a usable type; else the configured id when its type is usable.
    static func match(_ wanted: DealField, in fields: [AccountSettings.Field], configured: AmoCRMConfiguration.CustomFields) -> AccountSettings.Field? {
        if let ours = fields.first(where: { $0.code == wanted.code }) { return ours }
        if let named = fields.first(where: { $0.name == wanted.name && wanted.acceptedTypes.contains($0.type) }) { return named }
        if let id = wanted.id(in: configured), let field = fields.first(where: { $0.id == id }), wanted.acceptedTypes.contains(field.type) {
            return field
        }
        return nil
    }

    public struct Outcome: Sendable {
        public var created: [DealField: AccountSettings.Field] = [:]
        public var webhookAdded = false
        public var webhookProblem: String?
    }

    /// Creates what the plan lacks. A webhook amoCRM refuses (403: a plan without API webhooks)
    /// is reported, not fatal: leads do not depend on it.
    public func apply(_ plan: Plan, webhookURL: String) async throws -> Outcome {
        var outcome = Outcome()
        let missing = plan.missing
        if !missing.isEmpty {
            let created = try await account.createDealFields(missing.map { ($0.rawValue, $0.name, $0.createdType, $0.code) })
            for field in missing {
                guard let made = created[field.rawValue] else {
                    throw AmoCRMError.invalidResponse("amoCRM did not return the created field «\(field.name)»")
                }
                outcome.created[field] = made
            }
        }
        switch plan.webhook {
        case .missing, .disabled:
            do {
                // A second POST for the same destination is undocumented (a duplicate, or not):
                // a switched-off hook goes first.
                if case .disabled = plan.webhook { try await account.deleteWebhook(destination: webhookURL) }
                try await account.addWebhook(destination: webhookURL, settings: Self.webhookEvents)
                outcome.webhookAdded = true
            } catch let refused as AccountSettings.Refused where refused.status == 403 {
                outcome.webhookProblem = "amoCRM не дал добавить вебхук (403: нужен администратор или тариф с вебхуками)"
            }
        case .registered, .notAllowed:
            break
        }
        return outcome
    }

    /// What to paste into the settings: the field ids, and the pipeline and stage when none is set
    /// (the main pipeline's first working stage, as a suggestion).
    public static func settings(_ plan: Plan, _ outcome: Outcome?, configuration: AmoCRMConfiguration) -> [String] {
        var lines: [String] = []
        if configuration.pipelineID == nil,
            let main = plan.pipelines.first(where: { $0.isMain && !$0.isArchive }) ?? plan.pipelines.first(where: { !$0.isArchive }),
            let first = main.statuses.first(where: { $0.type == 0 && $0.id != 142 && $0.id != 143 })
        {
            lines.append("AMOCRM_PIPELINE_ID=\(main.id)")
            lines.append("AMOCRM_STATUS_ID=\(first.id)")
        }
        for (wanted, existing) in plan.resolved {
            if let id = existing?.id ?? outcome?.created[wanted]?.id { lines.append("\(wanted.variable)=\(id)") }
        }
        return lines
    }
}
