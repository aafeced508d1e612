import Basics
import NIOCore

/// `doctor`'s checks of Directus, live: reachable, whose token, the catalog's collections and
/// fields with usable types, who may read what, the purge Flow and the preview URL. Each check
/// says what it found and, when something is wrong, what to change.
public struct DirectusDoctor: Sendable {
    let source: DirectusCatalogSource
    /// `PUBLIC_BASE_URL`, without a trailing slash.
    let siteURL: String
    let previewSecret: String?
    let webhookSecret: String?

    public init(source: DirectusCatalogSource, siteURL: String, previewSecret: String?, webhookSecret: String?) {
        self.source = source
        self.siteURL = siteURL
        self.previewSecret = previewSecret
        self.webhookSecret = webhookSecret
    }

    var mapping: CatalogMapping { source.configuration.mapping }
    var products: String { mapping.products }
    var categories: String { mapping.categories }
    var directus: String { source.configuration.baseURL }
    static let setup = "catalog-bff directus-setup (с токеном администратора Directus)"

    /// A field the site reads: the Directus types it can use, and what the site loses without it.
    struct FieldRule: Sendable {
        var field: String
        var types: Set<String>
        /// nil: the site cannot work without it (a failure); otherwise what it shows instead (a warning).
        var without: String?
    }

    static let integers: Set<String> = ["integer", "bigInteger"]
    static let texts: Set<String> = ["string", "text"]
    static let keys: Set<String> = ["integer", "bigInteger", "string", "uuid"]

    static let productRules = [
        FieldRule(field: "id", types: integers, without: nil),
        FieldRule(field: "status", types: texts, without: nil),
        FieldRule(field: "name", types: texts, without: nil),
        FieldRule(field: "slug", types: texts, without: "адреса товаров будут по id"),
        FieldRule(field: "category", types: keys, without: "товары не попадут в разделы"),
        FieldRule(field: "price", types: ["decimal", "float", "integer", "bigInteger", "string"], without: "у всех товаров «Цена по запросу»"),
        FieldRule(field: "currency", types: texts, without: "все цены в рублях"),
        FieldRule(field: "sku", types: ["string", "text", "integer", "bigInteger"], without: "без артикулов"),
        FieldRule(field: "specs", types: ["json", "text", "alias", "string"], without: "характеристики по умолчанию"),
        FieldRule(field: "description", types: texts, without: "без описаний"),
        FieldRule(field: "availability", types: texts, without: "наличие «под заказ»"),
        FieldRule(field: "hero_image", types: ["uuid", "string"], without: "без главных фото"),
        FieldRule(field: "images", types: ["alias"], without: "без галерей"),
        FieldRule(field: "date_updated", types: ["timestamp", "dateTime"], without: "в sitemap нет дат изменения"),
    ]
    static let categoryRules = [
        FieldRule(field: "id", types: integers, without: nil),
        FieldRule(field: "status", types: texts, without: nil),
        FieldRule(field: "name", types: texts, without: nil),
        FieldRule(field: "slug", types: texts, without: nil),
        FieldRule(field: "parent", types: keys, without: "разделы без вложенности"),
        FieldRule(field: "sort", types: integers, without: "разделы по алфавиту"),
    ]

    /// Every check, in the order they are printed.
    public func diagnose() async -> [Diagnosis] {
        let server = await pingServer()
        guard server.level == .ok else { return [server] }
        let token = await whoAmI()
        guard token.level != .failure else { return [server, token] }
        async let fields = fieldChecks()
        async let published = publishedCheck()
        async let drafts = draftsCheck()
        async let flow = flowCheck()
        async let preview = previewCheck()
        return [server, token] + (await fields) + [await published, await drafts, await flow, await preview]
    }

    // MARK: - Requests

    /// One answer as it came: status, parsed JSON (nil when not JSON), raw bytes.
    struct Answer {
        var status: Int
        var json: JSONValue?
        var body: ByteBuffer
        var error: String? { DirectusCatalogSource.errorMessage(json) }
    }

    func ask(_ path: String, _ query: [(String, String)] = [], anonymous: Bool = false) async throws(CatalogError) -> Answer {
        let (response, body) = try await source.send(
            path, query: DirectusCatalogSource.encode(query), accept: "application/json", limit: 8 << 20, anonymous: anonymous)
        return Answer(status: Int(response.status.code), json: try? JSONParser.parse(body.readableBytesView), body: body)
    }

