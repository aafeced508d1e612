import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// `catalog-bff directus-setup`: brings a Directus project to what catalog-bff needs, with an
/// admin token given once and never stored, through Directus' own endpoints (`setup-apis.md`):
/// - the catalog's collections, fields and relations from the snapshot kept in
///   `deploy/directus/schema.json` (`/schema/diff`, then `/schema/apply`) – only what is missing
///   is created; a field that exists with another type or settings holds data and is reported,
///   never altered or dropped, and the project's other collections are left alone;
/// - the Flow whose request operation posts every change to `/webhook/directus` with the secret;
/// - the collections' preview URL;
/// - the Public policy's read of published items (and of the images' files and junction).
/// A second run finds everything in place and changes nothing.
public struct DirectusSetup: Sendable {
    public struct Settings: Sendable {
        public var directusURL: String
        public var adminToken: String
        /// `PUBLIC_BASE_URL`.
        public var siteURL: String
        public var webhookSecret: String?
        public var previewSecret: String?
        /// A catalog under its own names (`CATALOG_MAPPING`): its schema is the project's own.
        public var mapping: CatalogMapping
        /// The site reads with `DIRECTUS_TOKEN`: the Public role needs no rules for it.
        public var siteHasToken: Bool

        public init(
            directusURL: String, adminToken: String, siteURL: String, webhookSecret: String?, previewSecret: String?,
            mapping: CatalogMapping = CatalogMapping(), siteHasToken: Bool = false
        ) {
            self.mapping = mapping
            self.siteHasToken = siteHasToken
            self.directusURL = directusURL.hasSuffix("/") ? String(directusURL.dropLast()) : directusURL
            self.adminToken = adminToken
            self.siteURL = siteURL
            self.webhookSecret = webhookSecret
            self.previewSecret = previewSecret
        }
    }

