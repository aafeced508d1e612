import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// A loopback Directus that serves `Fixtures/directus` the way Directus 10/11 does:
/// `{"data":…}` envelopes, `fields` projection with relation expansion, `filter[f][_eq]` and `[_in]`,
/// `limit`/`page`/`meta`, the Public role (published rows only) versus a static token,
/// 401 for an unknown token, 403 for anything missing or hidden, content versions.
/// Tests can change rows and make the next responses fail.
public final class FakeDirectus: Sendable {
    public static let serviceToken = "fake-directus-service-token"
    /// A static token of an admin user (schema, flows, permissions).
    public static let adminToken = "fake-directus-admin-token"

    public struct Fault: Sendable {
        public var status: Int
        public var body: String
        public var headers: [(String, String)]
        public var delay: Duration
        /// Sends the head and the first half of the body at once, the rest after this.
        public var bodyStall: Duration

        public init(status: Int, body: String, headers: [(String, String)] = [], delay: Duration = .zero, bodyStall: Duration = .zero) {
            self.status = status
            self.body = body
            self.headers = headers
            self.delay = delay
            self.bodyStall = bodyStall
        }

        /// A 200 whose body stops half-way for `stall` (a proxy or a database that hangs
        /// after the headers went out).
        public static func trickle(_ stall: Duration) -> Fault {
            Fault(status: 200, body: #"{"data":[]}"#, bodyStall: stall)
        }

        public static let unavailable = Fault(
            status: 503,
            body: #"{"errors":[{"message":"Service \"database\" is unavailable. Connection refused.","extensions":{"code":"SERVICE_UNAVAILABLE","service":"database","reason":"Connection refused"}}]}"#)
        public static let rateLimited = Fault(
            status: 429,
            body: #"{"errors":[{"message":"Too many requests, retry after 1s.","extensions":{"code":"REQUESTS_EXCEEDED","limit":50,"reset":"2026-11-25T11:49:30.000Z"}}]}"#,
            headers: [("Retry-After", "1")])
        public static let garbage = Fault(status: 200, body: "<html><body>Bad gateway</body></html>")
        public static func slow(_ delay: Duration) -> Fault {
            Fault(status: 0, body: "", delay: delay)
        }
    }

    public struct RecordedRequest: Sendable {
        public var path: String
        public var query: [String: String]
        public var authorization: String?
    }

    struct State {
        var rows: [String: [JSONValue]]
        var versions: [JSONValue]
        var faults: [Fault] = []
        var requests: [RecordedRequest] = []
        // The project's setup (`setup-apis.md`): fields, collection settings, flows, rules.
        var fields: [String: [JSONValue]] = FakeDirectus.initialFields
        var collectionMeta: [String: [(key: String, value: JSONValue)]] = [:]
        var flows: [JSONValue] = []
        /// The Public policy reads every row, not only published ones (a forgotten filter).
        var publicReadsDrafts = false
        /// The service token's policy may read `directus_flows` (so the doctor can check the Flow).
        var serviceReadsFlows = true
        /// The Public policy's read rules (`collection` → its row filter, `.null` for all rows);
        /// nil: the fixture project's fixed rules (published products and categories).
        var publicPermissions: [PermissionRecord]?
        var relations: [JSONValue] = []
        var schemaVersion = 1
        var schemaApplies = 0
        /// The collections `/items` lists, and what marks a row published (a renamed project has its own).
        var listable: Set<String> = ["products", "categories"]
        var statusField = "status"
        var publishedValue = "published"
    }

    struct PermissionRecord: Sendable {
        var id: Int
        var collection: String
        var action: String
        var permissions: JSONValue
    }

    let state: Mutex<State>
    private let schema: JSONValue

    /// - Parameter empty: a fresh project: no catalog collections, fields or rows, and a Public
    ///   policy with no rules (what `directus-setup` starts from).
    public convenience init(renamed renaming: Renaming) throws {
        try self.init(empty: false, renaming: renaming)
    }

    public convenience init(empty: Bool = false) throws {
        try self.init(empty: empty, renaming: nil)
    }

    private init(empty: Bool, renaming: Renaming?) throws {
        guard let directory = Bundle.module.url(forResource: "Fixtures/directus", withExtension: nil) else {
            throw HTTPError(.internalServerError, message: "fixtures missing")
        }
        func load(_ name: String) throws -> JSONValue {
            try JSONParser.parse(Data(contentsOf: directory.appendingPathComponent(name)))
        }
        var rows: [String: [JSONValue]] = [:]
        for collection in ["products", "categories", "products_files", "directus_files"] {
            rows[collection] = try load("\(collection).json").array ?? []
        }
        var schema = try load("_schema.json")
        var state = State(rows: rows, versions: try load("directus_versions.json").array ?? [])
        if let renaming {
            renaming.apply(to: &state, schema: &schema)
        }
        self.schema = schema
        if empty {
            state.rows = ["directus_files": rows["directus_files"] ?? []]
            state.fields = [:]
            state.publicPermissions = []
        }
        self.state = Mutex(state)
    }

    // MARK: - Test controls

    /// The next requests answer with these faults, one each, in order.
    public func fail(_ faults: Fault...) {
        state.withLock { $0.faults.append(contentsOf: faults) }
    }

    public var requests: [RecordedRequest] { state.withLock { $0.requests } }

    public func requestCount(pathPrefix: String = "/items/") -> Int {
        state.withLock { $0.requests.filter { $0.path.hasPrefix(pathPrefix) }.count }
    }

    public func resetRequests() {
        state.withLock { $0.requests.removeAll() }
    }

    /// Sets one column of a row, as an editor saving in Directus would.
    public func update(_ collection: String, id: Int, field: String, to value: JSONValue) {
        state.withLock { state in
            guard var rows = state.rows[collection], let index = rows.firstIndex(where: { $0["id"]?.int == id }),
                case .object(var pairs) = rows[index]
            else { return }
            if let position = pairs.firstIndex(where: { $0.key == field }) {
                pairs[position].value = value
            } else {
                pairs.append((field, value))
            }
            rows[index] = .object(pairs)
            state.rows[collection] = rows
        }
    }

    // MARK: - Server

    public func run<Value: Sendable>(_ body: @Sendable (_ baseURL: String) async throws -> Value) async throws -> Value {
        let router = Router()
        router.get("/items/:collection") { request, context in
            try await self.respond(request, context: context, item: nil)
        }
        router.get("/items/:collection/:id") { request, context in
            try await self.respond(request, context: context, item: try context.parameters.require("id"))
        }
        router.get("/assets/:id") { request, context in
            try await self.asset(request, context: context)
        }
        addSetupRoutes(to: router)
        return try await LoopbackServer.run(router, label: "fake-directus", body)
    }

    enum Role { case publicRole, service, admin }

    struct Failure: Error {
        var status: Int
        var code: String
        var message: String

        /// Directus' error envelope: `{"errors":[{"message":…,"extensions":{"code":…}}]}`.
        var response: Response {
            let body = JSONValue.object([
                ("errors", .array([.object([("message", .string(message)), ("extensions", .object([("code", .string(code))]))])]))
            ])
            return Response(
                status: .init(code: status), headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: body.serialized)))
        }
    }

