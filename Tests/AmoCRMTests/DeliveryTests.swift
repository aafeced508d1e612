import Basics
import AmoCRM
import AsyncHTTPClient
import Foundation
import Leads
import Logging
import Storage
import Testing
import TestSupport

struct DeliveryRig {
    let store: LeadStore
    let contacts: ContactDirectory
    let deliverer: AmoCRMDeliverer
    let worker: OutboxWorker
    let api: AmoCRMAPI
    /// The time of the store and the tokens: backoff and waits pass when the test moves it.
    let clock: TestWallClock

    func order(_ name: String, phone: String? = nil, email: String? = nil, comment: String? = nil, source: String = "сайт") async throws -> AcceptedLead {
        try await store.accept(
            NewLead(
                source: source,
                order: ValidLead(
                    productID: 1, name: name, phone: phone, email: email, company: "ООО «Станкомаш»", quantity: 1, comment: comment,
                    utm: UTM(source: "yandex", medium: "cpc")),
                product: ProductSnapshot(
                    id: 1, name: "Токарный станок с ЧПУ CK6150", sku: "CK6150-1000", url: "https://shop.example.ru/product/ck6150",
                    priceText: "1 250 000 ₽", amount: "1250000.00"),
                consent: ConsentRecord(at: Date(), ip: "127.0.0.1", userAgent: nil, version: "1")))
    }

    func state(_ number: Int) async throws -> DeliveryStatus? {
        try await store.deliveries(leadNumber: number).first { $0.channel == .amocrm }
    }
}

/// A delivery rig (store, connected token manager, API client, deliverer, worker) on a fresh
/// database, talking to `amo`, which runs on loopback for the duration of `body`.
func withDelivery<T: Sendable>(
    _ amo: FakeAmoCRM, fields: AmoCRMConfiguration.CustomFields = .init(product: 600101, sku: 600102, quantity: 600103, productURL: 600104, comment: 600105),
    retry: RetryPolicy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(50), maxDelay: .milliseconds(100)),
    timeout: Int64 = 5, duplicateControl: Bool = false, _ body: @Sendable (DeliveryRig) async throws -> T
) async throws -> T {
    try await amo.run { (url: String) async throws in
        try await withDelivery(url, amo: amo, fields: fields, retry: retry, timeout: timeout, duplicateControl: duplicateControl, body)
    }
}

private func withDelivery<T: Sendable>(
    _ url: String, amo: FakeAmoCRM, fields: AmoCRMConfiguration.CustomFields, retry: RetryPolicy, timeout: Int64,
    duplicateControl: Bool, _ body: (DeliveryRig) async throws -> T
) async throws -> T {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("amo-\(UUID().uuidString)/db.sqlite").path
    let database = try await openDatabase(.sqlite(path: path), logger: quietLogger)
    var configuration = AmoCRMConfiguration(
        subdomain: "example", baseURL: url, clientID: FakeAmoCRM.clientID, clientSecret: FakeAmoCRM.clientSecret,
        redirectURI: amo.redirectURI)
    configuration.pipelineID = 7000001
    configuration.statusID = 70000011
    configuration.responsibleUserID = 9000002
    configuration.fields = fields
    configuration.duplicateControl = duplicateControl
    let clock = TestWallClock()
    let tokens = TokenManager(
        store: TokenStore(database: database, account: "example"),
        client: OAuthClient(configuration: configuration, httpClient: HTTPClient.shared), clock: clock, logger: quietLogger)
    amo.addCode("code-rig")
    try await tokens.connect(code: "code-rig")
    let api = AmoCRMAPI(configuration: configuration, httpClient: HTTPClient.shared, tokens: tokens, timeout: .seconds(timeout))
    let store = LeadStore(database: database, clock: clock, logger: quietLogger)
    let deliverer = AmoCRMDeliverer(
        api: api, tokens: tokens, configuration: configuration, contacts: ContactDirectory(database: database), logger: quietLogger)
    let worker = OutboxWorker(
        store: store, deliverer: deliverer, configuration: .init(batchSize: 50, lease: .seconds(30), retry: retry), logger: quietLogger)
    do {
        let result = try await body(
            DeliveryRig(
                store: store, contacts: ContactDirectory(database: database), deliverer: deliverer, worker: worker, api: api, clock: clock))
        await database.close()
        return result
    } catch {
        await database.close()
        throw error
    }
}

