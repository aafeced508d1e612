import Basics
import Foundation
import Leads
import Logging

/// The `amocrm` outbox channel: leads go to `POST /api/v4/leads/complex` in
/// batches of up to 50, each with its contact (an existing one reused), company, UTM fields,
/// a tag with the source and our lead id as `request_id`; then a `common` note with the
/// whole order, also in batches.
///
/// amoCRM does not store `request_id`, so a lead whose earlier attempt may have reached it
/// (a timeout after sending) is first looked up by its name, `Заявка №{n}`, and never sent
/// twice. A 400 on a batch is split to find the lead amoCRM refuses; that one goes dead with
/// amoCRM's errors, the others go through.
public struct AmoCRMDeliverer: LeadDeliverer {
    public let channel = DeliveryChannel.amocrm
    let api: AmoCRMAPI
    let tokens: TokenManager
    let configuration: AmoCRMConfiguration
    let contacts: ContactDirectory
    let logger: Logger
    static let batchLimit = 50

    public init(api: AmoCRMAPI, tokens: TokenManager, configuration: AmoCRMConfiguration, contacts: ContactDirectory, logger: Logger) {
        self.api = api
        self.tokens = tokens
        self.configuration = configuration
        self.contacts = contacts
        self.logger = logger
    }

    public func unavailableReason() async -> String? {
        await tokens.problem()
    }

    public func deliver(_ lead: Lead) async -> DeliveryOutcome {
        await deliver(batch: [(lead, false)])[0]
    }

    public func deliver(batch: [(lead: Lead, maybeSent: Bool)]) async -> [DeliveryOutcome] {
        var outcomes = [DeliveryOutcome?](repeating: nil, count: batch.count)
        // Once leads/complex went out, a failure leaves the outcome unknown.
        var sending = false
        do {
            // 1. Leads that may already be in amoCRM are looked up by name, not re-sent.
            for (index, entry) in batch.enumerated() where entry.maybeSent {
                if let id = try await findLead(named: entry.lead.title) {
                    outcomes[index] = .delivered(externalID: String(id))
                }
            }
            // 2. Contacts: known locally, found in amoCRM (one search per customer, not per
            //    lead), or created with the customer's first lead. A customer's other leads wait
            //    for that contact, so that one customer does not become several contacts.
            var first: [Int] = []
            var later: [Int] = []
            var contactIDs: [Int: Int] = [:]
            var searched: [String: Int?] = [:]
            for (index, entry) in batch.enumerated() where outcomes[index] == nil {
                let customer = Self.customerKey(entry.lead)
                if let known = searched[customer] {
                    if let known { contactIDs[index] = known; first.append(index) } else { later.append(index) }
                    continue
                }
                let id = try await contactID(for: entry.lead)
                searched[customer] = .some(id)
                if let id { contactIDs[index] = id }
                first.append(index)
            }
            // 3. Leads in batches of 50; a refused batch is split.
            var created: [(index: Int, leadID: Int)] = []
            sending = true
            for chunk in stride(from: 0, to: first.count, by: Self.batchLimit) {
                let indices = Array(first[chunk..<min(first.count, chunk + Self.batchLimit)])
                try await send(indices, batch: batch, contactIDs: contactIDs, outcomes: &outcomes, created: &created)
            }
            for index in later {
                let order = batch[index].lead.order
                if let id = try? await contacts.contactID(phone: order.phone, email: order.email) { contactIDs[index] = id }
            }
            for chunk in stride(from: 0, to: later.count, by: Self.batchLimit) {
                let indices = Array(later[chunk..<min(later.count, chunk + Self.batchLimit)])
                try await send(indices, batch: batch, contactIDs: contactIDs, outcomes: &outcomes, created: &created)
            }
            // 4. Notes with the whole order, in batches; a lost note does not undo a lead.
            for chunk in stride(from: 0, to: created.count, by: Self.batchLimit) {
                let slice = created[chunk..<min(created.count, chunk + Self.batchLimit)]
                let notes = slice.map { entry in
                    ["entity_id": entry.leadID, "note_type": "common", "params": ["text": Self.noteText(batch[entry.index].lead)]] as [String: Any]
                }
                do {
                    let reply = try await api.post("/api/v4/leads/notes", json: notes)
                    if reply.status >= 300 { logger.error("amoCRM notes refused", metadata: ["status": "\(reply.status)"]) }
                } catch {
                    logger.error("amoCRM notes failed", metadata: ["error": "\(error)"])
                }
            }
        } catch let error as AmoCRMError {
            let outcome = Self.outcome(for: error, maybeSent: sending)
            return outcomes.map { $0 ?? outcome }
        } catch {
            return outcomes.map { $0 ?? .unavailable("amoCRM: \(error)", maybeSent: sending) }
        }
        return outcomes.map { $0 ?? .failed("no answer from amoCRM for this lead") }
    }

