import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The admin's side of the loopback Directus (`setup-apis.md`): `/schema/snapshot`,
/// `/schema/diff` (204 when nothing differs; `N`/`E`/`D` entries "instance → snapshot"; a hash
/// of the current schema) and `/schema/apply` (refused when the hash is stale); Flows and their
/// operations; the Public policy and its permission rows. All of it is for the admin token only.
extension FakeDirectus {
    static let publicPolicyID = "7c3d5e1a-2b4f-4c6d-8e9f-0a1b2c3d4e5f"

    func addSchemaRoutes(to router: Router<BasicRequestContext>) {
        router.get("/schema/snapshot") { request, _ in
            try await self.adminAnswer(request) { _ in .object([("data", self.snapshotNow())]) }
        }
        router.post("/schema/diff") { request, _ in
            try await self.adminAnswer(request) { body in
                guard let body, body["collections"] != nil, body["fields"] != nil else {
                    throw Failure(status: 400, code: "INVALID_PAYLOAD", message: "Invalid payload. \"version\" is required.")
                }
                return try self.diff(body).map { .object([("data", $0)]) }
            }
        }
        router.post("/schema/apply") { request, _ in
            try await self.adminAnswer(request) { body in
                guard let body, let hash = body["hash"]?.string, let diff = body["diff"] else {
                    throw Failure(status: 400, code: "INVALID_PAYLOAD", message: "Invalid payload. \"hash\" is required.")
                }
                try self.apply(hash: hash, diff: diff)
                return nil
            }
        }
        router.post("/flows") { request, _ in
            try await self.adminAnswer(request) { body in
                guard case .object(var pairs)? = body else { throw Failure(status: 400, code: "INVALID_PAYLOAD", message: "Invalid payload.") }
                let id = UUID().uuidString.lowercased()
                pairs.append(("id", .string(id)))
                pairs.append(("operation", .null))
                pairs.append(("operations", .array([])))
                let flow = JSONValue.object(pairs)
                self.state.withLock { $0.flows.append(flow) }
                return .object([("data", flow)])
            }
        }
        router.patch("/flows/:id") { request, context in
            let id = try context.parameters.require("id")
            return try await self.adminAnswer(request) { body in
                .object([("data", try self.changeFlow(id) { flow in Self.merge(&flow, body) })])
            }
        }
        router.post("/operations") { request, _ in
            try await self.adminAnswer(request) { body in
                guard case .object(var pairs)? = body, let flowID = body?["flow"]?.string else {
                    throw Failure(status: 400, code: "INVALID_PAYLOAD", message: "Invalid payload. \"flow\" is required.")
                }
                pairs.append(("id", .string(UUID().uuidString.lowercased())))
                let operation = JSONValue.object(pairs)
                _ = try self.changeFlow(flowID) { flow in
                    let operations = (flow["operations"]?.array ?? []) + [operation]
                    Self.merge(&flow, .object([("operations", .array(operations))]))
                }
                return .object([("data", operation)])
            }
        }
        router.patch("/operations/:id") { request, context in
            let id = try context.parameters.require("id")
            return try await self.adminAnswer(request) { body in
                let flows = self.state.withLock { $0.flows }
                guard let flow = flows.first(where: { ($0["operations"]?.array ?? []).contains { $0["id"]?.string == id } }),
                    let flowID = flow["id"]?.string
                else { throw Self.forbidden }
                var changed: JSONValue = .null
                _ = try self.changeFlow(flowID) { flow in
                    let operations = (flow["operations"]?.array ?? []).map { operation -> JSONValue in
                        guard operation["id"]?.string == id else { return operation }
                        var copy = operation
                        Self.merge(&copy, body)
                        changed = copy
                        return copy
                    }
                    Self.merge(&flow, .object([("operations", .array(operations))]))
                }
                return .object([("data", changed)])
            }
        }
        router.get("/policies") { request, _ in
            try await self.adminAnswer(request) { _ in
                .object([("data", .array([.object([("id", .string(Self.publicPolicyID)), ("name", .string("$t:public_label"))])]))])
            }
        }
        router.get("/permissions") { request, _ in
            let query = self.decodedQuery(request)
            let collection = query["filter[collection][_eq]"]
            let action = query["filter[action][_eq]"]
            return try await self.adminAnswer(request) { _ in
                let rules = self.state.withLock { $0.publicPermissions ?? [] }
                    .filter { (collection == nil || $0.collection == collection) && (action == nil || $0.action == action) }
                return .object([("data", .array(rules.map(Self.encode)))])
            }
        }
        router.post("/permissions") { request, _ in
            try await self.adminAnswer(request) { body in
                guard let body, body["policy"]?.string == Self.publicPolicyID, let collection = body["collection"]?.string,
                    let action = body["action"]?.string
                else { throw Failure(status: 400, code: "INVALID_PAYLOAD", message: "Invalid payload.") }
                let rule = self.state.withLock { state in
                    let rule = PermissionRecord(
                        id: (state.publicPermissions?.count ?? 0) + 1, collection: collection, action: action, permissions: body["permissions"] ?? .null)
                    state.publicPermissions = (state.publicPermissions ?? []) + [rule]
                    return rule
                }
                return .object([("data", Self.encode(rule))])
            }
        }
        router.patch("/permissions/:id") { request, context in
            let id = try context.parameters.require("id", as: Int.self)
            return try await self.adminAnswer(request) { body in
                let rule = try self.state.withLock { state -> PermissionRecord in
                    guard let index = state.publicPermissions?.firstIndex(where: { $0.id == id }) else { throw Self.forbidden }
                    if let permissions = body?["permissions"] { state.publicPermissions?[index].permissions = permissions }
                    return state.publicPermissions![index]
                }
                return .object([("data", Self.encode(rule))])
            }
        }
    }