@Suite("amoCRM delivery against a loopback amoCRM", .serialized)
struct DeliveryTests {
    @Test("a lead goes to leads/complex as amoCRM expects it, then a note with the whole order")
    func shape() async throws {
        let amo = FakeAmoCRM()
        try await withDelivery(amo) { (rig: DeliveryRig) async throws in
            let accepted = try await rig.order("Иван Петров", phone: "+79123456789", email: "ivan@example.com", comment: "Доставка")
            #expect(await rig.worker.runOnce())
            let lead = try #require(amo.leads.first)
            #expect(lead["name"] as? String == "Заявка №1: Токарный станок с ЧПУ CK6150")
            #expect(lead["price"] as? Int == 1_250_000)
            #expect(lead["pipeline_id"] as? Int == 7000001)
            #expect(lead["status_id"] as? Int == 70000011)
            #expect(lead["responsible_user_id"] as? Int == 9000002)
            #expect(lead["request_id"] as? String == accepted.id)
            let fields = try #require(lead["custom_fields_values"] as? [[String: Any]])
            #expect(fields.contains { $0["field_code"] as? String == "UTM_SOURCE" })
            #expect(fields.contains { $0["field_id"] as? Int == 600105 })
            let embedded = try #require(lead["_embedded"] as? [String: Any])
            #expect(embedded["metadata"] == nil)
            #expect((embedded["tags"] as? [[String: Any]])?.first?["name"] as? String == "сайт")
            let contact = try #require((embedded["contacts"] as? [[String: Any]])?.first)
            #expect(contact["first_name"] as? String == "Иван Петров")
            let phone = try #require((contact["custom_fields_values"] as? [[String: Any]])?.first)
            #expect(phone["field_code"] as? String == "PHONE")
            #expect(((phone["values"] as? [[String: Any]])?.first?["enum_code"]) as? String == "WORK")
            #expect((embedded["companies"] as? [[String: Any]])?.first?["name"] as? String == "ООО «Станкомаш»")
            let note = try #require(amo.notes.first)
            #expect(note["note_type"] as? String == "common")
            #expect(((note["params"] as? [String: Any])?["text"] as? String)?.contains("https://shop.example.ru/product/ck6150") == true)
            #expect(try await rig.state(1)?.state == .delivered)
            #expect(try await rig.state(1)?.externalID == String(lead["id"] as! Int))
        }
    }

    @Test("a returning customer is linked to the same contact: found once in amoCRM, then remembered")
    func returningCustomer() async throws {
        let amo = FakeAmoCRM()
        amo.addContact(id: 40_000_001, phone: "+79123456789", email: nil)
        try await withDelivery(amo) { (rig: DeliveryRig) async throws in
            _ = try await rig.order("Иван", phone: "+79123456789")
            #expect(await rig.worker.runOnce())
            _ = try await rig.order("Иван снова", phone: "+79123456789")
            let before = amo.apiRequestCount
            #expect(await rig.worker.runOnce())
            let contacts = amo.leads.map { (($0["_embedded"] as? [String: Any])?["contacts"] as? [[String: Any]])?.first?["id"] as? Int }
            #expect(contacts == [40_000_001, 40_000_001])
            #expect(amo.apiRequestCount - before == 2)  // leads/complex and notes: no lookup
        }
    }

    @Test("a contact the full-text search finds with another phone or e-mail is not taken for the customer")
    func lookalikeContact() async throws {
        let amo = FakeAmoCRM()
        // Both contain the order's digits or address, but neither is this customer.
        amo.addContact(id: 40_000_007, name: "Склад", phone: "+7 912 345-67-890 доб. 1", email: nil)
        amo.addContact(id: 40_000_008, name: "petr@example.ru (старый)", phone: nil, email: "petr@example.ru.old")
        // Typed by a manager, but the same number: this one is the customer.
        amo.addContact(id: 40_000_009, name: "Пётр", phone: "8 (912) 345-67-89", email: nil)
        try await withDelivery(amo) { (rig: DeliveryRig) async throws in
            _ = try await rig.order("Пётр", phone: "+79123456789")
            _ = try await rig.order("Анна", email: "petr@example.ru")
            #expect(await rig.worker.runOnce())
            let contacts = amo.leads.map { (($0["_embedded"] as? [String: Any])?["contacts"] as? [[String: Any]])?.first }
            #expect(contacts.count == 2)
            #expect(contacts.first??["id"] as? Int == 40_000_009)
            // No exact match for the e-mail: a new contact is created with the lead.
            #expect(contacts.last??["id"] == nil)
            #expect(contacts.last??["first_name"] as? String == "Анна")

            // Found by the phone, but the e-mail is a stranger's: it is not tied to this customer.
            _ = try await rig.order("Пётр", phone: "+79123456789", email: "stranger@example.ru")
            #expect(await rig.worker.runOnce())
            _ = try await rig.order("Кто-то", email: "stranger@example.ru")
            #expect(await rig.worker.runOnce())
            let later = amo.leads.suffix(2).map { (($0["_embedded"] as? [String: Any])?["contacts"] as? [[String: Any]])?.first?["id"] as? Int }
            #expect(later == [40_000_009, nil])
        }
    }

