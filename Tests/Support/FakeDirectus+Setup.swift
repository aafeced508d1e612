import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The project-setup side of the loopback Directus (`setup-apis.md`): `/server/ping`,
/// `/users/me`, `/fields/{c}`, `/collections/{c}` (read, and `meta` patched), `/flows` with their
/// operations. An unknown collection is 403 even for an admin; flows are for the admin, or for a
/// token whose policy was given read on `directus_flows`.
extension FakeDirectus {
    static func field(_ collection: String, _ name: String, _ type: String, special: [String]? = nil) -> JSONValue {
        let schema: JSONValue = type == "alias" ? .null : .object([("name", .string(name)), ("table", .string(collection)), ("is_nullable", .bool(name != "id"))])
        return .object([
            ("collection", .string(collection)), ("field", .string(name)), ("type", .string(type)), ("schema", schema),
            ("meta", .object([("field", .string(name)), ("special", special.map { .array($0.map(JSONValue.string)) } ?? .null)])),
        ])
    }

    /// The catalog of `README.md`, field by field.
    static let initialFields: [String: [JSONValue]] = [
        "products": [
            field("products", "id", "integer"), field("products", "status", "string"), field("products", "sort", "integer"),
            field("products", "name", "string"), field("products", "slug", "string"), field("products", "sku", "string"),
            field("products", "price", "decimal"), field("products", "currency", "string"),
            field("products", "category", "integer", special: ["m2o"]), field("products", "hero_image", "uuid", special: ["file"]),
            field("products", "images", "alias", special: ["files"]), field("products", "specs", "json", special: ["cast-json"]),
            field("products", "description", "text"), field("products", "availability", "string"),
            field("products", "date_created", "timestamp", special: ["date-created"]),
            field("products", "date_updated", "timestamp", special: ["date-updated"]),
        ],
        "categories": [
            field("categories", "id", "integer"), field("categories", "status", "string"), field("categories", "sort", "integer"),
            field("categories", "name", "string"), field("categories", "slug", "string"),
            field("categories", "parent", "integer", special: ["m2o"]), field("categories", "description", "text"),
        ],
        "products_files": [
            field("products_files", "id", "integer"), field("products_files", "products_id", "integer"),
            field("products_files", "directus_files_id", "uuid"), field("products_files", "sort", "integer"),
        ],
    ]

