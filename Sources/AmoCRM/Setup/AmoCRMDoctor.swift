import Basics
import Foundation

/// `doctor`'s checks of amoCRM, live: the connection and its token, the account, the pipeline
/// and stage new deals go to, the deal fields catalog-bff fills, the responsible user and the
/// status webhook that feeds digital passports.
public struct AmoCRMDoctor: Sendable {
    let configuration: AmoCRMConfiguration
    let account: AccountSettings
    let tokens: TokenManager
    /// Where amoCRM must post status changes (`PUBLIC_BASE_URL/webhook/amocrm?token=…`).
    let webhookURL: String?

    public init(configuration: AmoCRMConfiguration, api: AmoCRMAPI, tokens: TokenManager, webhookURL: String?) {
        self.configuration = configuration
        account = AccountSettings(api: api, priority: .background)
        self.tokens = tokens
        self.webhookURL = webhookURL
    }

    static let connect = "catalog-bff amocrm-connect-url (или /admin/amocrm/connect)"
    static let setup = "catalog-bff amocrm-setup"

    /// amoCRM not configured: leads wait in the outbox for it.
    public static let unconfigured = Diagnosis.failure(
        "amocrm.account", "amoCRM не настроен: заявки копятся в очереди и не доходят до CRM",
        fix: "задайте AMOCRM_SUBDOMAIN, AMOCRM_CLIENT_ID, AMOCRM_CLIENT_SECRET и выполните catalog-bff amocrm-connect-url")

    public func diagnose() async -> [Diagnosis] {
        let connection = await accountCheck()
        guard connection.level != .failure else { return [connection] }
        async let pipeline = pipelineCheck()
        async let fields = fieldsCheck()
        async let user = userCheck()
        async let webhook = webhookCheck()
        return [connection, await pipeline, await fields, await user, await webhook]
    }

    func accountCheck() async -> Diagnosis {
        let check = "amocrm.account"
        let status = await tokens.status()
        if let problem = status.problem {
            return .failure(check, problem, fix: "подключите интеграцию: \(Self.connect)")
        }
        do {
            let summary = try await account.summary()
            guard summary.subdomain.isEmpty || summary.subdomain == configuration.subdomain else {
                return .failure(
                    check, "токен от аккаунта \(summary.subdomain).amocrm.ru, а AMOCRM_SUBDOMAIN=\(configuration.subdomain)",
                    fix: "исправьте AMOCRM_SUBDOMAIN или переподключите: \(Self.connect)")
            }
            var found = "аккаунт «\(summary.name)» (id \(summary.id), \(configuration.accountHost))"
            if let expiry = status.expiry {
                found += ", токен до \(MoscowTime.format(expiry)), продлевается сам"
            } else if configuration.longLivedToken != nil {
                found += ", долгосрочный токен"
            }
            return .ok(check, found)
        } catch AmoCRMError.needsReauthorization(let reason) {
            return .failure(check, "amoCRM отклоняет токен: \(reason)", fix: "переподключите: \(Self.connect)")
        } catch {
            return .failure(check, "amoCRM недоступен: \(error)", fix: "проверьте AMOCRM_SUBDOMAIN и доступ к \(configuration.baseURL)")
        }
    }

    func pipelineCheck() async -> Diagnosis {
        let check = "amocrm.pipeline"
        guard configuration.pipelineID != nil || configuration.statusID != nil else {
            return .warning(
                check, "AMOCRM_PIPELINE_ID и AMOCRM_STATUS_ID не заданы: сделки попадут в первый этап основной воронки",
                fix: "выберите воронку и этап: \(Self.setup) покажет их id")
        }
        let pipelines: [AccountSettings.Pipeline]
        do {
            pipelines = try await account.pipelines()
        } catch {
            return .failure(check, "воронки не читаются: \(error)", fix: "проверьте права пользователя интеграции")
        }
        guard let pipelineID = configuration.pipelineID else {
            return .failure(
                check, "AMOCRM_STATUS_ID задан без AMOCRM_PIPELINE_ID: этапы 142 и 143 есть в каждой воронке",
                fix: "задайте AMOCRM_PIPELINE_ID (\(Self.setup) покажет id)")
        }
        guard let pipeline = pipelines.first(where: { $0.id == pipelineID }) else {
            let known = pipelines.map { "\($0.id) «\($0.name)»" }.joined(separator: ", ")
            return .failure(check, "воронки AMOCRM_PIPELINE_ID=\(pipelineID) нет (есть: \(known))", fix: "исправьте AMOCRM_PIPELINE_ID")
        }
        guard !pipeline.isArchive else {
            return .failure(check, "воронка «\(pipeline.name)» в архиве", fix: "выберите другую воронку в AMOCRM_PIPELINE_ID")
        }
        guard let statusID = configuration.statusID else {
            return .ok(check, "воронка «\(pipeline.name)», первый этап")
        }
        guard let status = pipeline.statuses.first(where: { $0.id == statusID }) else {
            let known = pipeline.statuses.filter { $0.type != 1 }.map { "\($0.id) «\($0.name)»" }.joined(separator: ", ")
            return .failure(
                check, "в воронке «\(pipeline.name)» нет этапа AMOCRM_STATUS_ID=\(statusID) (есть: \(known))", fix: "исправьте AMOCRM_STATUS_ID")
        }
        if status.type == 1 {
            return .failure(
                check, "этап «\(status.name)» — неразобранное: сделки через API туда не ставятся", fix: "выберите в AMOCRM_STATUS_ID рабочий этап, например «Новая заявка»")
        }
        if status.id == 142 || status.id == 143 {
            return .failure(
                check, "этап «\(status.name)» закрывает сделку: каждая заявка сразу окажется закрытой", fix: "выберите в AMOCRM_STATUS_ID рабочий этап, например «Новая заявка»")
        }
        return .ok(check, "воронка «\(pipeline.name)», этап «\(status.name)»")
    }

