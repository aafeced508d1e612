import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The account-setup side of the loopback amoCRM (`setup-apis.md`): pipelines, deal fields
/// (list in pages of 50 with `_links.next`, create from a JSON array with `request_id` echoed),
/// users (admin only) and webhooks (admin only, filtered by exact destination, deleted by
/// destination). Test controls change the account as a manager or an admin would.
extension FakeAmoCRM {
    func addSetupRoutes(to router: Router<BasicRequestContext>) {
        router.get("/api/v4/leads/pipelines") { request, _ in try await self.api(request) { self.pipelines() } }
        router.get("/api/v4/leads/custom_fields") { request, _ in try await self.api(request) { self.dealFieldList(request) } }
        router.post("/api/v4/leads/custom_fields") { request, _ in try await self.api(request) { try await self.createDealFields(request) } }
        router.get("/api/v4/users/:id") { request, context in
            try await self.api(request) { self.user(context.parameters.get("id", as: Int.self)) }
        }
        router.get("/api/v4/webhooks") { request, _ in try await self.api(request) { self.webhookList(request) } }
        router.post("/api/v4/webhooks") { request, _ in try await self.api(request) { try await self.addWebhook(request) } }
        router.delete("/api/v4/webhooks") { request, _ in try await self.api(request) { try await self.deleteWebhook(request) } }
    }

    // MARK: - Test controls

    public var dealFields: [DealFieldRecord] { state.withLock { $0.dealFields } }
    public var webhooks: [WebhookRecord] { state.withLock { $0.webhooks } }
    /// POSTs that created fields, and webhooks.
    public var fieldCreations: Int { state.withLock { $0.fieldCreations } }
    public var webhookCreations: Int { state.withLock { $0.webhookCreations } }

    /// A long-lived token (amoCRM issues one to a private integration), valid for a year.
    public func issueLongLivedToken() -> String {
        state.withLock { state in
            let token = "long-lived-\(UUID().uuidString)"
            state.access = token
            state.accessExpires = Date().addingTimeInterval(365 * 86_400)
            return token
        }
    }

    public func removeDealFields(_ ids: Set<Int>) { state.withLock { $0.dealFields.removeAll { ids.contains($0.id) } } }
    public func setNotAdmin(_ notAdmin: Bool) { state.withLock { $0.notAdmin = notAdmin } }
    public func archivePipeline() { state.withLock { $0.pipelineArchived = true } }
    public func disableWebhooks() { state.withLock { state in for index in state.webhooks.indices { state.webhooks[index].disabled = true } } }

    // MARK: - Routes

    private var adminOnly: Response? {
        guard state.withLock({ $0.notAdmin }) else { return nil }
        return problem(403, ["title": "Forbidden", "type": "https://httpstatus.es/403", "detail": "Access denied"])
    }

    private func pipelines() -> Response {
        let archived = state.withLock { $0.pipelineArchived }
        let statuses: [(Int, String, Int)] = [
            (70000010, "Неразобранное", 1), (Self.statusID, "Новая заявка с сайта", 0), (70000012, "КП отправлено", 0),
            (142, "Успешно реализовано", 0), (143, "Закрыто и не реализовано", 0),
        ]
        let pipeline: [String: Any] = [
            "id": Self.pipelineID, "name": "Продажи", "sort": 1, "is_main": true, "is_unsorted_on": true, "is_archive": archived,
            "account_id": Self.accountID,
            "_embedded": [
                "statuses": statuses.map { id, name, type in
                    ["id": id, "name": name, "type": type, "pipeline_id": Self.pipelineID, "is_editable": type == 0, "account_id": Self.accountID]
                }
            ],
        ]
        return json(["_total_items": 1, "_embedded": ["pipelines": [pipeline]]])
    }

    private static func encode(_ field: DealFieldRecord, requestID: String? = nil) -> [String: Any] {
        var entry: [String: Any] = [
            "id": field.id, "name": field.name, "type": field.type, "code": field.code ?? NSNull(), "enums": NSNull(),
            "is_api_only": false, "required_statuses": [Any](), "entity_type": "leads", "account_id": accountID,
        ]
        if let requestID { entry["request_id"] = requestID }
        return entry
    }