    @Test("a new customer costs one contact search at most; deals and notes go 50 at a time", arguments: [false, true])
    func requestsPerLead(duplicateControl: Bool) async throws {
        let amo = FakeAmoCRM()
        try await withDelivery(amo, duplicateControl: duplicateControl) { (rig: DeliveryRig) async throws in
            let leads = 40
            for index in 1...leads {
                _ = try await rig.order("Клиент \(index)", phone: "+7900\(String(format: "%07d", index))", email: "c\(index)@example.ru")
            }
            // A busy machine may bunch two requests into amoCRM's second (429): the probe goes on.
            for _ in 0..<20 where amo.leads.count < leads {
                if await !rig.worker.runOnce() { rig.clock.advance(by: ChannelBreaker.maxProbeDelay) }
            }
            #expect(amo.leads.count == leads)
            let perLead = Double(amo.apiRequestCount) / Double(leads)
            // One search each (none with amoCRM's own duplicate control), one deal batch, one note batch.
            #expect(perLead <= (duplicateControl ? 0.1 : 1.1), "\(amo.apiRequestCount) requests for \(leads) leads")
        }
    }

    @Test("several leads of one new customer in a batch: one search, one contact for all of them")
    func oneCustomerOneContact() async throws {
        let amo = FakeAmoCRM()
        try await withDelivery(amo) { (rig: DeliveryRig) async throws in
            for index in 1...5 { _ = try await rig.order("Заказчик \(index)", phone: "+79005550000") }
            #expect(await rig.worker.runOnce())
            let contacts = amo.leads.map { lead -> Int? in
                (lead["contact_id"] as? Int) ?? ((lead["_embedded"] as? [String: Any])?["contacts"] as? [[String: Any]])?.first?["id"] as? Int
            }
            #expect(contacts.count == 5)
            #expect(Set(contacts.compactMap { $0 }).count == 1)
            #expect(amo.apiRequestCount == 4)  // one search, the first lead with its new contact, the other four, the notes
        }
    }

    @Test("429 makes deliveries wait without spending attempts; they go through afterwards")
    func rateLimited() async throws {
        let amo = FakeAmoCRM()
        try await withDelivery(amo) { (rig: DeliveryRig) async throws in
            _ = try await rig.order("Анна", email: "anna@example.ru")
            amo.answer429(times: 1)
            #expect(await rig.worker.runOnce())
            let waiting = try #require(try await rig.state(1))
            #expect(waiting.state == .pending && waiting.attempts == 0)
            #expect(await !rig.worker.runOnce())  // waits its second first
            rig.clock.advance(by: .seconds(1))
            #expect(await rig.worker.runOnce())
            #expect(try await rig.state(1)?.state == .delivered)
        }
    }

    @Test("a timeout after amoCRM stored the lead: no attempt spent, and the probe finds it by name and sends nothing twice")
    func unknownOutcome() async throws {
        let amo = FakeAmoCRM()
        try await withDelivery(amo, timeout: 1) { (rig: DeliveryRig) async throws in
            _ = try await rig.order("Олег", phone: "+79001112233")
            amo.storeThenStall(.seconds(3))
            #expect(await rig.worker.runOnce())
            let failed = try #require(try await rig.state(1))
            #expect(failed.state == .pending && failed.attempts == 0)
            #expect(rig.worker.breaker.open != nil)
            rig.clock.advance(by: ChannelBreaker.firstProbeDelay)
            #expect(await rig.worker.runOnce())
            #expect(try await rig.state(1)?.state == .delivered)
            #expect(amo.leads.count == 1)
            #expect(amo.complexCalls == 1)
        }
    }