    // MARK: - Checks

    func pingServer() async -> Diagnosis {
        let check = "directus.server"
        do {
            let answer = try await ask("/server/ping", anonymous: true)
            guard answer.status == 200, String(buffer: answer.body).hasPrefix("pong") else {
                return .failure(
                    check, "\(directus)/server/ping ответил \(answer.status), а не pong: это не Directus",
                    fix: "проверьте DIRECTUS_URL — адрес Directus без /admin")
            }
            return .ok(check, "Directus \(directus) отвечает")
        } catch {
            return .failure(check, "Directus \(directus) недоступен: \(error)", fix: "проверьте DIRECTUS_URL и что Directus запущен")
        }
    }

    func whoAmI() async -> Diagnosis {
        let check = "directus.token"
        guard source.configuration.token != nil else {
            return .ok(check, "DIRECTUS_TOKEN не задан: каталог читается правами роли Public")
        }
        do {
            let answer = try await ask("/users/me", [("fields", "id,email,first_name,last_name,status")])
            switch answer.status {
            case 200:
                let user = answer.json?["data"]
                let name = user?["email"]?.string ?? user?["id"]?.string ?? "?"
                if let status = user?["status"]?.string, status != "active" {
                    return .failure(check, "токен пользователя \(name), но он не активен (\(status))", fix: "включите пользователя в Directus или задайте другой DIRECTUS_TOKEN")
                }
                return .ok(check, "токен пользователя \(name)")
            case 401:
                return .failure(
                    check, "Directus не принимает DIRECTUS_TOKEN (\(answer.error ?? "401"))",
                    fix: "в Directus: пользователь-сервис → Token → сгенерировать, сохранить; новое значение в DIRECTUS_TOKEN")
            default:
                return .failure(check, "/users/me ответил \(answer.status): \(answer.error ?? "")", fix: "проверьте DIRECTUS_URL и DIRECTUS_TOKEN")
            }
        } catch {
            return .failure(check, "/users/me: \(error)", fix: "проверьте DIRECTUS_URL и сеть")
        }
    }

    func fieldChecks() async -> [Diagnosis] {
        let mapping = mapping
        let productRules = Self.productRules.map { rule in
            var mapped = rule
            mapped.field = mapping.productField(rule.field)
            // Spec rows come through a one-to-many alias.
            if rule.field == "specs", mapping.specRows != nil { mapped.types = ["alias"] }
            return mapped
        }
        let categoryRules = Self.categoryRules.map { rule in
            var mapped = rule
            mapped.field = mapping.categoryField(rule.field)
            return mapped
        }
        async let products = fieldCheck(collection: products, rules: productRules)
        async let categories = fieldCheck(collection: categories, rules: categoryRules)
        var found = [await products, await categories]
        if let rows = mapping.specRows {
            let rules = [
                FieldRule(field: rows.name, types: Self.texts, without: nil), FieldRule(field: rows.value, types: Self.texts.union(["integer", "decimal", "float"]), without: nil),
            ] + (rows.unit.map { [FieldRule(field: $0, types: Self.texts, without: "без единиц")] } ?? [])
            found.append(await fieldCheck(collection: rows.collection, rules: rules))
        }
        return found
    }

    func fieldCheck(collection: String, rules: [FieldRule]) async -> Diagnosis {
        let check = "directus.fields"
        let answer: Answer
        do {
            answer = try await ask("/fields/\(collection)")
        } catch {
            return .failure(check, "/fields/\(collection): \(error)", fix: "проверьте доступ к Directus")
        }
        guard answer.status == 200, let list = answer.json?["data"]?.array else {
            return .failure(
                check, "коллекции «\(collection)» нет или она не видна \(source.configuration.token == nil ? "роли Public" : "токену")",
                fix: "создайте схему: \(Self.setup); или выдайте чтение коллекции в Directus")
        }
        var types: [String: String] = [:]
        for field in list {
            if let name = field["field"]?.string { types[name] = field["type"]?.string ?? "?" }
        }
        var broken: [String] = []
        var lacking: [String] = []
        for rule in rules {
            guard let type = types[rule.field] else {
                if let without = rule.without {
                    lacking.append("нет поля \(rule.field) (\(without))")
                } else {
                    broken.append("нет поля \(rule.field)")
                }
                continue
            }
            if !rule.types.contains(type) {
                let wanted = rule.types.sorted().joined(separator: "/")
                if rule.without == nil {
                    broken.append("\(rule.field): тип \(type), нужен \(wanted)")
                } else {
                    lacking.append("\(rule.field): тип \(type), нужен \(wanted) (иначе \(rule.without!))")
                }
            }
        }
        if !broken.isEmpty {
            return .failure(
                check, "\(collection): " + broken.joined(separator: "; "),
                fix: "добавьте или исправьте поля (\(Self.setup)), либо укажите свои имена в CATALOG_MAPPING")
        }
        if !lacking.isEmpty {
            return .warning(check, "\(collection): " + lacking.joined(separator: "; "), fix: "добавьте или исправьте поля: \(Self.setup)")
        }
        return .ok(check, "\(collection): все поля на месте (\(rules.count))")
    }