    /// Sends leads `indices` in one request; on a 400 splits the batch until the refused
    /// leads are alone.
    private func send(
        _ indices: [Int], batch: [(lead: Lead, maybeSent: Bool)], contactIDs: [Int: Int], outcomes: inout [DeliveryOutcome?],
        created: inout [(index: Int, leadID: Int)]
    ) async throws {
        guard !indices.isEmpty else { return }
        let body = indices.map { complexLead(batch[$0].lead, contactID: contactIDs[$0]) }
        let reply = try await api.post("/api/v4/leads/complex", json: body)
        switch reply.status {
        case 200, 201:
            guard let results = reply.json as? [[String: Any]] else { throw AmoCRMError.invalidResponse("leads/complex without an array") }
            for result in results {
                guard let leadID = result["id"] as? Int, let requestIDs = result["request_id"] as? [String],
                    let index = indices.first(where: { requestIDs.contains(batch[$0].lead.id) })
                else { continue }
                outcomes[index] = .delivered(externalID: String(leadID))
                created.append((index, leadID))
                let lead = batch[index].lead
                if let contactID = result["contact_id"] as? Int, contactIDs[index] != contactID {
                    try? await contacts.remember(contactID, phone: lead.order.phone, email: lead.order.email)
                }
            }
        case 400 where indices.count > 1:
            let middle = indices.count / 2
            try await send(Array(indices[..<middle]), batch: batch, contactIDs: contactIDs, outcomes: &outcomes, created: &created)
            try await send(Array(indices[middle...]), batch: batch, contactIDs: contactIDs, outcomes: &outcomes, created: &created)
        case 400:
            outcomes[indices[0]] = .rejected("amoCRM: " + Self.validationErrors(reply))
        default:
            throw AmoCRMError.rejected(status: reply.status, detail: Self.validationErrors(reply))
        }
    }

    /// Creates a lead that says it is a connection test (`GET /ingest/test-crm`).
    public func createTestLead(now: Date) async throws(AmoCRMError) -> Int {
        var body: [String: Any] = [
            "name": "Проверка связи с сайтом \(MoscowTime.format(now))",
            "_embedded": ["tags": [["name": "тест"]]],
        ]
        if let pipeline = configuration.pipelineID { body["pipeline_id"] = pipeline }
        if let status = configuration.statusID { body["status_id"] = status }
        if let user = configuration.responsibleUserID { body["responsible_user_id"] = user }
        let reply = try await api.post("/api/v4/leads/complex", json: [body])
        guard reply.status == 200 || reply.status == 201 else {
            throw .rejected(status: reply.status, detail: Self.validationErrors(reply))
        }
        guard let id = (reply.json as? [[String: Any]])?.first?["id"] as? Int else {
            throw .invalidResponse("leads/complex without an id")
        }
        return id
    }

    func findLead(named name: String) async throws -> Int? {
        let reply = try await api.get("/api/v4/leads", query: ["query": name])
        guard reply.status == 200, let json = reply.json as? [String: Any],
            let leads = (json["_embedded"] as? [String: Any])?["leads"] as? [[String: Any]]
        else { return nil }
        // The search is full-text: №12 also matches №125. Only the exact name counts.
        return leads.first { ($0["name"] as? String) == name }?["id"] as? Int
    }

    /// One customer, as far as the order tells: its phone, or its e-mail without one.
    static func customerKey(_ lead: Lead) -> String {
        lead.order.phone.map { "phone:" + $0 } ?? lead.order.email.map { "email:" + $0.lowercased() } ?? "lead:" + lead.id
    }

    /// A known customer's contact: remembered locally, or found with one search – by the
    /// phone, or the e-mail when there is none – whose hits are checked on both fields. With
    /// amoCRM's own duplicate control on, no search at all: amoCRM merges the new contact.
    func contactID(for lead: Lead) async throws -> Int? {
        let phone = lead.order.phone
        let email = lead.order.email
        if let known = try? await contacts.contactID(phone: phone, email: email) { return known }
        guard !configuration.duplicateControl, let query = phone ?? email else { return nil }
        let reply = try await api.get("/api/v4/contacts", query: ["query": query])
        guard reply.status == 200, let json = reply.json as? [String: Any],
            let found = (json["_embedded"] as? [String: Any])?["contacts"] as? [[String: Any]]
        else { return nil }
        for contact in found {
            let same = Self.sameCustomer(contact, phone: phone, email: email)
            guard same.phone != nil || same.email != nil, let id = contact["id"] as? Int else { continue }
            // Only what the contact really holds is remembered: an order with a known
            // phone and a stranger's e-mail must not tie that e-mail to this customer.
            try? await contacts.remember(id, phone: same.phone, email: same.email)
            return id
        }
        return nil
    }

