import Foundation
import Leads
import Logging
import Storage

func temporaryDatabasePath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("leads-\(UUID().uuidString)/test.sqlite").path
}

func openTestDatabase(path: String = temporaryDatabasePath()) async throws -> any Database {
    try await openDatabase(.sqlite(path: path), logger: quietLogger)
}

/// A lead store on a fresh SQLite file, closed afterwards (SQLiteNIO insists).
func withStore<T: Sendable>(path: String = temporaryDatabasePath(), _ body: (LeadStore) async throws -> T) async throws -> T {
    let database = try await openTestDatabase(path: path)
    do {
        let result = try await body(LeadStore(database: database, logger: quietLogger))
        await database.close()
        return result
    } catch {
        await database.close()
        throw error
    }
}

let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

func sampleLead(name: String = "Иван Петров", phone: String? = "+79001234567", email: String? = "ivan@example.ru", key: String? = nil, source: String = "сайт") -> NewLead {
    NewLead(
        source: source, idempotencyKey: key,
        order: ValidLead(
            productID: 1, name: name, phone: phone, email: email, company: "ООО «Завод»", quantity: 2,
            comment: "Нужна доставка в Тулу", utm: UTM(source: "yandex", medium: "cpc", campaign: "lathes")),
        product: ProductSnapshot(
            id: 1, name: "Токарный станок с ЧПУ CK6150", sku: "CK6150-1000", url: "http://127.0.0.1:8080/product/ck6150",
            priceText: "1 250 000 ₽", amount: "1250000.00"),
        consent: ConsentRecord(at: Date(), ip: "127.0.0.1", userAgent: "test", version: "2026-01"))
}