    @Test("a 400 on a batch is split: the refused lead goes dead with amoCRM's errors, the others are delivered")
    func splitOnValidation() async throws {
        let amo = FakeAmoCRM()
        // The comment field id is wrong for this account: only leads with a comment are refused.
        let fields = AmoCRMConfiguration.CustomFields(product: 600101, comment: 999_999)
        try await withDelivery(amo, fields: fields) { (rig: DeliveryRig) async throws in
            for index in 1...6 {
                _ = try await rig.order("Клиент \(index)", email: "c\(index)@example.ru", comment: index == 4 ? "Срочно" : nil)
            }
            #expect(await rig.worker.runOnce())
            for number in 1...6 {
                let status = try #require(try await rig.state(number))
                if number == 4 {
                    #expect(status.state == .dead)
                    #expect(status.lastError?.contains("custom_fields_values") == true)
                } else {
                    #expect(status.state == .delivered, "lead \(number)")
                }
            }
            #expect(amo.leads.count == 5)
        }
    }

    @Test("a backlog is sent in batches of 50 and never faster than 7 requests per second")
    func backlog() async throws {
        let amo = FakeAmoCRM()
        try await withDelivery(amo) { (rig: DeliveryRig) async throws in
            for index in 1...60 { _ = try await rig.order("Клиент \(index)", email: "b\(index)@example.ru") }
            // Half of them are known customers: no lookups for those.
            for index in stride(from: 2, through: 60, by: 2) { amo.addContact(id: 41_000_000 + index, phone: nil, email: "b\(index)@example.ru") }
            while await rig.worker.runOnce() {}
            #expect(amo.leads.count == 60)
            #expect(amo.complexCalls == 2)
            #expect(amo.rateLimitedAnswers == 0)
            #expect(amo.peakRequestsPerSecond <= 7)
        }
    }

    @Test("a 200-lead backlog of known customers drains in 4 lead requests and 4 note requests, within the limit")
    func backlog200() async throws {
        let amo = FakeAmoCRM()
        try await withDelivery(amo) { (rig: DeliveryRig) async throws in
            for index in 1...200 {
                _ = try await rig.order("Клиент \(index)", phone: String(format: "+7900%07d", index))
                try await rig.contacts.remember(42_000_000 + index, phone: String(format: "+7900%07d", index), email: nil)
            }
            let start = ContinuousClock.now
            while await rig.worker.runOnce() {}
            let elapsed = ContinuousClock.now - start
            #expect(amo.leads.count == 200)
            #expect(amo.complexCalls == 4)
            #expect(amo.apiRequestCount == 8)
            #expect(amo.rateLimitedAnswers == 0)
            #expect(elapsed < .seconds(5))
        }
    }

    @Test("5xx answers stop the channel, not the lead: no attempt spent, and the probe delivers it")
    func serverErrors() async throws {
        let amo = FakeAmoCRM()
        try await withDelivery(amo) { (rig: DeliveryRig) async throws in
            _ = try await rig.order("Вера", email: "vera@example.ru")
            amo.answer500(times: 1)
            #expect(await rig.worker.runOnce())
            let failed = try #require(try await rig.state(1))
            #expect(failed.state == .pending && failed.attempts == 0)
            #expect(failed.lastError?.contains("500") == true)
            #expect(await !rig.worker.runOnce())  // the breaker waits for its probe
            rig.clock.advance(by: ChannelBreaker.firstProbeDelay)
            #expect(await rig.worker.runOnce())
            #expect(try await rig.state(1)?.state == .delivered)
            #expect(amo.leads.count == 1)
        }
    }

    @Test("a revoked connection keeps leads waiting, without attempts, until amoCRM is reconnected")
    func revokedKeepsLeads() async throws {
        let amo = FakeAmoCRM()
        try await withDelivery(amo) { (rig: DeliveryRig) async throws in
            _ = try await rig.order("Глеб", email: "gleb@example.ru")
            amo.revokeEverything()
            #expect(await rig.worker.runOnce())  // 401, refresh refused as revoked
            let waiting = try #require(try await rig.state(1))
            #expect(waiting.state == .pending && waiting.attempts == 0)
            #expect(await rig.deliverer.unavailableReason()?.contains("переподключить") == true)
            #expect(await !rig.worker.runOnce())  // nothing is claimed while disconnected
            #expect(amo.leads.isEmpty)
        }
    }
}