    func addSetupRoutes(to router: Router<BasicRequestContext>) {
        router.get("/server/ping") { request, _ in
            self.record(request)
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "pong")))
        }
        router.get("/users/me") { request, _ in try self.setupAnswer(request) { role in try self.me(role) } }
        router.get("/fields/:collection") { request, context in
            let collection = try context.parameters.require("collection")
            return try self.setupAnswer(request) { _ in
                guard let fields = self.state.withLock({ $0.fields[collection] }) else { throw Self.forbidden }
                return .object([("data", .array(fields))])
            }
        }
        router.get("/collections/:collection") { request, context in
            let collection = try context.parameters.require("collection")
            return try self.setupAnswer(request) { _ in .object([("data", try self.collection(collection))]) }
        }
        router.patch("/collections/:collection") { request, context in
            let collection = try context.parameters.require("collection")
            let body = try await request.body.collect(upTo: 1 << 20)
            return try self.setupAnswer(request, admin: true) { _ in
                guard self.state.withLock({ $0.fields[collection] != nil }) else { throw Self.forbidden }
                guard let patch = try? JSONParser.parse(body.readableBytesView), case .object(let meta)? = patch["meta"] else {
                    throw Failure(status: 400, code: "INVALID_PAYLOAD", message: "Invalid payload. \"meta\" must be an object.")
                }
                self.state.withLock { state in
                    var current = state.collectionMeta[collection] ?? []
                    for pair in meta {
                        if let index = current.firstIndex(where: { $0.key == pair.key }) { current[index].value = pair.value } else { current.append(pair) }
                    }
                    state.collectionMeta[collection] = current
                }
                return .object([("data", try self.collection(collection))])
            }
        }
        router.get("/policies/me/globals") { request, _ in
            try self.setupAnswer(request) { role in
                role == .publicRole
                    ? .object([("data", .object([("app_access", .bool(false))]))])
                    : .object([("data", .object([("app_access", .bool(true)), ("admin_access", .bool(role == .admin))]))])
            }
        }
        router.get("/permissions/me") { request, _ in
            try self.setupAnswer(request) { role in
                let collections = self.state.withLock { $0.fields.keys.sorted() }
                let access = role == .publicRole ? "partial" : "full"
                return .object([("data", .object(collections.map { ($0, .object([("read", .object([("access", .string(access))]))])) }))])
            }
        }
        router.get("/flows") { request, _ in
            let name = self.decodedQuery(request)["filter[name][_eq]"]
            return try self.setupAnswer(request) { role in
                guard role == .admin || (role == .service && self.state.withLock({ $0.serviceReadsFlows })) else { throw Self.forbidden }
                let flows = self.state.withLock { $0.flows }.filter { name == nil || $0["name"]?.string == name }
                return .object([("data", .array(flows))])
            }
        }
        addSchemaRoutes(to: router)
    }

    // MARK: - Test controls

    /// Drops a field from a collection's schema (and its values from the rows).
    public func removeField(_ collection: String, _ name: String) {
        state.withLock { state in
            state.fields[collection]?.removeAll { $0["field"]?.string == name }
        }
    }

    public func setFieldType(_ collection: String, _ name: String, to type: String) {
        state.withLock { state in
            guard let index = state.fields[collection]?.firstIndex(where: { $0["field"]?.string == name }) else { return }
            state.fields[collection]?[index] = Self.field(collection, name, type)
        }
    }

    public func setPreviewURL(_ collection: String, _ url: String?) {
        state.withLock { state in
            var meta = state.collectionMeta[collection] ?? []
            meta.removeAll { $0.key == "preview_url" }
            meta.append(("preview_url", url.map(JSONValue.string) ?? .null))
            state.collectionMeta[collection] = meta
        }
    }

    /// The Public policy loses every read rule (an admin cleaned up permissions).
    public func revokePublicRead() { state.withLock { $0.publicPermissions = [] } }

    public func setPublicReadsDrafts(_ reads: Bool) { state.withLock { $0.publicReadsDrafts = reads } }
    public func setServiceReadsFlows(_ reads: Bool) { state.withLock { $0.serviceReadsFlows = reads } }

    /// A Flow as the Data Studio stores it: an event trigger on `collections`, one request operation.
    public func addFlow(
        name: String = "catalog-bff: catalog changed", url: String, secret: String, collections: [String] = ["products", "categories", "products_files"],
        status: String = "active"
    ) {
        let flowID = UUID().uuidString.lowercased()
        let operation: JSONValue = .object([
            ("id", .string(UUID().uuidString.lowercased())), ("flow", .string(flowID)), ("key", .string("notify_bff")), ("type", .string("request")),
            ("options", .object([
                ("method", .string("POST")), ("url", .string(url)),
                ("headers", .array([.object([("header", .string("X-Webhook-Secret")), ("value", .string(secret))])])),
                ("body", .string("{{$trigger}}")),
            ])),
        ])
        let flow: JSONValue = .object([
            ("id", .string(flowID)), ("name", .string(name)), ("status", .string(status)), ("trigger", .string("event")),
            ("options", .object([
                ("type", .string("action")), ("scope", .array(["items.create", "items.update", "items.delete"].map(JSONValue.string))),
                ("collections", .array(collections.map(JSONValue.string))),
            ])),
            ("operation", operation["id"]!), ("operations", .array([operation])),
        ])
        state.withLock { $0.flows.append(flow) }
    }

    // MARK: -

    /// The query with its keys decoded (`filter%5Bname%5D%5B_eq%5D` → `filter[name][_eq]`).
    func decodedQuery(_ request: Request) -> [String: String] {
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            query[String(key).removingPercentEncoding ?? String(key)] = String(value).removingPercentEncoding ?? String(value)
        }
        return query
    }

    func record(_ request: Request) {
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        let authorization = request.headers[.authorization]
        state.withLock { $0.requests.append(RecordedRequest(path: request.uri.path, query: query, authorization: authorization)) }
    }

    /// Records the request, applies a queued fault (its delay, then its answer), checks the
    /// token, and answers `body` as JSON or the Directus error envelope.
    private func setupAnswer(_ request: Request, admin: Bool = false, _ body: (Role) throws -> JSONValue) throws -> Response {
        record(request)
        do {
            let role = try self.role(request.headers[.authorization])
            if admin, role != .admin { throw Self.forbidden }
            return Self.ok(try body(role))
        } catch let failure as Failure {
            return failure.response
        }
    }

    private func me(_ role: Role) throws -> JSONValue {
        switch role {
        case .publicRole: throw Failure(status: 401, code: "INVALID_CREDENTIALS", message: "Invalid user credentials.")
        case .service:
            return .object([("data", .object([
                ("id", .string("5b8d9a1e-3c2f-4e7a-9b10-7d2c4e6f8a01")), ("email", .string("catalog@stankotorg.example.ru")), ("status", .string("active")),
            ]))])
        case .admin:
            return .object([("data", .object([
                ("id", .string("0e4b6c2a-91d7-4f35-8a2e-3c5d7f9b1e24")), ("email", .string("setup@stankotorg.example.ru")), ("status", .string("active")),
            ]))])
        }
    }

    private func collection(_ name: String) throws -> JSONValue {
        let meta = try state.withLock { state -> [(key: String, value: JSONValue)] in
            guard state.fields[name] != nil else { throw Self.forbidden }
            var meta: [(key: String, value: JSONValue)] = [("collection", .string(name)), ("hidden", .bool(false)), ("preview_url", .null)]
            for pair in state.collectionMeta[name] ?? [] {
                if let index = meta.firstIndex(where: { $0.key == pair.key }) { meta[index].value = pair.value } else { meta.append(pair) }
            }
            return meta
        }
        return .object([("collection", .string(name)), ("meta", .object(meta)), ("schema", .object([("name", .string(name))]))])
    }
}
