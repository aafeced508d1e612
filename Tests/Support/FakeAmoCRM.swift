import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// A loopback amoCRM following `Fixtures/amocrm`: the OAuth2 token endpoint with single-use,
/// rotating refresh tokens (reusing one revokes the connection, as amoCRM does), and an API
/// call that checks the Bearer token.
public final class FakeAmoCRM: Sendable {
    public static let clientID = "6a2d4741-1c2b-4d5e-8f90-92277723dcea"
    public static let clientSecret = "PZp1wm7VexampleSecretDoNotUse"

    struct State {
        var codes: Set<String> = []
        var access: String?
        var accessExpires = Date.distantPast
        var refresh: String?
        var usedRefreshTokens: Set<String> = []
        var refreshCalls = 0
        var exchangeCalls = 0
        var issued = 0
        var refreshDelay: Duration = .zero
        var expiresIn = 86_400
        // The API side.
        var leads: [StoredLead] = []
        var contacts: [Contact] = []
        var notes: [Data] = []
        var nextID = 30_000_001
        var apiRequests: [(path: String, at: Date)] = []
        var rateLimited = 0
        var failNextComplexAfterStoring: Duration?
        var answer429Next = 0
        var answer500Next = 0
        var down = false
        var requestsWhileDown = 0
        var complexCalls = 0
        var companies: [Int: String] = [:]
        var dealReads = 0
        // The account's setup (`setup-apis.md`).
        var dealFields: [DealFieldRecord] = FakeAmoCRM.initialDealFields
        var users: [UserRecord] = FakeAmoCRM.initialUsers
        var webhooks: [WebhookRecord] = []
        var nextWebhookID = 839_701
        var nextFieldID = 600_201
        var fieldCreations = 0
        var webhookCreations = 0
        /// The token's user is not an admin: `/users` and `/webhooks` answer 403.
        var notAdmin = false
        var pipelineArchived = false
    }

    public struct DealFieldRecord: Sendable {
        public var id: Int
        public var name: String
        public var type: String
        public var code: String?
    }

    public struct UserRecord: Sendable {
        public var id: Int
        public var name: String
        public var isActive: Bool
        public var isAdmin: Bool
    }

    public struct WebhookRecord: Sendable {
        public var id: Int
        public var destination: String
        public var settings: [String]
        public var disabled: Bool
    }

    /// The deal fields of `setup-apis.md` and the other fixtures.
    static let initialDealFields = [
        DealFieldRecord(id: 1010, name: "utm_source", type: "tracking_data", code: "UTM_SOURCE"),
        DealFieldRecord(id: 600101, name: "Товар", type: "text"),
        DealFieldRecord(id: 600102, name: "Артикул", type: "text"),
        DealFieldRecord(id: 600103, name: "Количество", type: "numeric"),
        DealFieldRecord(id: 600104, name: "Ссылка на товар", type: "url"),
        DealFieldRecord(id: 600105, name: "Комментарий клиента", type: "textarea"),
        DealFieldRecord(id: serialFieldID, name: "Серийный номер", type: "text"),
        DealFieldRecord(id: 600107, name: "Дата поставки", type: "date"),
    ]
    static let initialUsers = [
        UserRecord(id: 9000001, name: "Ольга Админова", isActive: true, isAdmin: true),
        UserRecord(id: 9000002, name: "Иван Продажин", isActive: true, isAdmin: false),
        UserRecord(id: 9000003, name: "Пётр Уволенный", isActive: false, isAdmin: false),
    ]

    struct Contact: Sendable {
        var id: Int
        var name: String
        var phone: String?
        var email: String?
    }

    struct StoredLead: Sendable {
        var id: Int
        var name: String
        var contactID: Int?
        var body: Data
        var statusID = FakeAmoCRM.statusID
        var closedAt: Int?
        var companyID: Int?
        /// Values set in amoCRM after the lead was made (a manager types in the serial number).
        var fields: [Int: String] = [:]
    }