    func fieldsCheck() async -> Diagnosis {
        let check = "amocrm.fields"
        let configured = DealField.allCases.compactMap { field in field.id(in: configuration.fields).map { (field, $0) } }
        guard !configured.isEmpty else {
            return .warning(check, "поля сделки не заданы: товар и количество будут только в примечании", fix: "создайте поля: \(Self.setup)")
        }
        let fields: [AccountSettings.Field]
        do {
            fields = try await account.dealFields()
        } catch {
            return .failure(check, "поля сделок не читаются: \(error)", fix: "проверьте права пользователя интеграции")
        }
        var problems: [String] = []
        for (wanted, id) in configured {
            guard let field = fields.first(where: { $0.id == id }) else {
                problems.append("\(wanted.variable)=\(id): такого поля у сделок нет")
                continue
            }
            if !wanted.acceptedTypes.contains(field.type) {
                problems.append("\(wanted.variable)=\(id) «\(field.name)» типа \(field.type), нужен \(wanted.acceptedTypes.sorted().joined(separator: "/"))")
            }
        }
        guard problems.isEmpty else {
            return .failure(
                check, problems.joined(separator: "; ") + ": amoCRM отклонит каждую заявку (400)",
                fix: "\(Self.setup) создаст недостающие поля и напечатает строки AMOCRM_FIELD_*")
        }
        let names = configured.compactMap { wanted, id in fields.first { $0.id == id }.map { "«\($0.name)»" } }
        return .ok(check, "поля сделки на месте: " + names.joined(separator: ", "))
    }

    func userCheck() async -> Diagnosis {
        let check = "amocrm.user"
        guard let id = configuration.responsibleUserID else {
            return .ok(check, "ответственный не задан: его назначит amoCRM (пользователь интеграции)")
        }
        do {
            guard let user = try await account.user(id) else {
                return .failure(check, "пользователя AMOCRM_RESPONSIBLE_USER_ID=\(id) нет", fix: "исправьте AMOCRM_RESPONSIBLE_USER_ID (\(Self.setup) покажет id)")
            }
            guard user.isActive else {
                return .failure(check, "пользователь «\(user.name)» (\(id)) отключён", fix: "выберите активного в AMOCRM_RESPONSIBLE_USER_ID")
            }
            return .ok(check, "ответственный «\(user.name)»")
        } catch let refused as AccountSettings.Refused where refused.status == 403 {
            return .warning(check, "пользователи видны только администратору: ответственного \(id) не проверить", fix: "подключите интеграцию от администратора")
        } catch {
            return .failure(check, "пользователь \(id): \(error)", fix: "проверьте доступ к amoCRM")
        }
    }

    func webhookCheck() async -> Diagnosis {
        let check = "amocrm.webhook"
        guard let webhookURL else {
            return .warning(check, "адрес вебхука неизвестен", fix: "задайте PUBLIC_BASE_URL")
        }
        let shown = AccountSetup.withoutQuery(webhookURL)
        do {
            let hooks = try await account.webhooks(destination: webhookURL)
            guard let hook = hooks.first(where: { $0.settings.contains("status_lead") }) else {
                return .warning(
                    check, hooks.isEmpty ? "вебхук на \(shown) не зарегистрирован: паспорта не выпускаются" : "вебхук на \(shown) не следит за сменой статуса",
                    fix: "зарегистрируйте: \(Self.setup)")
            }
            guard !hook.disabled else {
                return .warning(check, "вебхук на \(shown) отключён в amoCRM", fix: "включите его в amoCRM или выполните \(Self.setup)")
            }
            return .ok(check, "вебхук смены статуса → \(shown)")
        } catch let refused as AccountSettings.Refused where refused.status == 403 {
            return .warning(check, "вебхуки видны только администратору: не проверить", fix: "подключите интеграцию от администратора")
        } catch {
            return .failure(check, "вебхуки: \(error)", fix: "проверьте доступ к amoCRM")
        }
    }
}