    /// A JSON answer as Directus gives it.
    static func ok(_ json: JSONValue) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: json.serialized)))
    }

    private func respond(_ request: Request, context: BasicRequestContext, item: String?) async throws -> Response {
        let collection = try context.parameters.require("collection")
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            query[String(key).removingPercentEncoding ?? String(key)] = String(value)
        }
        let authorization = request.headers[.authorization]
        let fault = state.withLock { state -> Fault? in
            state.requests.append(RecordedRequest(path: request.uri.path, query: query, authorization: authorization))
            return state.faults.isEmpty ? nil : state.faults.removeFirst()
        }
        if let fault {
            if fault.delay > .zero { try await Task.sleep(for: fault.delay) }
            if fault.status > 0 {
                var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
                for (name, value) in fault.headers { headers[HTTPField.Name(name)!] = value }
                if fault.bodyStall > .zero {
                    let bytes = Array(fault.body.utf8)
                    let half = bytes.count / 2
                    return Response(
                        status: .init(code: fault.status), headers: headers,
                        body: ResponseBody(contentLength: bytes.count) { writer in
                            try await writer.write(ByteBuffer(bytes: bytes[..<half]))
                            try await Task.sleep(for: fault.bodyStall)
                            try await writer.write(ByteBuffer(bytes: bytes[half...]))
                            try await writer.finish(nil)
                        })
                }
                return Response(
                    status: .init(code: fault.status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: fault.body)))
            }
        }
        do {
            let role = try self.role(authorization)
            let body = try state.withLock { state in
                try self.answer(collection: collection, item: item, query: query, role: role, state: state)
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: body.serialized)))
        } catch let failure as Failure {
            return failure.response
        }
    }

    /// `GET /assets/{id}?width=&height=&fit=&quality=&format=`: a stand-in for the
    /// transformed image – bytes with the right magic numbers, as many as the size asks for
    /// (width × height / 100), naming the transform so tests can tell variants apart.
    private func asset(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        let authorization = request.headers[.authorization]
        let (fault, file) = state.withLock { state -> (Fault?, JSONValue?) in
            state.requests.append(RecordedRequest(path: request.uri.path, query: query, authorization: authorization))
            let file = state.rows["directus_files"]?.first { $0["id"]?.string == id }
            return (state.faults.isEmpty ? nil : state.faults.removeFirst(), file)
        }
        if let fault {
            if fault.delay > .zero { try await Task.sleep(for: fault.delay) }
            if fault.status > 0 {
                return Response(status: .init(code: fault.status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: fault.body)))
            }
        }
        func failure(_ failure: Failure) -> Response {
            let body = #"{"errors":[{"message":"\#(failure.message)","extensions":{"code":"\#(failure.code)"}}]}"#
            return Response(status: .init(code: failure.status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        if authorization != nil, authorization != "Bearer \(Self.serviceToken)" {
            return failure(Failure(status: 401, code: "INVALID_CREDENTIALS", message: "Invalid user credentials."))
        }
        guard let file else { return failure(Self.forbidden) }
        let width = Int(query["width"] ?? "") ?? file["width"]?.int ?? 100
        let height = Int(query["height"] ?? "") ?? file["height"]?.int ?? 100
        guard width <= 6000, height <= 6000 else {
            return failure(Failure(status: 400, code: "INVALID_QUERY", message: "Transformation is too large."))
        }
        let webp = query["format"] == "webp"
        let type = webp ? "image/webp" : (file["type"]?.string ?? "image/jpeg")
        var bytes: [UInt8] = webp ? Array("RIFF\0\0\0\0WEBPVP8 ".utf8) : [0xFF, 0xD8, 0xFF, 0xE0]
        bytes += Array("\(id) \(width)x\(height) \(query["fit"] ?? "") q\(query["quality"] ?? "")".utf8)
        while bytes.count < width * height / 100 { bytes.append(UInt8(truncatingIfNeeded: bytes.count)) }
        return Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static let forbidden = Failure(status: 403, code: "FORBIDDEN", message: "You don't have permission to access this.")

    func role(_ authorization: String?) throws -> Role {
        guard let authorization else { return .publicRole }
        if authorization == "Bearer \(Self.adminToken)" { return .admin }
        guard authorization == "Bearer \(Self.serviceToken)" else {
            throw Failure(status: 401, code: "INVALID_CREDENTIALS", message: "Invalid user credentials.")
        }
        return .service
    }

    private func answer(collection: String, item: String?, query: [String: String], role: Role, state: State) throws -> JSONValue {
        guard state.listable.contains(collection), let all = state.rows[collection] else { throw Self.forbidden }
        // The Public role may read published rows only; Directus hides the rest silently in
        // lists and answers 403 for them as items.
        var publishedOnly = !state.publicReadsDrafts
        if let rules = state.publicPermissions, role == .publicRole {
            guard let rule = rules.first(where: { $0.collection == collection && $0.action == "read" }) else { throw Self.forbidden }
            publishedOnly = rule.permissions[state.statusField]?["_eq"]?.string == state.publishedValue
        }
        let readable = all.filter { role != .publicRole || !publishedOnly || $0[state.statusField]?.string == state.publishedValue }
        let fields = Self.fieldTree(query["fields"] ?? "*")

        if let item {
            guard var row = readable.first(where: { $0["id"].map(Self.text) == item }) else { throw Self.forbidden }
            if let version = query["version"], !version.isEmpty {
                guard role != .publicRole,
                    let delta = state.versions.first(where: {
                        $0["key"]?.string == version && $0["collection"]?.string == collection && $0["item"]?.string == item
                    })?["delta"], case .object(let changes) = delta, case .object(var pairs) = row
                else { throw Self.forbidden }
                for change in changes {
                    if let index = pairs.firstIndex(where: { $0.key == change.key }) {
                        pairs[index].value = change.value
                    } else {
                        pairs.append(change)
                    }
                }
                row = .object(pairs)
            }
            return .object([("data", try project(row, collection: collection, fields: fields, state: state))])
        }

        // `_eq` compares with one value, `_in` with any of a comma-separated list, `_neq` excludes one.
        var filters: [(field: String, values: Set<String>, negated: Bool)] = []
        for (key, value) in query where key.hasPrefix("filter[") {
            let parts = key.dropFirst("filter[".count).dropLast().components(separatedBy: "][")
            guard parts.count == 2, ["_eq", "_in", "_neq"].contains(parts[1]) else {
                throw Failure(status: 400, code: "INVALID_QUERY", message: "Invalid query. Unsupported filter \(key).")
            }
            filters.append((parts[0], parts[1] == "_in" ? Set(value.split(separator: ",").map(String.init)) : [value], parts[1] == "_neq"))
        }
        let matching = readable.filter { row in
            filters.allSatisfy { field, values, negated in
                let value = row[field].map { values.contains(Self.text($0)) } ?? false
                return negated ? !value : value
            }
        }
        var selected = matching
        let limit = Int(query["limit"] ?? "100") ?? 100
        if limit >= 0 {
            let page = max(1, Int(query["page"] ?? "1") ?? 1)
            selected = Array(matching.dropFirst((page - 1) * limit).prefix(limit))
        }
        var envelope: [(key: String, value: JSONValue)] = [
            ("data", .array(try selected.map { try project($0, collection: collection, fields: fields, state: state) }))
        ]
        if let meta = query["meta"] {
            var values: [(key: String, value: JSONValue)] = []
            if meta.contains("total_count") || meta == "*" { values.append(("total_count", .number(Decimal(readable.count)))) }
            if meta.contains("filter_count") || meta == "*" { values.append(("filter_count", .number(Decimal(matching.count)))) }
            envelope.append(("meta", .object(values)))
        }
        return .object(envelope)
    }

    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .null: "null"
        default: value.serialized
        }
    }

    /// `*,category.*,images.directus_files_id.id` → nested field names.
    final class FieldTree {
        var children: [String: FieldTree] = [:]
        var order: [String] = []

        func child(_ name: String) -> FieldTree {
            if let existing = children[name] { return existing }
            let node = FieldTree()
            children[name] = node
            order.append(name)
            return node
        }
    }

    static func fieldTree(_ fields: String) -> FieldTree {
        let root = FieldTree()
        for path in fields.split(separator: ",") {
            var node = root
            for part in path.split(separator: ".") { node = node.child(String(part)) }
        }
        return root
    }

    private func project(_ row: JSONValue, collection: String, fields: FieldTree, state: State) throws -> JSONValue {
        guard case .object(let columns) = row else { return row }
        let m2o = schema[collection]?["m2o"]
        let o2m = schema[collection]?["o2m"]
        var result: [(key: String, value: JSONValue)] = []
        func set(_ key: String, _ value: JSONValue) {
            if let index = result.firstIndex(where: { $0.key == key }) { result[index].value = value } else { result.append((key, value)) }
        }
        let wildcard = fields.children["*"] != nil
        if wildcard {
            for column in columns { set(column.key, column.value) }
            if case .object(let aliases) = o2m {
                for alias in aliases { set(alias.key, junctionIDs(row, alias: alias.value, state: state)) }
            }
        }
        for name in fields.order where name != "*" {
            let sub = fields.children[name]!
            if let related = m2o?[name]?.string {
                let key = row[name] ?? .null
                if sub.order.isEmpty || key.isNull {
                    set(name, key)
                } else if let target = state.rows[related]?.first(where: { $0["id"] == key }) {
                    set(name, try project(target, collection: related, fields: sub, state: state))
                } else {
                    set(name, key)
                }
            } else if let alias = o2m?[name] {
                if sub.order.isEmpty {
                    set(name, junctionIDs(row, alias: alias, state: state))
                } else {
                    let junction = alias["collection"]?.string ?? ""
                    set(name, .array(try junctionRows(row, alias: alias, state: state).map {
                        try project($0, collection: junction, fields: sub, state: state)
                    }))
                }
            } else if let value = columns.first(where: { $0.key == name })?.value {
                set(name, value)
            } else if !wildcard {
                // Asking explicitly for a field that does not exist is a 403 in Directus.
                throw Self.forbidden
            }
        }
        return .object(result)
    }

    private func junctionRows(_ row: JSONValue, alias: JSONValue, state: State) -> [JSONValue] {
        guard let collection = alias["collection"]?.string, let field = alias["field"]?.string else { return [] }
        return (state.rows[collection] ?? [])
            .filter { $0[field] == row["id"] }
            .sorted { ($0["sort"]?.int ?? 0) < ($1["sort"]?.int ?? 0) }
    }

    private func junctionIDs(_ row: JSONValue, alias: JSONValue, state: State) -> JSONValue {
        .array(junctionRows(row, alias: alias, state: state).compactMap { $0["id"] })
    }
}