    /// Created leads, as amoCRM stored them (the request bodies plus `id` and `contact_id`).
    public var leads: [[String: Any]] {
        state.withLock { $0.leads }.map { stored in
            var lead = (try? JSONSerialization.jsonObject(with: stored.body) as? [String: Any]) ?? [:]
            lead["id"] = stored.id
            lead["contact_id"] = stored.contactID
            return lead
        }
    }

    public var notes: [[String: Any]] {
        state.withLock { $0.notes }.compactMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    }
    public var complexCalls: Int { state.withLock { $0.complexCalls } }
    public var rateLimitedAnswers: Int { state.withLock { $0.rateLimited } }
    public var apiRequestCount: Int { state.withLock { $0.apiRequests.count } }
    /// The most API requests seen in any one-second window.
    public var peakRequestsPerSecond: Int {
        state.withLock { state in
            let times = state.apiRequests.map(\.at).sorted()
            var peak = 0
            var start = 0
            for end in times.indices {
                while times[end].timeIntervalSince(times[start]) >= 1 { start += 1 }
                peak = max(peak, end - start + 1)
            }
            return peak
        }
    }

    /// A customer who is already in the CRM.
    /// A customer who is already in the CRM; phones are stored as a manager typed them.
    public func addContact(id: Int, name: String = "Клиент", phone: String?, email: String?) {
        state.withLock { $0.contacts.append(Contact(id: id, name: name, phone: phone, email: email)) }
    }

    /// The next leads/complex call stores the leads, then answers only after `delay` (the
    /// client times out: an unknown outcome).
    public func storeThenStall(_ delay: Duration) { state.withLock { $0.failNextComplexAfterStoring = delay } }
    public func answer429(times: Int) { state.withLock { $0.answer429Next = times } }
    public func answer500(times: Int) { state.withLock { $0.answer500Next = times } }
    /// While down, every API request answers 503 (an outage of amoCRM's API).
    public func setDown(_ down: Bool) { state.withLock { $0.down = down } }
    /// API requests answered while down.
    public var requestsWhileDown: Int { state.withLock { $0.requestsWhileDown } }
    /// amoCRM revokes the connection (a refresh token was reused elsewhere).
    public func revokeEverything() {
        state.withLock { state in
            state.access = nil
            state.refresh = nil
        }
    }

    /// Field codes this account has; these and the ids of `dealFields` pass, anything else is a 400.
    /// «Серийный номер», a text field of the account's deals.
    public static let serialFieldID = 600106
    public static let accountID = 31361463
    static let knownFieldCodes: Set<String> = ["UTM_SOURCE", "UTM_MEDIUM", "UTM_CAMPAIGN", "UTM_TERM", "UTM_CONTENT", "PHONE", "EMAIL"]
    static let pipelineID = 7000001
    public static let statusID = 70000011

    let state = Mutex(State())
    public let redirectURI: String

    public init(redirectURI: String = "https://shop.example.ru/webhook/amocrm") {
        self.redirectURI = redirectURI
    }

    public func addCode(_ code: String) { state.withLock { _ = $0.codes.insert(code) } }
    public var refreshCalls: Int { state.withLock { $0.refreshCalls } }
    /// Authorization-code exchanges asked for, successful or not (each spends the client secret).
    public var exchangeCalls: Int { state.withLock { $0.exchangeCalls } }
    public var currentAccessToken: String? { state.withLock { $0.access } }
    public var currentRefreshToken: String? { state.withLock { $0.refresh } }
    public func setRefreshDelay(_ delay: Duration) { state.withLock { $0.refreshDelay = delay } }

