import Basics
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SnapshotTesting
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
