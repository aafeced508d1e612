import Basics
import Foundation
import Leads
import Logging
import Storage
import TestSupport

/// A lead store on a fresh database of `engine`, closed afterwards (SQLiteNIO insists); its
/// time is `clock`'s (a test clock moves only when the test says).
func withStore<T: Sendable>(
    _ engine: DatabaseEngine = .sqlite, clock: any WallClock = SystemClock(), _ body: (LeadStore) async throws -> T
) async throws -> T {
    try await withStore(at: try await engine.freshDatabase(), clock: clock, body)
}

func withStore<T: Sendable>(
    at location: DatabaseLocation, clock: any WallClock = SystemClock(), _ body: (LeadStore) async throws -> T
) async throws -> T {
    let database = try await openDatabase(location, logger: quietLogger)
    do {
        let result = try await body(LeadStore(database: database, clock: clock, logger: quietLogger))
        await database.close()
        return result
    } catch {
        await database.close()
        throw error
    }
}


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