    public func run<Value: Sendable>(_ body: @Sendable (_ baseURL: String) async throws -> Value) async throws -> Value {
        let router = Router()
        router.post("/oauth2/access_token") { request, context in try await self.token(request, context: context) }
        router.get("/api/v4/account") { request, _ in self.account(request) }
        addSetupRoutes(to: router)
        router.post("/api/v4/leads/complex") { request, context in try await self.api(request) { try await self.complex(request) } }
        router.get("/api/v4/leads") { request, _ in try await self.api(request) { self.searchLeads(request) } }
        router.get("/api/v4/contacts") { request, _ in try await self.api(request) { self.searchContacts(request) } }
        router.post("/api/v4/leads/notes") { request, _ in try await self.api(request) { try await self.addNotes(request) } }
        router.get("/api/v4/leads/:id") { request, context in try await self.api(request) { self.deal(context.parameters.get("id", as: Int.self)) } }
        router.get("/api/v4/companies/:id") { request, context in
            try await self.api(request) { self.entity(context.parameters.get("id", as: Int.self), kind: "companies") }
        }
        router.get("/api/v4/contacts/:id") { request, context in
            try await self.api(request) { self.entity(context.parameters.get("id", as: Int.self), kind: "contacts") }
        }
        return try await LoopbackServer.run(router, label: "fake-amocrm", body)
    }

    func problem(_ status: Int, _ fields: [String: Any]) -> Response {
        var body = fields
        body["status"] = status
        let data = (try? JSONSerialization.data(withJSONObject: body)) ?? Data()
        return Response(
            status: .init(code: status), headers: [.contentType: "application/problem+json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private func token(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 1 << 16)
        var fields: [String: String] = [:]
        if request.headers[.contentType]?.hasPrefix("application/json") == true {
            fields = (try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: String]) ?? [:]
        } else {
            for pair in String(buffer: buffer).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                if parts.count == 2 { fields[parts[0]] = parts[1] }
            }
        }
        guard fields["client_id"] == Self.clientID, fields["client_secret"] == Self.clientSecret,
            fields["redirect_uri"] == redirectURI
        else {
            return problem(401, ["title": "Некорректный клиент", "detail": "Авторизация клиента не прошла", "type": "https://developers.amocrm.ru/v3/errors/OAuthProblemJson"])
        }
        switch fields["grant_type"] {
        case "authorization_code":
            let valid = state.withLock { state -> Bool in
                state.exchangeCalls += 1
                return state.codes.remove(fields["code"] ?? "") != nil
            }
            guard valid else {
                return problem(400, ["hint": "Authorization code has expired", "title": "Некорректный запрос", "detail": "В запросе отсутствует ряд параметров или параметры невалидны"])
            }
            return issue()
        case "refresh_token":
            let (delay, outcome) = state.withLock { state -> (Duration, Bool?) in
                state.refreshCalls += 1
                guard let presented = fields["refresh_token"] else { return (.zero, false) }
                if presented == state.refresh {
                    state.usedRefreshTokens.insert(presented)
                    return (state.refreshDelay, true)
                }
                if state.usedRefreshTokens.contains(presented) {
                    // Reuse of a refresh token: amoCRM revokes the connection.
                    state.access = nil
                    state.refresh = nil
                    return (.zero, nil)
                }
                return (.zero, false)
            }
            if delay > .zero { try await Task.sleep(for: delay) }
            switch outcome {
            case true: return issue()
            case nil: return problem(401, ["hint": "Token has been revoked", "title": "Некорректный запрос", "detail": "В запросе отсутствует ряд параметров или параметры невалидны"])
            default: return problem(400, ["hint": "Token is invalid", "title": "Некорректный запрос", "detail": "Невалидный токен"])
            }
        default:
            return problem(400, ["title": "Некорректный запрос", "detail": "grant_type"])
        }
    }