    private func dealFieldList(_ request: Request) -> Response {
        let limit = min(max(Int(request.uri.queryParameters.get("limit") ?? "50") ?? 50, 1), 250)
        let page = max(Int(request.uri.queryParameters.get("page") ?? "1") ?? 1, 1)
        let fields = state.withLock { $0.dealFields }
        let slice = fields.dropFirst((page - 1) * limit).prefix(limit)
        guard !slice.isEmpty else { return Response(status: .noContent) }
        var links: [String: Any] = ["self": ["href": "https://example.amocrm.ru/api/v4/leads/custom_fields?limit=\(limit)&page=\(page)"]]
        if page * limit < fields.count {
            links["next"] = ["href": "https://example.amocrm.ru/api/v4/leads/custom_fields?limit=\(limit)&page=\(page + 1)"]
        }
        return json(["_page": page, "_links": links, "_embedded": ["custom_fields": slice.map { Self.encode($0) }]])
    }

    private func createDealFields(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        guard let list = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [[String: Any]], !list.isEmpty else {
            return problem(400, ["title": "Bad Request", "detail": "Request body must be an array"])
        }
        let allowed: Set<String> = ["text", "numeric", "textarea", "url", "checkbox", "select", "date"]
        var created: [[String: Any]] = []
        for entry in list {
            guard let name = entry["name"] as? String, let type = entry["type"] as? String, allowed.contains(type) else {
                return problem(400, ["title": "Bad Request", "validation-errors": [["request_id": entry["request_id"] ?? "0", "errors": [["code": "NotSupportedChoice", "path": "type"]]]]])
            }
            let record = state.withLock { state in
                let record = DealFieldRecord(id: state.nextFieldID, name: name, type: type, code: entry["code"] as? String)
                state.nextFieldID += 1
                state.dealFields.append(record)
                return record
            }
            created.append(Self.encode(record, requestID: entry["request_id"] as? String))
        }
        state.withLock { $0.fieldCreations += 1 }
        // amoCRM does not promise the order: answer in reverse, so a client must match on request_id.
        return json(["_total_items": created.count, "_embedded": ["custom_fields": Array(created.reversed())]])
    }

    private func user(_ id: Int?) -> Response {
        if let refused = adminOnly { return refused }
        guard let user = state.withLock({ state in state.users.first { $0.id == id } }) else { return Response(status: .noContent) }
        return json([
            "id": user.id, "name": user.name, "email": "user\(user.id)@stankotorg.example.ru",
            "rights": ["is_admin": user.isAdmin, "is_active": user.isActive, "is_free": false],
        ])
    }

    private static func encode(_ hook: WebhookRecord) -> [String: Any] {
        ["id": hook.id, "destination": hook.destination, "settings": hook.settings, "disabled": hook.disabled, "account_id": accountID, "sort": 10]
    }

    private func webhookList(_ request: Request) -> Response {
        if let refused = adminOnly { return refused }
        let destination = request.uri.queryParameters.get("filter[destination]")
        let hooks = state.withLock { $0.webhooks }.filter { destination == nil || $0.destination == destination }
        guard !hooks.isEmpty else { return Response(status: .noContent) }
        return json(["_total_items": hooks.count, "_embedded": ["webhooks": hooks.map(Self.encode)]])
    }

    private func addWebhook(_ request: Request) async throws -> Response {
        if let refused = adminOnly { return refused }
        let body = try await request.body.collect(upTo: 1 << 16)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
            let destination = object["destination"] as? String, let settings = object["settings"] as? [String], !settings.isEmpty
        else {
            return problem(400, ["title": "Bad Request", "detail": "destination and settings are required"])
        }
        let hook = state.withLock { state in
            let hook = WebhookRecord(id: state.nextWebhookID, destination: destination, settings: settings, disabled: false)
            state.nextWebhookID += 1
            state.webhooks.append(hook)
            state.webhookCreations += 1
            return hook
        }
        return json(Self.encode(hook))
    }

    private func deleteWebhook(_ request: Request) async throws -> Response {
        if let refused = adminOnly { return refused }
        let body = try await request.body.collect(upTo: 1 << 16)
        guard let destination = (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])?["destination"] as? String else {
            return problem(400, ["title": "Bad Request", "detail": "destination is required"])
        }
        state.withLock { $0.webhooks.removeAll { $0.destination == destination } }
        return Response(status: .noContent)
    }
}