    /// One step of the plan: what it is, and whether it changes anything.
    public struct Step: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case inPlace, change, conflict }
        public var kind: Kind
        public var text: String
    }

    public struct SetupError: Error, CustomStringConvertible {
        public var description: String
    }

    let settings: Settings
    let snapshot: JSONValue
    let httpClient: HTTPClient

    public init(settings: Settings, snapshot: JSONValue, httpClient: HTTPClient = .shared) {
        self.settings = settings
        self.snapshot = snapshot
        self.httpClient = httpClient
    }

    public static let flowName = "catalog-bff: catalog changed"
    var webhookURL: String { settings.siteURL + "/webhook/directus" }
    var mapping: CatalogMapping { settings.mapping }
    /// The catalog's collections: the schema's, and what the Public policy may read.
    var watched: [String] { [mapping.products, mapping.categories, mapping.images] + (mapping.specRows.map { [$0.collection] } ?? []) }
    /// What the Flow reports: the catalog, and files (a replaced image drops its cached sizes).
    var flowCollections: [String] { watched + ["directus_files"] }

    /// Every step, carried out unless `dryRun`; a dry run says what it would do.
    public func run(dryRun: Bool) async throws -> [Step] {
        try await checkAdmin()
        var steps = try await schema(dryRun: dryRun)
        steps.append(try await flow(dryRun: dryRun))
        steps += try await previewURLs(dryRun: dryRun)
        steps += try await publicRead(dryRun: dryRun)
        return steps
    }

    // MARK: - Requests

    struct Answer {
        var status: Int
        var json: JSONValue?
        var error: String { DirectusCatalogSource.errorMessage(json) ?? "HTTP \(status)" }
    }

    func call(_ method: HTTPMethod, _ path: String, _ query: [(String, String)] = [], body: JSONValue? = nil) async throws -> Answer {
        let encoded = DirectusCatalogSource.encode(query)
        var request = HTTPClientRequest(url: settings.directusURL + path + (encoded.isEmpty ? "" : "?" + encoded))
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(settings.adminToken)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.serialized))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await httpClient.execute(request, timeout: .seconds(30))
            bytes = try await response.body.collect(upTo: 32 << 20)
        } catch {
            throw SetupError(description: "Directus \(settings.directusURL) не отвечает (\(method) \(path)): \(DirectusCatalogSource.describe(error))")
        }
        return Answer(status: Int(response.status.code), json: try? JSONParser.parse(bytes.readableBytesView))
    }

    func expect(_ answer: Answer, _ statuses: Set<Int>, _ what: String) throws {
        guard statuses.contains(answer.status) else { throw SetupError(description: "\(what): \(answer.error)") }
    }

    /// The token must be an admin's: Directus 11 says so in `/policies/me/globals`, Directus 10
    /// in the role's `admin_access`.
    func checkAdmin() async throws {
        let me = try await call(.GET, "/users/me", [("fields", "id,email")])
        guard me.status == 200 else {
            throw SetupError(description: "Directus не принимает токен администратора (\(me.error)): нужен статический токен пользователя с правами администратора")
        }
        var admin = false
        let globals = try await call(.GET, "/policies/me/globals")
        if globals.status == 200 {
            admin = globals.json?["data"]?["admin_access"] == .bool(true)
        } else {
            let role = try await call(.GET, "/users/me", [("fields", "role.admin_access")])
            admin = role.json?["data"]?["role"]?["admin_access"] == .bool(true)
        }
        guard admin else {
            throw SetupError(description: "токен не администратора: схему, Flows и права меняет только администратор Directus")
        }
    }

    // MARK: - Schema

    /// Diff the snapshot against the project; apply only what creates (`N`) in the catalog's
    /// collections; report what would alter or drop something there.
    func schema(dryRun: Bool) async throws -> [Step] {
        guard mapping.isDefault else {
            return [Step(kind: .inPlace, text: "схема: задан CATALOG_MAPPING — коллекции проекта остаются как есть (поля проверит catalog-bff doctor)")]
        }
        guard let data = snapshot["data"] ?? (snapshot["collections"] != nil ? snapshot : nil) else {
            throw SetupError(description: "снимок схемы без collections")
        }
        let diff = try await call(.POST, "/schema/diff", [("force", "true")], body: data)
        if diff.status == 204 { return [Step(kind: .inPlace, text: "схема: коллекции и поля каталога на месте")] }
        try expect(diff, [200], "сравнение схемы (/schema/diff)")
        guard let result = diff.json?["data"], let hash = result["hash"], let changes = result["diff"] else {
            throw SetupError(description: "/schema/diff: ответ без hash и diff")
        }
        let ours = Set(watched)
        var steps: [Step] = []
        var kept: [(key: String, value: JSONValue)] = []
        for list in ["collections", "fields", "systemFields", "relations"] {
            var entries: [JSONValue] = []
            for entry in changes[list]?.array ?? [] {
                guard let collection = entry["collection"]?.string, ours.contains(collection) else { continue }
                let name = entry["field"]?.string.map { "\(collection).\($0)" } ?? collection
                let kinds = (entry["diff"]?.array ?? []).compactMap { $0["kind"]?.string }
                if kinds.allSatisfy({ $0 == "N" }), !kinds.isEmpty {
                    entries.append(entry)
                    let what = list == "collections" ? "коллекция" : list == "relations" ? "связь" : "поле"
                    steps.append(Step(kind: .change, text: "схема: \(dryRun ? "будет создано" : "создано") — \(what) \(name)"))
                } else if list == "fields", Self.typeEdit(entry) {
                    steps.append(Step(kind: .conflict, text: "схема: поле \(name) отличается от снимка (\(Self.describe(entry))) — не изменено: в нём могут быть данные; поправьте вручную или укажите своё поле в CATALOG_MAPPING"))
                }
                // Anything else is the project's own: extra fields (`D`), a field's width, note
                // or database type, a collection's icon, a relation's sort.
            }
            // Directus 10 has no `systemFields`: only the lists the diff returned go back.
            if changes[list] != nil { kept.append((list, .array(entries))) }
        }
        if steps.isEmpty { steps.append(Step(kind: .inPlace, text: "схема: коллекции и поля каталога на месте")) }
        let creates = steps.contains { $0.kind == .change }
        if creates, !dryRun {
            let apply = try await call(.POST, "/schema/apply", body: .object([("hash", hash), ("diff", .object(kept))]))
            try expect(apply, [200, 204], "изменение схемы (/schema/apply)")
        }
        return steps
    }

    /// A field whose Directus type differs from the snapshot's: what the site reads may not fit.
    static func typeEdit(_ entry: JSONValue) -> Bool {
        (entry["diff"]?.array ?? []).contains { $0["kind"]?.string == "E" && $0["path"] == .array([.string("type")]) }
    }

    /// `type integer → decimal` from a field's `E` entries.
    static func describe(_ entry: JSONValue) -> String {
        let edits = (entry["diff"]?.array ?? []).filter { $0["kind"]?.string == "E" }
        return edits.prefix(3).map { edit in
            let path = (edit["path"]?.array ?? []).compactMap(\.scalarText).joined(separator: ".")
            return "\(path): \(edit["lhs"]?.scalarText ?? "null") → \(edit["rhs"]?.scalarText ?? "null")"
        }.joined(separator: ", ")
    }

    // MARK: - Flow

    func flow(dryRun: Bool) async throws -> Step {
        guard let secret = settings.webhookSecret else {
            return Step(kind: .conflict, text: "Flow: DIRECTUS_WEBHOOK_SECRET не задан — вебхук не настроен (правки видны через CATALOG_FRESH_SECONDS)")
        }
        let found = try await call(.GET, "/flows", [("filter[name][_eq]", Self.flowName), ("fields", "*,operations.*"), ("limit", "-1")])
        try expect(found, [200], "чтение Flows")
        let options = JSONValue.object([
            ("type", .string("action")), ("scope", .array(["items.create", "items.update", "items.delete"].map(JSONValue.string))),
            ("collections", .array(flowCollections.map(JSONValue.string))),
        ])
        let request = JSONValue.object([
            ("method", .string("POST")), ("url", .string(webhookURL)),
            ("headers", .array([.object([("header", .string("X-Webhook-Secret")), ("value", .string(secret))])])),
            ("body", .string("{{$trigger}}")),
        ])
        guard let flow = found.json?["data"]?.array?.first, let flowID = flow["id"]?.string else {
            if dryRun { return Step(kind: .change, text: "Flow «\(Self.flowName)» → POST \(webhookURL): будет создан") }
            let created = try await call(.POST, "/flows", body: .object([
                ("name", .string(Self.flowName)), ("icon", .string("webhook")), ("status", .string("active")), ("trigger", .string("event")),
                // Activity only: "all" keeps a revision of every run, header values included.
                ("accountability", .string("activity")), ("description", .string("POST /webhook/directus on every change")), ("options", options),
            ]))
            try expect(created, [200], "создание Flow")
            guard let id = created.json?["data"]?["id"]?.string else { throw SetupError(description: "POST /flows: ответ без id") }
            let operation = try await call(.POST, "/operations", body: .object([
                ("flow", .string(id)), ("name", .string("POST to catalog-bff")), ("key", .string("notify_bff")), ("type", .string("request")),
                ("position_x", .number(19)), ("position_y", .number(1)), ("options", request),
            ]))
            try expect(operation, [200], "создание операции Flow")
            guard let operationID = operation.json?["data"]?["id"] else { throw SetupError(description: "POST /operations: ответ без id") }
            try expect(try await call(.PATCH, "/flows/\(id)", body: .object([("operation", operationID)])), [200], "привязка операции к Flow")
            return Step(kind: .change, text: "Flow «\(Self.flowName)» → POST \(webhookURL): создан")
        }
        // The Flow is there: bring its trigger and its request operation to what they must be.
        let operation = (flow["operations"]?.array ?? []).first { $0["type"]?.string == "request" }
        let flowRight = flow["status"]?.string == "active" && flow["options"]?["collections"] == options["collections"]
            && flow["options"]?["scope"] == options["scope"]
        let operationRight = operation?["options"]?["url"]?.string == webhookURL && operation?["options"]?["headers"] == request["headers"]
        if flowRight, operationRight { return Step(kind: .inPlace, text: "Flow «\(Self.flowName)» → POST \(webhookURL): на месте") }
        if dryRun { return Step(kind: .change, text: "Flow «\(Self.flowName)»: будет исправлен (адрес, секрет или коллекции)") }
        if !flowRight {
            let patched = try await call(.PATCH, "/flows/\(flowID)", body: .object([("status", .string("active")), ("options", options)]))
            try expect(patched, [200], "исправление Flow")
        }
        if !operationRight {
            if let operationID = operation?["id"]?.string {
                try expect(try await call(.PATCH, "/operations/\(operationID)", body: .object([("options", request)])), [200], "исправление операции Flow")
            } else {
                let created = try await call(.POST, "/operations", body: .object([
                    ("flow", .string(flowID)), ("name", .string("POST to catalog-bff")), ("key", .string("notify_bff")), ("type", .string("request")),
                    ("position_x", .number(19)), ("position_y", .number(1)), ("options", request),
                ]))
                try expect(created, [200], "создание операции Flow")
                if let operationID = created.json?["data"]?["id"] {
                    try expect(try await call(.PATCH, "/flows/\(flowID)", body: .object([("operation", operationID)])), [200], "привязка операции к Flow")
                }
            }
        }
        return Step(kind: .change, text: "Flow «\(Self.flowName)»: исправлен")
    }

    // MARK: - Preview URL

    func previewURLs(dryRun: Bool) async throws -> [Step] {
        guard let secret = settings.previewSecret else {
            return [Step(kind: .conflict, text: "Preview URL: PREVIEW_SECRET не задан — предпросмотр выключен")]
        }
        var steps: [Step] = []
        for collection in [mapping.products, mapping.categories] {
            let wanted = "\(settings.siteURL)/preview/\(collection)/{{id}}?secret=\(Self.queryValue(secret))&version={{$version}}"
            let current = try await call(.GET, "/collections/\(collection)")
            // A dry run on an empty project: the collection comes with the schema step.
            if dryRun, current.status == 403 {
                steps.append(Step(kind: .change, text: "Preview URL коллекции \(collection): будет задан"))
                continue
            }
            try expect(current, [200], "коллекция \(collection)")
            if current.json?["data"]?["meta"]?["preview_url"]?.string == wanted {
                steps.append(Step(kind: .inPlace, text: "Preview URL коллекции \(collection): на месте"))
                continue
            }
            if !dryRun {
                let patched = try await call(.PATCH, "/collections/\(collection)", body: .object([("meta", .object([("preview_url", .string(wanted))]))]))
                try expect(patched, [200], "Preview URL коллекции \(collection)")
            }
            steps.append(Step(kind: .change, text: "Preview URL коллекции \(collection): \(dryRun ? "будет задан" : "задан")"))
        }
        return steps
    }

    /// A value as it goes into a URL's query: everything but unreserved characters escaped.
    public static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryValueAllowed) ?? text
    }

    // MARK: - Public read

    /// Read rules of the Public policy, when the site reads as the Public role (no
    /// `DIRECTUS_TOKEN`): published products and categories, the image junction and files. A
    /// missing rule is added; an existing one that says something else is the project's
    /// decision (a stricter filter, say) and is reported, not overwritten.
    func publicRead(dryRun: Bool) async throws -> [Step] {
        guard !settings.siteHasToken else {
            return [Step(kind: .inPlace, text: "права: сайт читает с DIRECTUS_TOKEN — права Public не меняю (роли токена нужно чтение коллекций каталога)")]
        }
        let policies = try await call(.GET, "/policies", [("filter[name][_eq]", "$t:public_label"), ("fields", "id,name")])
        guard policies.status == 200, let policy = policies.json?["data"]?.array?.first?["id"] else {
            return [Step(kind: .conflict, text: "права: политики Public нет (Directus 10?) — выдайте роли Public чтение опубликованного вручную")]
        }
        func published(_ field: String) -> JSONValue { .object([(field, .object([("_eq", .string(mapping.published))]))]) }
        let rules: [(String, JSONValue)] =
            [
                (mapping.products, published(mapping.productField("status"))), (mapping.categories, published(mapping.categoryField("status"))),
                (mapping.images, .null), ("directus_files", .null),
            ] + (mapping.specRows.map { [($0.collection, JSONValue.null)] } ?? [])
        var steps: [Step] = []
        for (collection, filter) in rules {
            let existing = try await call(.GET, "/permissions", [
                ("filter[policy][_eq]", policy.scalarText ?? ""), ("filter[collection][_eq]", collection), ("filter[action][_eq]", "read"),
                ("fields", "id,permissions,fields"),
            ])
            try expect(existing, [200], "права \(collection)")
            let what = filter.isNull ? "чтение \(collection)" : "чтение опубликованного в \(collection)"
            if let rule = existing.json?["data"]?.array?.first {
                let current = rule["permissions"] ?? .null
                let same = current == filter || (filter.isNull && current == .object([]))
                steps.append(
                    same
                        ? Step(kind: .inPlace, text: "права Public: \(what) — на месте")
                        : Step(kind: .conflict, text: "права Public: у \(collection) уже есть своё правило чтения — не изменено; проверьте, что черновики не видны"))
                continue
            }
            if !dryRun {
                let created = try await call(.POST, "/permissions", body: .object([
                    ("policy", policy), ("collection", .string(collection)), ("action", .string("read")), ("fields", .array([.string("*")])),
                    ("permissions", filter), ("validation", .null), ("presets", .null),
                ]))
                try expect(created, [200], "права \(collection)")
            }
            steps.append(Step(kind: .change, text: "права Public: \(what) — \(dryRun ? "будет выдано" : "выдано")"))
        }
        return steps
    }
}