    func publishedCheck() async -> Diagnosis {
        let check = "directus.published"
        do {
            let answer = try await ask(
                "/items/\(products)", [("fields", "id"), mapping.publishedFilter, ("limit", "1"), ("meta", "filter_count")])
            guard answer.status == 200 else {
                return .failure(
                    check, "опубликованные товары не читаются: \(answer.status) \(answer.error ?? "")",
                    fix: "выдайте \(source.configuration.token == nil ? "роли Public" : "роли токена") чтение \(products) и \(categories) (\(Self.setup))")
            }
            let count = answer.json?["meta"]?["filter_count"]?.int ?? answer.json?["data"]?.array?.count ?? 0
            guard count > 0 else {
                return .warning(check, "опубликованных товаров нет: каталог сайта пуст", fix: "опубликуйте товары в Directus (status = published)")
            }
            return .ok(check, "опубликованных товаров: \(count)")
        } catch {
            return .failure(check, "\(products): \(error)", fix: "проверьте доступ к Directus")
        }
    }

    /// The Public role must not see drafts (anyone can ask Directus directly); the token may,
    /// when it is the preview's.
    func draftsCheck() async -> Diagnosis {
        let check = "directus.drafts"
        let query = [("fields", "id"), ("filter[\(mapping.productField("status"))][_neq]", mapping.published), ("limit", "1")]
        do {
            let asPublic = try await ask("/items/\(products)", query, anonymous: true)
            if asPublic.status == 200, asPublic.json?["data"]?.array?.isEmpty == false {
                return .failure(
                    check, "роль Public читает черновики \(products): их видит любой в \(directus)",
                    fix: "в Directus: Access Policies → Public → \(products) → Read → фильтр \(mapping.productField("status")) = \(mapping.published) (\(Self.setup) делает это)")
            }
            guard source.configuration.token != nil else { return .ok(check, "черновики роли Public не видны") }
            // Directus 11 says what the token may read; a catalog without drafts cannot show it.
            let rights = try await ask("/permissions/me")
            let access = rights.status == 200 ? rights.json?["data"]?[products]?["read"]?["access"]?.string : nil
            let tokenSeesDrafts: Bool
            if let access {
                tokenSeesDrafts = access == "full"
            } else {
                let asToken = try await ask("/items/\(products)", query)
                tokenSeesDrafts = asToken.status == 200 && asToken.json?["data"]?.array?.isEmpty == false
            }
            switch (tokenSeesDrafts, previewSecret != nil) {
            case (true, false):
                return .warning(
                    check, "токен видит черновики, а предпросмотр выключен",
                    fix: "задайте PREVIEW_SECRET (предпросмотр) или оставьте токену только опубликованное")
            case (false, true):
                return .warning(
                    check, "токен не видит черновики: предпросмотр покажет только опубликованное",
                    fix: "выдайте роли токена чтение всех товаров (без фильтра по status)")
            default:
                return .ok(check, tokenSeesDrafts ? "черновики видит только токен (для предпросмотра)" : "черновики никому не видны")
            }
        } catch {
            return .failure(check, "\(products): \(error)", fix: "проверьте доступ к Directus")
        }
    }

