import Basics
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Passport
import SnapshotTesting
import Storage
import Testing
import TestSupport

/// Every page kind against a reference file under `__Snapshots__`, so that a template or
/// page-model change shows up as a reviewable diff. Parts that change from run to run (form
/// tokens, the year, times, lead ids) are masked. `RECORD_SNAPSHOTS=1 make test` rewrites the references.
@Suite("Page snapshots")
struct PageSnapshotTests {
    static let previewSecret = "preview-secret-for-snapshots"

    /// Compares `response`'s HTML with its reference (recorded when missing or asked to).
    func expectSnapshot(_ response: TestResponse, status: HTTPResponse.Status = .ok, named name: String, line: UInt = #line) {
        #expect(response.status == status, "\(name)")
        let record: SnapshotTestingConfiguration.Record = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" ? .all : .missing
        withSnapshotTesting(record: record) {
            assertSnapshot(of: Self.masked(response.text), as: .html, named: name, testName: "page", line: line)
        }
    }

    static func masked(_ html: String) -> String {
        var text = html
        for (pattern, replacement) in [
            (#"name="csrf" value="[^"]*""#, #"name="csrf" value="CSRF""#),
            (#"© \d{4}"#, "© YEAR"),
            (#"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2} МСК"#, "DD.MM.YYYY HH:MM МСК"),
            (#"\b[0-9a-f]{32}\b"#, "LEAD-ID"),
        ] {
            text = text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return text
    }

    @Test("catalog pages: home, catalog, search, category, products with and without price, specs and images")
    func catalogPages() async throws {
        try await withApp { (client: any TestClientProtocol) async throws in
            let pages = [
                ("home", "/"), ("catalog", "/catalog"), ("search", "/catalog?q=%D0%BF%D1%80%D0%B5%D1%81%D1%81"),
                ("category", "/catalog/tokarnye-stanki"), ("product", "/product/tokarnyj-stanok-chpu-ck6150"),
                ("product-price-on-request", "/product/tokarnyj-centr-tck46"),
                ("product-without-specs-or-price", "/product/nastolno-sverlilnyj-stanok-2n125"),
                ("product-without-images", "/product/radialno-sverlilnyj-stanok-2k52"),
            ]
            for (name, uri) in pages {
                expectSnapshot(try await client.execute(uri: uri, method: .get), named: name)
            }
        }
    }

    @Test("orders: the form with errors, the thanks page, the admin's list")
    func orderPages() async throws {
        // A fixed clock: the admin's chart names the last 30 days.
        try await withApp(clock: TestWallClock()) { (client: any TestClientProtocol) async throws in
            let browser = Browser(client: client)
            var invalid = validOrder(csrf: try await browser.csrf())
            invalid[2] = ("phone", "12")
            invalid[1] = ("name", "Иван <b>Петров</b>")
            expectSnapshot(try await browser.post(invalid), status: .unprocessableContent, named: "order-form-with-errors")
            let accepted = try await browser.post(validOrder(csrf: try await browser.csrf()))
            let thanks = try await client.execute(uri: try #require(accepted.headers[.location]), method: .get)
            expectSnapshot(thanks, named: "thanks")
            #expect(try await eventually { try await client.execute(uri: "/admin", method: .get, headers: operatorHeaders).text.contains("доставлена") })
            expectSnapshot(try await client.execute(uri: "/admin", method: .get, headers: operatorHeaders), named: "admin")
        }
    }

    @Test("the general order page, privacy, an admin's lead, a digital passport and the passports list")
    func otherReadPages() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("snapshots-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let database = scratch.appendingPathComponent("test.sqlite").path
        let clock = TestWallClock()
        try await withApp(environment: ["DATABASE_URL": "sqlite://" + database], clock: clock) { (client: any TestClientProtocol) async throws in
            expectSnapshot(try await client.execute(uri: "/order", method: .get), named: "order-general")
            expectSnapshot(try await client.execute(uri: "/privacy", method: .get), named: "privacy")
            let browser = Browser(client: client)
            #expect(try await browser.post(validOrder(csrf: try await browser.csrf())).status == .seeOther)
            #expect(try await eventually { try await client.execute(uri: "/admin/leads/1", method: .get, headers: operatorHeaders).text.contains("доставлена") })
            expectSnapshot(try await client.execute(uri: "/admin/leads/1", method: .get, headers: operatorHeaders), named: "admin-lead")

            // A passport as the worker issues it for a won deal.
            let store = try await openDatabase(.sqlite(path: database), logger: quietLogger)
            let sold = clock.now()
            _ = try await PassportStore(database: store, clock: clock).issue(
                Passport(
                    code: "7d3f0c9a2b4e6f8a1c5d9e0b", amoLeadID: 30_000_001, leadNumber: 1,
                    product: .init(id: 1, name: "Токарный станок с ЧПУ CK6150", sku: "CK6150-1000", url: "http://127.0.0.1:8080/product/tokarnyj-stanok-chpu-ck6150"),
                    specs: [.init(name: "Диаметр обработки над станиной", value: "500 мм"), .init(name: "Система ЧПУ", value: "Fanuc 0i-TF")],
                    buyer: "ООО «Завод»", serial: "SN-2026-0042", soldAt: sold, warrantyMonths: 18,
                    warrantyUntil: Passport.warrantyEnd(soldAt: sold, months: 18), issuedAt: sold),
                events: [])
            await store.close()
            expectSnapshot(try await client.execute(uri: "/passport/7d3f0c9a2b4e6f8a1c5d9e0b", method: .get), named: "passport")
            expectSnapshot(try await client.execute(uri: "/admin/passports", method: .get, headers: operatorHeaders), named: "admin-passports")
        }
    }

    @Test("errors and previews: 404, 503, an editor's preview of a draft")
    func otherPages() async throws {
        // A fixed clock: the preview's image links carry an expiry.
        try await withApp(environment: ["PREVIEW_SECRET": Self.previewSecret], clock: TestWallClock()) { (client: any TestClientProtocol) async throws in
            expectSnapshot(try await client.execute(uri: "/product/net-takogo-stanka", method: .get), status: .notFound, named: "404")
            expectSnapshot(
                try await client.execute(uri: "/preview/products/20?secret=\(Self.previewSecret)", method: .get), named: "preview-draft")
        }
        let source = StubCatalogSource()
        source.setFailing(true)
        try await withApp(source: source) { (client: any TestClientProtocol) async throws in
            expectSnapshot(try await client.execute(uri: "/", method: .get), status: .serviceUnavailable, named: "503")
        }
    }
}

extension Snapshotting where Value == String, Format == String {
    /// A page's HTML, compared line by line, kept as `.html` so a reviewer's tools show it as such.
    static var html: Snapshotting {
        var snapshotting = Snapshotting(pathExtension: "html", diffing: .lines)
        snapshotting.pathExtension = "html"
        return snapshotting
    }
}