    private func issue() -> Response {
        let (access, refresh, expiresIn) = state.withLock { state -> (String, String, Int) in
            state.issued += 1
            state.access = "access-\(state.issued)-\(UUID().uuidString)"
            state.refresh = "def502-refresh-\(state.issued)-\(UUID().uuidString)"
            state.accessExpires = Date().addingTimeInterval(TimeInterval(state.expiresIn))
            return (state.access!, state.refresh!, state.expiresIn)
        }
        let body: [String: Any] = [
            "token_type": "Bearer", "expires_in": expiresIn, "access_token": access, "refresh_token": refresh,
            "server_time": Int(Date().timeIntervalSince1970),
        ]
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: body)) ?? Data())))
    }

    /// Bearer check and amoCRM's limit of 7 requests per second (429 with an empty body).
    func api(_ request: Request, _ handle: () async throws -> Response) async throws -> Response {
        let down = state.withLock { state -> Bool in
            if state.down { state.requestsWhileDown += 1 }
            return state.down
        }
        if down { return problem(503, ["title": "Service Unavailable"]) }
        let failing = state.withLock { state -> Bool in
            guard state.answer500Next > 0 else { return false }
            state.answer500Next -= 1
            return true
        }
        if failing { return problem(500, ["title": "Internal Server Error"]) }
        let (authorized, limited) = state.withLock { state -> (Bool, Bool) in
            let now = Date()
            state.apiRequests.append((request.uri.path, now))
            let lastSecond = state.apiRequests.filter { now.timeIntervalSince($0.at) < 1 }.count
            var limited = lastSecond > 7
            if state.answer429Next > 0 {
                state.answer429Next -= 1
                limited = true
            }
            if limited { state.rateLimited += 1 }
            let authorized = state.access != nil && request.headers[.authorization] == "Bearer \(state.access!)" && state.accessExpires > now
            return (authorized, limited)
        }
        if limited { return Response(status: .tooManyRequests, headers: [.contentLength: "0"]) }
        guard authorized else {
            return problem(401, ["title": "Unauthorized", "type": "https://httpstatus.es/401", "detail": "Неверный логин или пароль"])
        }
        return try await handle()
    }

    func json(_ value: Any, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/hal+json"],
            body: .init(byteBuffer: ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: value)) ?? Data())))
    }

    private func complex(_ request: Request) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 1 << 22)
        guard let leads = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [[String: Any]], leads.count <= 50 else {
            return problem(400, ["title": "Bad Request", "detail": "Request validation failed"])
        }
        // Validate like amoCRM: unknown pipeline, field ids or codes refuse the whole request.
        var errors: [[String: Any]] = []
        let knownFieldIDs = Set(state.withLock { $0.dealFields.map(\.id) })
        for lead in leads {
            var problems: [[String: Any]] = []
            if let pipeline = lead["pipeline_id"] as? Int, pipeline != Self.pipelineID {
                problems.append(["code": "NotSupportedChoice", "path": "pipeline_id", "detail": "The value you selected is not a valid choice."])
            }
            for (index, field) in (lead["custom_fields_values"] as? [[String: Any]] ?? []).enumerated() {
                if let id = field["field_id"] as? Int, !knownFieldIDs.contains(id) {
                    problems.append(["code": "NotSupportedChoice", "path": "custom_fields_values.\(index).field_id", "detail": "The value you selected is not a valid choice."])
                }
                if let code = field["field_code"] as? String, !Self.knownFieldCodes.contains(code) {
                    problems.append(["code": "NotSupportedChoice", "path": "custom_fields_values.\(index).field_code", "detail": "The value you selected is not a valid choice."])
                }
            }
            if lead["_embedded"].flatMap({ ($0 as? [String: Any])?["metadata"] }) != nil {
                problems.append(["code": "Metadata", "path": "_embedded.metadata", "detail": "test fake: metadata would put the lead into «Неразобранное»"])
            }
            if !problems.isEmpty { errors.append(["request_id": lead["request_id"] ?? "0", "errors": problems]) }
        }
        if !errors.isEmpty {
            return problem(400, ["validation-errors": errors, "title": "Bad Request", "type": "https://httpstatus.es/400", "detail": "Request validation failed"])
        }
        struct Incoming: Sendable {
            var requestID: String
            var name: String
            var existingContact: Int?
            var newContact: (name: String, phone: String?, email: String?)?
            var company: String?
            var body: Data
        }
        let incoming = leads.map { lead -> Incoming in
            let embedded = lead["_embedded"] as? [String: Any] ?? [:]
            let contact = (embedded["contacts"] as? [[String: Any]])?.first
            var newContact: (name: String, phone: String?, email: String?)?
            if let contact, contact["id"] == nil {
                var phone: String?
                var email: String?
                for field in contact["custom_fields_values"] as? [[String: Any]] ?? [] {
                    let value = ((field["values"] as? [[String: Any]])?.first?["value"]) as? String
                    if field["field_code"] as? String == "PHONE" { phone = value }
                    if field["field_code"] as? String == "EMAIL" { email = value }
                }
                newContact = (contact["first_name"] as? String ?? contact["name"] as? String ?? "", phone, email)
            }
            return Incoming(
                requestID: lead["request_id"] as? String ?? "0", name: lead["name"] as? String ?? "",
                existingContact: contact?["id"] as? Int, newContact: newContact,
                company: (embedded["companies"] as? [[String: Any]])?.first?["name"] as? String,
                body: (try? JSONSerialization.data(withJSONObject: lead)) ?? Data())
        }
        let (stored, stall) = state.withLock { state -> ([(id: Int, contactID: Int?, requestID: String)], Duration?) in
            state.complexCalls += 1
            var stored: [(id: Int, contactID: Int?, requestID: String)] = []
            for lead in incoming {
                let id = state.nextID
                state.nextID += 1
                var contactID = lead.existingContact
                if let newContact = lead.newContact {
                    let newID = 40_000_000 + state.contacts.count + 1
                    state.contacts.append(Contact(id: newID, name: newContact.name, phone: newContact.phone, email: newContact.email))
                    contactID = newID
                }
                var companyID: Int?
                if let company = lead.company {
                    companyID = 50_000_001 + state.companies.count
                    state.companies[companyID!] = company
                }
                state.leads.append(StoredLead(id: id, name: lead.name, contactID: contactID, body: lead.body, companyID: companyID))
                stored.append((id, contactID, lead.requestID))
            }
            let stall = state.failNextComplexAfterStoring
            state.failNextComplexAfterStoring = nil
            return (stored, stall)
        }
        let results: [[String: Any]] = stored.map {
            ["id": $0.id, "contact_id": $0.contactID as Any, "company_id": NSNull(), "request_id": [$0.requestID], "merged": false]
        }
        if let stall { try await Task.sleep(for: stall) }
        return json(results)
    }

    private func searchLeads(_ request: Request) -> Response {
        let query = request.uri.queryParameters.get("query").map { String($0) } ?? ""
        let matches = state.withLock { state in state.leads.filter { $0.name.contains(query) }.map { ($0.id, $0.name) } }
        if matches.isEmpty { return Response(status: .noContent) }
        let found: [[String: Any]] = matches.map { ["id": $0.0, "name": $0.1] }
        return json(["_page": 1, "_embedded": ["leads": found]])
    }

    /// amoCRM's contact search is full-text: the query may match the name, any phone (by its
    /// digits) or e-mail, and partial values – not only the customer asked for.
    private func searchContacts(_ request: Request) -> Response {
        let query = (request.uri.queryParameters.get("query").map { String($0) } ?? "").lowercased()
        // Phones are matched on their last ten digits, whatever the formatting (8 (912) … or +7 912 …).
        let queryDigits = String(query.filter(\.isNumber).suffix(10))
        let found = state.withLock { state in
            state.contacts.filter { contact in
                contact.name.lowercased().contains(query) || contact.email?.lowercased().contains(query) == true
                    || (queryDigits.count == 10 && contact.phone?.filter(\.isNumber).contains(queryDigits) == true)
            }
        }
        if found.isEmpty { return Response(status: .noContent) }
        let contacts: [[String: Any]] = found.map { contact in
            var fields: [[String: Any]] = []
            if let phone = contact.phone {
                fields.append(["field_id": 264911, "field_code": "PHONE", "field_type": "multitext", "values": [["value": phone, "enum_code": "WORK"]]])
            }
            if let email = contact.email {
                fields.append(["field_id": 264913, "field_code": "EMAIL", "field_type": "multitext", "values": [["value": email, "enum_code": "WORK"]]])
            }
            return ["id": contact.id, "name": contact.name, "custom_fields_values": fields.isEmpty ? NSNull() : fields]
        }
        return json(["_page": 1, "_embedded": ["contacts": contacts]])
    }

    private func addNotes(_ request: Request) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 1 << 22)
        let notes = (try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [[String: Any]]) ?? []
        let bodies = notes.map { (try? JSONSerialization.data(withJSONObject: $0)) ?? Data() }
        let first = state.withLock { state -> Int in
            state.notes.append(contentsOf: bodies)
            return 60_000_000 + state.notes.count - bodies.count
        }
        let created: [[String: Any]] = notes.enumerated().map { ["id": first + $0.offset, "entity_id": $0.element["entity_id"] ?? 0] }
        return json(["_embedded": ["notes": created]])
    }

    private func account(_ request: Request) -> Response {
        let valid = state.withLock { state in
            state.access != nil && request.headers[.authorization] == "Bearer \(state.access!)" && state.accessExpires > Date()
        }
        guard valid else {
            return problem(401, ["title": "Unauthorized", "type": "https://httpstatus.es/401", "detail": "Неверный логин или пароль"])
        }
        return Response(
            status: .ok, headers: [.contentType: "application/hal+json"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"id":31361463,"name":"Пример","subdomain":"example","current_user_id":9000001}"#)))
    }

    // MARK: Deals as amoCRM shows and moves them.

    /// `GET /api/v4/leads/{id}?with=contacts`, shaped like `lead_get_response.json`; 204 with an
    /// empty body when there is no such lead.
    private func deal(_ id: Int?) -> Response {
        let found = state.withLock { state -> (StoredLead, [String: Any]?)? in
            state.dealReads += 1
            guard let lead = state.leads.first(where: { $0.id == id }) else { return nil }
            return (lead, try? JSONSerialization.jsonObject(with: lead.body) as? [String: Any])
        }
        guard let (lead, body) = found else { return Response(status: .noContent) }
        var fields = (body?["custom_fields_values"] as? [[String: Any]] ?? []).filter { $0["field_id"] != nil || $0["field_code"] != nil }
        for (fieldID, value) in lead.fields.sorted(by: { $0.key < $1.key }) {
            fields.removeAll { $0["field_id"] as? Int == fieldID }
            fields.append(["field_id": fieldID, "field_name": "Поле \(fieldID)", "field_code": NSNull(), "field_type": "text", "values": [["value": value]]])
        }
        var embedded: [String: Any] = ["tags": []]
        if let company = lead.companyID { embedded["companies"] = [["id": company]] }
        if let contact = lead.contactID { embedded["contacts"] = [["id": contact, "is_main": true]] }
        let json: [String: Any] = [
            "id": lead.id, "name": lead.name, "price": body?["price"] ?? 0, "status_id": lead.statusID, "pipeline_id": Self.pipelineID,
            "closed_at": lead.closedAt ?? NSNull(), "custom_fields_values": fields.isEmpty ? NSNull() : fields,
            "account_id": Self.accountID, "is_deleted": false, "_embedded": embedded,
        ]
        return self.json(json)
    }

    private func entity(_ id: Int?, kind: String) -> Response {
        let name = state.withLock { state -> String? in
            switch kind {
            case "companies": return id.flatMap { state.companies[$0] }
            default: return state.contacts.first { $0.id == id }?.name
            }
        }
        guard let name, let id else { return Response(status: .noContent) }
        return json(["id": id, "name": name, "custom_fields_values": NSNull()])
    }

    /// Times a deal was read by id.
    public var dealReads: Int { state.withLock { $0.dealReads } }

    /// Where amoCRM posts «Смена статуса сделки» (the account's webhook setting).
    public func setWebhookURL(_ url: String?) {
        state.withLock { state in
            state.webhooks.removeAll()
            if let url {
                state.webhooks.append(WebhookRecord(id: state.nextWebhookID, destination: url, settings: ["status_lead"], disabled: false))
                state.nextWebhookID += 1
            }
        }
    }

    /// A deal made by a manager in amoCRM, not by the site: its name, custom fields, company
    /// and contact.
    @discardableResult
    public func addDeal(name: String, fields: [Int: String] = [:], company: String? = nil, contact: String? = nil) -> Int {
        state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            var companyID: Int?
            if let company {
                companyID = 50_000_001 + state.companies.count
                state.companies[companyID!] = company
            }
            var contactID: Int?
            if let contact {
                contactID = 40_000_000 + state.contacts.count + 1
                state.contacts.append(Contact(id: contactID!, name: contact, phone: nil, email: nil))
            }
            let body = (try? JSONSerialization.data(withJSONObject: ["name": name])) ?? Data()
            state.leads.append(StoredLead(id: id, name: name, contactID: contactID, body: body, companyID: companyID, fields: fields))
            return id
        }
    }

    /// Sets a custom field of a deal, as a manager does in amoCRM.
    public func setField(_ fieldID: Int, of dealID: Int, to value: String) {
        state.withLock { state in
            guard let index = state.leads.firstIndex(where: { $0.id == dealID }) else { return }
            state.leads[index].fields[fieldID] = value
        }
    }

    /// The deal's status now (amoCRM's 142 is won, 143 lost).
    public func status(of dealID: Int) -> Int? { state.withLock { state in state.leads.first { $0.id == dealID }?.statusID } }

    /// Moves a deal to `status` (142 and 143 close it) and posts the account's webhook, as
    /// amoCRM does. Returns the webhook's HTTP status (nil: no webhook set).
    @discardableResult
    public func moveDeal(_ dealID: Int, to status: Int, closedAt: Date = Date()) async throws -> Int? {
        let event = state.withLock { state -> (name: String, old: Int)? in
            guard let index = state.leads.firstIndex(where: { $0.id == dealID }) else { return nil }
            let old = state.leads[index].statusID
            state.leads[index].statusID = status
            if status == 142 || status == 143 { state.leads[index].closedAt = Int(closedAt.timeIntervalSince1970) }
            return (state.leads[index].name, old)
        }
        guard let event else { return nil }
        return try await postWebhook(Self.statusWebhook([(dealID, event.name, status, event.old)]))
    }

    /// Posts a webhook body (form-encoded) to the account's webhook URL; its HTTP status.
    public func postWebhook(_ body: String) async throws -> Int? {
        let url = state.withLock { state in
            state.webhooks.first { !$0.disabled && $0.settings.contains("status_lead") }?.destination
        }
        guard let url else { return nil }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "User-Agent", value: "amoCRM-Webhooks/3.0")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 16)
        return Int(response.status.code)
    }

    /// A «Смена статуса сделки» body with the legacy field names amoCRM posts
    /// (`webhook_status_142.fields.txt`), several events as `[0]`, `[1]`, ….
    public static func statusWebhook(
        _ events: [(dealID: Int, name: String, status: Int, oldStatus: Int)], subdomain: String = "example", accountID: Int = accountID
    ) -> String {
        var fields: [(String, String)] = []
        let now = String(Int(Date().timeIntervalSince1970))
        for (index, event) in events.enumerated() {
            let prefix = "leads[status][\(index)]"
            fields += [
                ("\(prefix)[id]", String(event.dealID)), ("\(prefix)[name]", event.name), ("\(prefix)[status_id]", String(event.status)),
                ("\(prefix)[old_status_id]", String(event.oldStatus)), ("\(prefix)[pipeline_id]", String(pipelineID)),
                ("\(prefix)[old_pipeline_id]", String(pipelineID)), ("\(prefix)[responsible_user_id]", "9000002"),
                ("\(prefix)[last_modified]", now), ("\(prefix)[modified_user_id]", "9000001"), ("\(prefix)[created_user_id]", "0"),
                ("\(prefix)[date_create]", now), ("\(prefix)[account_id]", String(accountID)),
            ]
        }
        fields += [("account[subdomain]", subdomain), ("account[id]", String(accountID)), ("account[_links][self]", "https://\(subdomain).amocrm.ru")]
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text }
        return fields.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }
}