    // MARK: - Test controls

    /// Times `/schema/apply` changed the schema.
    public var schemaApplies: Int { state.withLock { $0.schemaApplies } }
    public var flowCount: Int { state.withLock { $0.flows.count } }
    public var publicRuleCount: Int { state.withLock { $0.publicPermissions?.count ?? 0 } }
    /// An admin changes the Public policy's read rule of `collection` by hand.
    public func setPublicRule(_ collection: String, to permissions: JSONValue) {
        state.withLock { state in
            guard let index = state.publicPermissions?.firstIndex(where: { $0.collection == collection && $0.action == "read" }) else { return }
            state.publicPermissions?[index].permissions = permissions
        }
    }
    public func fieldType(_ collection: String, _ name: String) -> String? {
        state.withLock { $0.fields[collection]?.first { $0["field"]?.string == name }?["type"]?.string }
    }

    // MARK: - Schema

    private func snapshotNow() -> JSONValue {
        state.withLock { state in
            .object([
                ("version", .number(1)), ("directus", .string("11.5.1")), ("vendor", .string("postgres")),
                ("collections", .array(state.fields.keys.sorted().map { .object([("collection", .string($0)), ("meta", .object([])), ("schema", .object([("name", .string($0))]))]) })),
                ("fields", .array(state.fields.keys.sorted().flatMap { state.fields[$0] ?? [] })),
                ("systemFields", .array([])), ("relations", .array(state.relations)),
            ])
        }
    }

    private func diff(_ snapshot: JSONValue) throws -> JSONValue? {
        state.withLock { state in
            var collections: [JSONValue] = []
            var fields: [JSONValue] = []
            var relations: [JSONValue] = []
            let wanted = Set((snapshot["collections"]?.array ?? []).compactMap { $0["collection"]?.string })
            for collection in snapshot["collections"]?.array ?? [] {
                guard let name = collection["collection"]?.string, state.fields[name] == nil else { continue }
                collections.append(.object([("collection", .string(name)), ("diff", .array([.object([("kind", .string("N")), ("rhs", collection)])]))]))
            }
            for name in state.fields.keys.sorted() where !wanted.contains(name) {
                collections.append(.object([("collection", .string(name)), ("diff", .array([.object([("kind", .string("D")), ("lhs", .object([("collection", .string(name))]))])]))]))
            }
            for field in snapshot["fields"]?.array ?? [] {
                guard let collection = field["collection"]?.string, let name = field["field"]?.string else { continue }
                let current = state.fields[collection]?.first { $0["field"]?.string == name }
                let entry: JSONValue? =
                    if let current {
                        current["type"] == field["type"] ? nil
                            : .object([("kind", .string("E")), ("path", .array([.string("type")])), ("lhs", current["type"] ?? .null), ("rhs", field["type"] ?? .null)])
                    } else {
                        .object([("kind", .string("N")), ("rhs", field)])
                    }
                if let entry { fields.append(.object([("collection", .string(collection)), ("field", .string(name)), ("diff", .array([entry]))])) }
            }
            let snapshotFields = Set((snapshot["fields"]?.array ?? []).compactMap { field in
                field["collection"]?.string.flatMap { c in field["field"]?.string.map { c + "." + $0 } }
            })
            for (collection, list) in state.fields where wanted.contains(collection) {
                for field in list {
                    guard let name = field["field"]?.string, !snapshotFields.contains(collection + "." + name) else { continue }
                    fields.append(.object([("collection", .string(collection)), ("field", .string(name)), ("diff", .array([.object([("kind", .string("D")), ("lhs", field)])]))]))
                }
            }
            for relation in snapshot["relations"]?.array ?? [] {
                let known = state.relations.contains { $0["collection"] == relation["collection"] && $0["field"] == relation["field"] }
                if !known {
                    relations.append(.object([
                        ("collection", relation["collection"] ?? .null), ("field", relation["field"] ?? .null),
                        ("related_collection", relation["related_collection"] ?? .null), ("diff", .array([.object([("kind", .string("N")), ("rhs", relation)])])),
                    ]))
                }
            }
            if collections.isEmpty, fields.isEmpty, relations.isEmpty { return nil }
            return .object([
                ("hash", .string("schema-hash-\(state.schemaVersion)")),
                ("diff", .object([
                    ("collections", .array(collections)), ("fields", .array(fields)), ("systemFields", .array([])), ("relations", .array(relations)),
                ])),
            ])
        }
    }