    /// amoCRM's `query` is a full-text search over every field: `+79001234567` also finds a
    /// contact whose note or other number merely contains those digits, or a name like the
    /// e-mail's. Only a contact whose own PHONE (normalized) or EMAIL equals the order's is
    /// this customer; otherwise a new contact is created with the lead.
    /// - Returns: the order's phone and e-mail, each only if the contact holds it.
    static func sameCustomer(_ contact: [String: Any], phone: String?, email: String?) -> (phone: String?, email: String?) {
        let fields = contact["custom_fields_values"] as? [[String: Any]] ?? []
        func values(_ code: String) -> [String] {
            fields.filter { $0["field_code"] as? String == code }
                .flatMap { ($0["values"] as? [[String: Any]] ?? []).compactMap { $0["value"] as? String } }
        }
        let samePhone = phone.flatMap { phone in values("PHONE").contains { PhoneNumber.normalize($0) == phone } ? phone : nil }
        let sameEmail = email.flatMap { email in
            values("EMAIL").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == email.lowercased() } ? email : nil
        }
        return (samePhone, sameEmail)
    }

    /// One element of the leads/complex array. No `_embedded.metadata`: that would put the
    /// lead into «Неразобранное» and ignore the configured status.
    func complexLead(_ lead: Lead, contactID: Int?) -> [String: Any] {
        var body: [String: Any] = ["name": lead.title, "request_id": lead.id]
        if let amount = lead.product?.amount, let value = Decimal(string: amount) {
            body["price"] = NSDecimalNumber(decimal: value).intValue
        }
        if let pipeline = configuration.pipelineID { body["pipeline_id"] = pipeline }
        if let status = configuration.statusID { body["status_id"] = status }
        if let user = configuration.responsibleUserID { body["responsible_user_id"] = user }

        var fields: [[String: Any]] = []
        let utm = lead.order.utm
        for (code, value) in [
            ("UTM_SOURCE", utm.source), ("UTM_MEDIUM", utm.medium), ("UTM_CAMPAIGN", utm.campaign), ("UTM_TERM", utm.term),
            ("UTM_CONTENT", utm.content),
        ] {
            if let value { fields.append(["field_code": code, "values": [["value": value]]]) }
        }
        let custom = configuration.fields
        let extended: [(Int?, Any?)] = [
            (custom.product, lead.product?.name), (custom.sku, lead.product?.sku), (custom.quantity, lead.order.quantity),
            (custom.productURL, lead.product?.url), (custom.comment, lead.order.comment),
        ]
        for case (let id?, let value?) in extended {
            fields.append(["field_id": id, "values": [["value": value]]])
        }
        if !fields.isEmpty { body["custom_fields_values"] = fields }

        var embedded: [String: Any] = ["tags": [["name": lead.source]]]
        if let contactID {
            embedded["contacts"] = [["id": contactID]]
        } else {
            var contact: [String: Any] = ["first_name": lead.order.name]
            var values: [[String: Any]] = []
            if let phone = lead.order.phone {
                values.append(["field_code": "PHONE", "values": [["value": phone, "enum_code": "WORK"]]])
            }
            if let email = lead.order.email {
                values.append(["field_code": "EMAIL", "values": [["value": email, "enum_code": "WORK"]]])
            }
            if !values.isEmpty { contact["custom_fields_values"] = values }
            embedded["contacts"] = [contact]
        }
        if let company = lead.order.company { embedded["companies"] = [["name": company]] }
        body["_embedded"] = embedded
        return body
    }

    static func noteText(_ lead: Lead) -> String {
        var lines = ["\(lead.title)", "Источник: \(lead.source)"]
        if let product = lead.product {
            lines.append("Товар: \(product.name)" + (product.sku.map { " (арт. \($0))" } ?? ""))
            if !product.priceText.isEmpty { lines.append("Цена на сайте: \(product.priceText)") }
            lines.append("Ссылка: \(product.url)")
        }
        lines.append("Количество: \(lead.order.quantity)")
        lines.append("Клиент: \(lead.order.name)")
        if let phone = lead.order.phone { lines.append("Телефон: \(phone)") }
        if let email = lead.order.email { lines.append("E-mail: \(email)") }
        if let company = lead.order.company { lines.append("Компания: \(company)") }
        if let comment = lead.order.comment { lines.append("Комментарий: \(comment)") }
        return lines.joined(separator: "\n")
    }

    static func validationErrors(_ reply: AmoCRMAPI.Reply) -> String {
        guard let json = reply.json as? [String: Any] else { return "HTTP \(reply.status)" }
        var parts: [String] = [json["title"] as? String, json["detail"] as? String].compactMap { $0 }
        if let errors = json["validation-errors"] as? [[String: Any]] {
            for error in errors {
                for item in error["errors"] as? [[String: Any]] ?? [] {
                    parts.append([item["path"] as? String, item["detail"] as? String].compactMap { $0 }.joined(separator: ": "))
                }
            }
        }
        return parts.isEmpty ? "HTTP \(reply.status)" : parts.joined(separator: "; ")
    }

    /// What a failure says about the leads in hand. Only a 400 on one lead (handled where the
    /// batch is split) and an answer we cannot read are about the leads; everything else –
    /// network, timeouts, 5xx, 429, tokens, a refused account – is amoCRM as a whole.
    static func outcome(for error: AmoCRMError, maybeSent: Bool) -> DeliveryOutcome {
        switch error {
        case .needsReauthorization(let reason): .unavailable("нужно переподключить amoCRM: \(reason)")
        case .rateLimited: .unavailable("amoCRM: слишком много запросов (429)", maybeSent: maybeSent)
        case .invalidResponse: .failed(error.description)
        default: .unavailable(error.description, maybeSent: maybeSent)
        }
    }
}
