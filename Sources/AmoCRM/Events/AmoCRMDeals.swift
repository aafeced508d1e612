import Foundation

/// A deal (amoCRM calls them leads) as `GET /api/v4/leads/{id}?with=contacts` answers it.
public struct AmoCRMDeal: Sendable, Equatable {
    public var id: Int
    public var name: String
    public var statusID: Int
    public var pipelineID: Int?
    /// When it was closed (won or lost).
    public var closedAt: Date?
    /// Custom field values by field id, the first value of each, as text.
    public var fields: [Int: String]
    public var companyID: Int?
    /// The main contact, or the first one.
    public var contactID: Int?

    public var won: Bool { statusID == StatusEvent.won }

    public init(
        id: Int, name: String, statusID: Int, pipelineID: Int? = nil, closedAt: Date? = nil, fields: [Int: String] = [:],
        companyID: Int? = nil, contactID: Int? = nil
    ) {
        self.id = id
        self.name = name
        self.statusID = statusID
        self.pipelineID = pipelineID
        self.closedAt = closedAt
        self.fields = fields
        self.companyID = companyID
        self.contactID = contactID
    }

    /// Reads the API's JSON object; nil when it lacks an id or a status.
    public init?(json: [String: Any]) {
        guard let id = json["id"] as? Int, let status = json["status_id"] as? Int else { return nil }
        self.id = id
        name = json["name"] as? String ?? ""
        statusID = status
        pipelineID = json["pipeline_id"] as? Int
        closedAt = (json["closed_at"] as? Int).map { Date(timeIntervalSince1970: TimeInterval($0)) }
        var fields: [Int: String] = [:]
        // `custom_fields_values` is null, not [], when the deal has none.
        for field in json["custom_fields_values"] as? [[String: Any]] ?? [] {
            guard let fieldID = field["field_id"] as? Int, let first = (field["values"] as? [[String: Any]])?.first?["value"] else { continue }
            switch first {
            case let text as String: fields[fieldID] = text
            case let number as NSNumber: fields[fieldID] = number.stringValue
            default: continue
            }
        }
        self.fields = fields
        let embedded = json["_embedded"] as? [String: Any] ?? [:]
        companyID = (embedded["companies"] as? [[String: Any]])?.first?["id"] as? Int
        let contacts = embedded["contacts"] as? [[String: Any]] ?? []
        contactID = (contacts.first { $0["is_main"] as? Bool == true } ?? contacts.first)?["id"] as? Int
    }
}

/// Reading deals and writing notes on them, through the shared paced API client, on the
/// pace's turns that lead deliveries leave (`.background`).
public struct AmoCRMDeals: Sendable {
    let api: AmoCRMAPI

    public init(api: AmoCRMAPI) {
        self.api = api
    }

    /// The deal as amoCRM has it now; nil when there is no such deal (amoCRM answers 204, or
    /// 404 for an id it never had).
    public func deal(id: Int) async throws(AmoCRMError) -> AmoCRMDeal? {
        let reply = try await api.get("/api/v4/leads/\(id)", query: ["with": "contacts"], priority: .background)
        switch reply.status {
        case 204, 404: return nil
        case 200:
            guard let json = reply.json as? [String: Any], let deal = AmoCRMDeal(json: json), deal.id == id else {
                throw .invalidResponse("GET /api/v4/leads/\(id) without the deal")
            }
            return deal
        default:
            throw .rejected(status: reply.status, detail: "GET /api/v4/leads/\(id)")
        }
    }

    /// A company's or contact's name (`kind`: `companies`, `contacts`); nil when it has none or
    /// is gone.
    public func name(of kind: Entity, id: Int) async throws(AmoCRMError) -> String? {
        let reply = try await api.get("/api/v4/\(kind.rawValue)/\(id)", priority: .background)
        switch reply.status {
        case 204, 404: return nil
        case 200:
            let name = ((reply.json as? [String: Any])?["name"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines)
            return name?.isEmpty == false ? name : nil
        default:
            throw .rejected(status: reply.status, detail: "GET /api/v4/\(kind.rawValue)/\(id)")
        }
    }

    public enum Entity: String, Sendable {
        case companies, contacts
    }

    /// Adds a `common` note to each deal, all in one request (at most 50).
    public func addNotes(_ notes: [(dealID: Int, text: String)]) async throws(AmoCRMError) {
        guard !notes.isEmpty else { return }
        let body = notes.map { ["entity_id": $0.dealID, "note_type": "common", "params": ["text": $0.text]] as [String: Any] }
        let reply = try await api.post("/api/v4/leads/notes", json: body, priority: .background)
        guard (200..<300).contains(reply.status) else {
            throw .rejected(status: reply.status, detail: "POST /api/v4/leads/notes")
        }
    }
}