    /// The Flow that tells this site of every change: active, on the catalog's collections, with a
    /// request operation posting to `/webhook/directus` with the secret header.
    func flowCheck() async -> Diagnosis {
        let check = "directus.flow"
        let target = siteURL + "/webhook/directus"
        guard let webhookSecret else {
            return .warning(
                check, "DIRECTUS_WEBHOOK_SECRET не задан: правки видны на сайте через CATALOG_FRESH_SECONDS",
                fix: "задайте DIRECTUS_WEBHOOK_SECRET и выполните \(Self.setup)")
        }
        let answer: Answer
        do {
            answer = try await ask("/flows", [("fields", "id,name,status,trigger,options,operations.type,operations.options"), ("limit", "-1")])
        } catch {
            return .failure(check, "/flows: \(error)", fix: "проверьте доступ к Directus")
        }
        guard answer.status == 200, let flows = answer.json?["data"]?.array else {
            return .warning(
                check, "токен не видит Flows (\(answer.status)): вебхук не проверить",
                fix: "проверьте в Directus вручную: Flow с запросом POST \(target), или выполните \(Self.setup)")
        }
        var problems: [String] = []
        for flow in flows {
            let requests = (flow["operations"]?.array ?? []).filter { $0["type"]?.string == "request" }
            guard let operation = requests.first(where: { Self.sameURL($0["options"]?["url"]?.string, target) }) else { continue }
            let name = flow["name"]?.string ?? "?"
            if flow["status"]?.string != "active" { problems.append("Flow «\(name)» выключен"); continue }
            let collections = Set((flow["options"]?["collections"]?.array ?? []).compactMap(\.string))
            let lacking = [products, categories].filter { !collections.contains($0) }
            if !lacking.isEmpty { problems.append("Flow «\(name)» не следит за \(lacking.joined(separator: ", "))"); continue }
            let headers = operation["options"]?["headers"]?.array ?? []
            let secret = headers.first { $0["header"]?.string?.lowercased() == "x-webhook-secret" }?["value"]?.string
            guard let secret else { problems.append("в Flow «\(name)» нет заголовка X-Webhook-Secret"); continue }
            // `{{$env.X}}` is filled in by Directus from its own environment: not ours to compare.
            if !secret.contains("{{"), secret != webhookSecret {
                problems.append("в Flow «\(name)» X-Webhook-Secret не совпадает с DIRECTUS_WEBHOOK_SECRET")
                continue
            }
            return .ok(check, "Flow «\(name)» шлёт изменения на \(target)")
        }
        let found = problems.isEmpty ? "нет Flow, который шлёт изменения на \(target)" : problems.joined(separator: "; ")
        return .failure(check, found + ": правки видны на сайте только через CATALOG_FRESH_SECONDS", fix: "выполните \(Self.setup)")
    }

    func previewCheck() async -> Diagnosis {
        let check = "directus.preview"
        guard let previewSecret else {
            return .warning(check, "PREVIEW_SECRET не задан: предпросмотр черновиков выключен", fix: "задайте PREVIEW_SECRET и выполните \(Self.setup)")
        }
        let answer: Answer
        do {
            answer = try await ask("/collections/\(products)")
        } catch {
            return .failure(check, "/collections/\(products): \(error)", fix: "проверьте доступ к Directus")
        }
        guard answer.status == 200, let meta = answer.json?["data"]?["meta"] else {
            return .warning(check, "настройки коллекции \(products) не видны токену (\(answer.status))", fix: "проверьте Preview URL в Directus вручную")
        }
        let wanted = siteURL + "/preview/\(products)/"
        guard let url = meta["preview_url"]?.string, !url.isEmpty else {
            return .warning(check, "у коллекции \(products) не задан Preview URL", fix: "выполните \(Self.setup)")
        }
        guard url.hasPrefix(wanted) else {
            return .warning(check, "Preview URL коллекции \(products) ведёт не на \(wanted)", fix: "выполните \(Self.setup)")
        }
        guard url.contains("secret=" + DirectusSetup.queryValue(previewSecret)) || url.contains("secret=" + previewSecret) else {
            return .warning(check, "в Preview URL коллекции \(products) не тот secret: редактор увидит «не найдено»", fix: "выполните \(Self.setup)")
        }
        return .ok(check, "Preview URL ведёт на \(wanted)…")
    }

    /// The same address, with or without a trailing slash.
    static func sameURL(_ url: String?, _ target: String) -> Bool {
        guard var url else { return false }
        while url.hasSuffix("/") { url.removeLast() }
        return url == target
    }
}