    private func apply(hash: String, diff: JSONValue) throws {
        try state.withLock { state in
            guard hash == "schema-hash-\(state.schemaVersion)" else {
                throw Failure(status: 400, code: "INVALID_PAYLOAD", message: "Invalid payload. Provided hash does not match the current instance's schema hash.")
            }
            for list in ["collections", "fields", "systemFields", "relations"] where diff[list]?.array == nil {
                throw Failure(status: 400, code: "INVALID_PAYLOAD", message: "Invalid payload. \"diff.\(list)\" is required.")
            }
            for entry in diff["collections"]?.array ?? [] {
                guard let name = entry["collection"]?.string else { continue }
                for change in entry["diff"]?.array ?? [] {
                    switch change["kind"]?.string {
                    case "N":
                        state.fields[name] = state.fields[name] ?? []
                        state.rows[name] = state.rows[name] ?? []
                    case "D":
                        state.fields[name] = nil
                        state.rows[name] = nil
                    default: break
                    }
                }
            }
            for entry in diff["fields"]?.array ?? [] {
                guard let collection = entry["collection"]?.string, let name = entry["field"]?.string else { continue }
                guard state.fields[collection] != nil else {
                    throw Failure(status: 400, code: "INVALID_PAYLOAD", message: "Invalid payload. Collection \"\(collection)\" does not exist.")
                }
                for change in entry["diff"]?.array ?? [] {
                    switch change["kind"]?.string {
                    case "N":
                        guard !(state.fields[collection]?.contains { $0["field"]?.string == name } ?? false) else {
                            throw Failure(status: 400, code: "INVALID_PAYLOAD", message: "Invalid payload. Provided diff is trying to create field \"\(collection).\(name)\" but it already exists.")
                        }
                        if let field = change["rhs"] { state.fields[collection]?.append(field) }
                    case "E":
                        if let index = state.fields[collection]?.firstIndex(where: { $0["field"]?.string == name }), let type = change["rhs"]?.string {
                            state.fields[collection]?[index] = FakeDirectus.field(collection, name, type)
                        }
                    case "D":
                        state.fields[collection]?.removeAll { $0["field"]?.string == name }
                    default: break
                    }
                }
            }
            for entry in diff["relations"]?.array ?? [] {
                for change in entry["diff"]?.array ?? [] where change["kind"]?.string == "N" {
                    if let relation = change["rhs"] { state.relations.append(relation) }
                }
            }
            state.schemaVersion += 1
            state.schemaApplies += 1
        }
    }

    // MARK: -

    private static func encode(_ rule: PermissionRecord) -> JSONValue {
        .object([
            ("id", .number(Decimal(rule.id))), ("policy", .string(publicPolicyID)), ("collection", .string(rule.collection)),
            ("action", .string(rule.action)), ("permissions", rule.permissions), ("fields", .array([.string("*")])),
        ])
    }

    /// Sets `patch`'s keys on `object`, keeping the others (Directus' PATCH).
    static func merge(_ object: inout JSONValue, _ patch: JSONValue?) {
        guard case .object(var pairs) = object, case .object(let changes)? = patch else { return }
        for change in changes {
            if let index = pairs.firstIndex(where: { $0.key == change.key }) { pairs[index].value = change.value } else { pairs.append(change) }
        }
        object = .object(pairs)
    }

    private func changeFlow(_ id: String, _ change: (inout JSONValue) -> Void) throws -> JSONValue {
        try state.withLock { state in
            guard let index = state.flows.firstIndex(where: { $0["id"]?.string == id }) else { throw Self.forbidden }
            change(&state.flows[index])
            return state.flows[index]
        }
    }

    /// Records the request, reads a JSON body, refuses anyone but the admin (403, as Directus
    /// does for schema, flows and permissions), answers the result (204 for nil) or the error.
    private func adminAnswer(_ request: Request, _ body: (JSONValue?) throws -> JSONValue?) async throws -> Response {
        record(request)
        let bytes = try await request.body.collect(upTo: 8 << 20)
        let json = bytes.readableBytes == 0 ? nil : try? JSONParser.parse(bytes.readableBytesView)
        do {
            guard try role(request.headers[.authorization]) == .admin else { throw Self.forbidden }
            guard let result = try body(json) else { return Response(status: .noContent) }
            return Self.ok(result)
        } catch let failure as Failure {
            return failure.response
        }
    }
}
