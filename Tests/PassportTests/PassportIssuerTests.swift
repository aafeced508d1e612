import Basics
import AmoCRM
import Foundation
import Leads
import Testing

@testable import Passport

@Suite("Passport details")
struct PassportIssuerTests {
    @Test("the warranty ends the given number of calendar months after the sale, in Moscow time")
    func warranty() {
        // 31 January 2027, 23:30 in Moscow (20:30 UTC): a month later is the last day of February.
        let sold = Date(timeIntervalSince1970: 1_801_423_800)
        #expect(MoscowTime.formatDate(sold) == "31.01.2027")
        #expect(MoscowTime.formatDate(Passport.warrantyEnd(soldAt: sold, months: 1)) == "28.02.2027")
        #expect(MoscowTime.formatDate(Passport.warrantyEnd(soldAt: sold, months: 12)) == "31.01.2028")
    }

    @Test("a code is 24 lower-case hex characters; nothing else passes as one")
    func codes() {
        let code = Passport.makeCode()
        #expect(Passport.isWellFormed(code))
        #expect(Passport.makeCode() != code)
        for bad in ["", String(code.dropLast()), code.uppercased(), code + "0", String(repeating: "g", count: 24), "../" + code.dropFirst(3)] {
            #expect(!Passport.isWellFormed(bad), "\(bad)")
        }
    }

    @Test("a deal's name loses the site's «Заявка №N:» prefix; an empty one becomes «Оборудование»")
    func names() {
        #expect(PassportIssuer.productName(fromDealName: "Заявка №42: Токарный станок CK6150") == "Токарный станок CK6150")
        #expect(PassportIssuer.productName(fromDealName: "  Пресс КД2128 ") == "Пресс КД2128")
        #expect(PassportIssuer.productName(fromDealName: "") == "Оборудование")
    }

    @Test("a deal as the API answers it: fields by id (text and numbers), the main contact, the company, closed_at")
    func deal() throws {
        let json: [String: Any] = [
            "id": 30000001, "name": "Сделка", "status_id": 142, "pipeline_id": 7000001, "closed_at": 1_795_611_522,
            "custom_fields_values": [
                ["field_id": 600102, "values": [["value": "CK6150-1000"]]], ["field_id": 600103, "values": [["value": 2]]],
            ],
            "_embedded": ["companies": [["id": 50000001]], "contacts": [["id": 1, "is_main": false], ["id": 2, "is_main": true]]],
        ]
        let deal = try #require(AmoCRMDeal(json: json))
        #expect(deal.won && deal.fields == [600102: "CK6150-1000", 600103: "2"] && deal.companyID == 50000001 && deal.contactID == 2)
        #expect(deal.closedAt == Date(timeIntervalSince1970: 1_795_611_522))
        let bare = try #require(AmoCRMDeal(json: ["id": 1, "status_id": 143, "custom_fields_values": NSNull()]))
        #expect(!bare.won && bare.fields.isEmpty && bare.closedAt == nil)
        #expect(AmoCRMDeal(json: ["name": "без id"]) == nil)
    }

    @Test("after a failure a service is tried again in 1 s, doubling to 30 s; a success resets it; a 429 waits a second")
    func backoff() {
        var backoff = Backoff()
        let now = Date(timeIntervalSince1970: 0)
        #expect(backoff.ready(at: now))
        let delays = (0..<7).map { _ in backoff.failed(at: now, hint: nil).components.seconds }
        #expect(delays == [1, 2, 4, 8, 16, 30, 30])
        #expect(!backoff.ready(at: now.addingTimeInterval(29)) && backoff.ready(at: now.addingTimeInterval(30)))
        #expect(backoff.failed(at: now, hint: .rateLimited) == .seconds(1))
        backoff.succeeded()
        #expect(backoff.ready(at: now) && backoff.failed(at: now, hint: nil) == .seconds(1))
    }
}
