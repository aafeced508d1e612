import Foundation

/// The parts of an amoCRM account that setting up and checking catalog-bff read and change:
/// the account itself, pipelines and their stages, deal fields, users and webhooks (API v4,
/// `setup-apis.md`). "Nothing found" is 204 with an empty body there, never an empty list.
public struct AccountSettings: Sendable {
    let api: AmoCRMAPI
    /// The doctor asks in the background: a check must not take turns from lead deliveries.
    let priority: RequestPacer<ContinuousClock>.Priority

    public init(api: AmoCRMAPI, priority: RequestPacer<ContinuousClock>.Priority = .leads) {
        self.api = api
        self.priority = priority
    }

    public struct Summary: Sendable {
        public var id: Int
        public var name: String
        public var subdomain: String
        public var currentUserID: Int?
    }

    public struct Pipeline: Sendable {
        public var id: Int
        public var name: String
        public var isArchive: Bool
        public var isMain: Bool
        public var statuses: [Status]

        public struct Status: Sendable {
            public var id: Int
            public var name: String
            /// 1: «Неразобранное», where only the unsorted route puts leads.
            public var type: Int
        }
    }

    public struct Field: Sendable {
        public var id: Int
        public var name: String
        public var type: String
        public var code: String?
    }

    public struct User: Sendable {
        public var id: Int
        public var name: String
        public var isActive: Bool
        public var isAdmin: Bool
    }

    public struct Webhook: Sendable {
        public var id: Int
        public var destination: String
        public var settings: [String]
        public var disabled: Bool
    }

    /// A status the doctor or setup cannot read past (403 for non-admins, 402 for an unpaid account).
    public struct Refused: Error, Sendable {
        public var status: Int
        public var detail: String
    }

    public func summary() async throws -> Summary {
        let object = try await object("/api/v4/account")
        guard let object, let id = object["id"] as? Int else { throw AmoCRMError.invalidResponse("/api/v4/account without an id") }
        return Summary(
            id: id, name: object["name"] as? String ?? "", subdomain: object["subdomain"] as? String ?? "",
            currentUserID: object["current_user_id"] as? Int)
    }

    public func pipelines() async throws -> [Pipeline] {
        let object = try await object("/api/v4/leads/pipelines")
        let list = (object?["_embedded"] as? [String: Any])?["pipelines"] as? [[String: Any]] ?? []
        return list.compactMap { pipeline in
            guard let id = pipeline["id"] as? Int else { return nil }
            let statuses = ((pipeline["_embedded"] as? [String: Any])?["statuses"] as? [[String: Any]] ?? []).compactMap { status -> Pipeline.Status? in
                guard let id = status["id"] as? Int else { return nil }
                return Pipeline.Status(id: id, name: status["name"] as? String ?? "", type: status["type"] as? Int ?? 0)
            }
            return Pipeline(
                id: id, name: pipeline["name"] as? String ?? "", isArchive: pipeline["is_archive"] as? Bool ?? false,
                isMain: pipeline["is_main"] as? Bool ?? false, statuses: statuses)
        }
    }

    /// Every deal field, 50 a page, following `_links.next`.
    public func dealFields() async throws -> [Field] {
        var fields: [Field] = []
        for page in 1...40 {
            guard let object = try await object("/api/v4/leads/custom_fields", query: ["limit": "50", "page": String(page)])
            else { break }
            fields += Self.fields(object)
            guard ((object["_links"] as? [String: Any])?["next"]) != nil else { break }
        }
        return fields
    }

    /// Creates fields (one POST: amoCRM takes an array) and returns them by `request_id`.
    public func createDealFields(_ fields: [(requestID: String, name: String, type: String, code: String?)]) async throws -> [String: Field] {
        let body: [[String: Any]] = fields.enumerated().map { index, field in
            var entry: [String: Any] = ["name": field.name, "type": field.type, "sort": 510 + 10 * index, "request_id": field.requestID]
            if let code = field.code { entry["code"] = code }
            return entry
        }
        let reply = try await api.post("/api/v4/leads/custom_fields", json: body, priority: priority)
        guard reply.status == 200, let object = reply.json as? [String: Any] else { throw Self.refused(reply) }
        var created: [String: Field] = [:]
        for entry in (object["_embedded"] as? [String: Any])?["custom_fields"] as? [[String: Any]] ?? [] {
            if let requestID = entry["request_id"] as? String, let field = Self.field(entry) { created[requestID] = field }
        }
        return created
    }

    /// nil: no such user (204 or 404).
    public func user(_ id: Int) async throws -> User? {
        guard let object = try await object("/api/v4/users/\(id)") else { return nil }
        let rights = object["rights"] as? [String: Any] ?? [:]
        return User(
            id: id, name: object["name"] as? String ?? "", isActive: rights["is_active"] as? Bool ?? true,
            isAdmin: rights["is_admin"] as? Bool ?? false)
    }

    public func webhooks(destination: String) async throws -> [Webhook] {
        guard let object = try await object("/api/v4/webhooks", query: ["filter[destination]": destination]) else { return [] }
        let list = (object["_embedded"] as? [String: Any])?["webhooks"] as? [[String: Any]] ?? []
        return list.compactMap { hook in
            guard let id = hook["id"] as? Int, let destination = hook["destination"] as? String else { return nil }
            return Webhook(
                id: id, destination: destination, settings: hook["settings"] as? [String] ?? [], disabled: hook["disabled"] as? Bool ?? false)
        }
    }

    public func addWebhook(destination: String, settings: [String]) async throws {
        let reply = try await api.post("/api/v4/webhooks", json: ["destination": destination, "settings": settings, "sort": 10], priority: priority)
        guard reply.status == 200 || reply.status == 201 else { throw Self.refused(reply) }
    }

    /// Removes the account's webhooks to `destination` (amoCRM deletes by destination, not id).
    public func deleteWebhook(destination: String) async throws {
        let reply = try await api.delete("/api/v4/webhooks", json: ["destination": destination], priority: priority)
        guard reply.status == 204 || reply.status == 200 else { throw Self.refused(reply) }
    }

    // MARK: -

    private func object(_ path: String, query: [String: String] = [:]) async throws -> [String: Any]? {
        let reply = try await api.get(path, query: query, priority: priority)
        switch reply.status {
        case 200: break
        case 204, 404: return nil
        default: throw Self.refused(reply)
        }
        guard let object = reply.json as? [String: Any] else { throw AmoCRMError.invalidResponse("\(path): not a JSON object") }
        return object
    }

    static func refused(_ reply: AmoCRMAPI.Reply) -> Refused {
        let problem = reply.json as? [String: Any]
        var detail = [problem?["title"] as? String, problem?["detail"] as? String].compactMap { $0 }.joined(separator: ": ")
        if let errors = problem?["validation-errors"], let data = try? JSONSerialization.data(withJSONObject: errors) {
            detail += " " + String(decoding: data.prefix(300), as: UTF8.self)
        }
        return Refused(status: reply.status, detail: detail.isEmpty ? "HTTP \(reply.status)" : detail)
    }

    static func fields(_ object: [String: Any]) -> [Field] {
        ((object["_embedded"] as? [String: Any])?["custom_fields"] as? [[String: Any]] ?? []).compactMap(field)
    }

    static func field(_ entry: [String: Any]) -> Field? {
        guard let id = entry["id"] as? Int, let type = entry["type"] as? String else { return nil }
        return Field(id: id, name: entry["name"] as? String ?? "", type: type, code: entry["code"] as? String)
    }
}
