import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
import Web

@Suite("Editor preview")
struct PreviewTests {
    static let secret = "preview-secret-123"

    @Test("a draft product is shown in preview with the banner, noindex and no caching; the public page stays 404")
    func draft() async throws {
        try await withDirectusApp(environment: ["PREVIEW_SECRET": Self.secret]) { client, directus, url in
            let public12 = try await client.execute(uri: "/product/tokarnyj-stanok-chpu-ck6180", method: .get)
            #expect(public12.status == .notFound)

            let preview = try await client.execute(uri: "/preview/products/12?secret=\(Self.secret)", method: .get)
            #expect(preview.status == .ok)
            #expect(preview.text.contains("Предпросмотр"))
            #expect(preview.text.contains("Черновик"))
            #expect(preview.text.contains("CK6180"))
            #expect(preview.text.contains(#"<meta name="robots" content="noindex">"#))
            #expect(preview.headers[.cacheControl] == "no-store")
            #expect(preview.headers[HTTPField.Name("X-Robots-Tag")!] == "noindex, nofollow")
            #expect(preview.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            #expect(preview.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'self' \(url)") == true)
            // The order form is shown but cannot be sent from a preview.
            #expect(preview.text.contains("В предпросмотре заявка не отправляется"))
            #expect(preview.text.contains(#"type="submit" disabled"#))
            // Past the cache: every preview asks Directus, with the service token.
            directus.resetRequests()
            _ = try await client.execute(uri: "/preview/products/12?secret=\(Self.secret)", method: .get)
            let asked = directus.requests.filter { $0.path == "/items/products/12" }
            #expect(asked.count == 1)
            #expect(asked.first?.authorization == "Bearer \(FakeDirectus.serviceToken)")
            // Public pages do not get the preview's frame permission.
            let home = try await client.execute(uri: "/", method: .get)
            #expect(home.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'self'") == true)
            #expect(home.headers[.contentSecurityPolicy]?.contains(url) == false)
        }
    }

    @Test("a content version's changes show in preview only; version=main is the item itself")
    func version() async throws {
        try await withDirectusApp(environment: ["PREVIEW_SECRET": Self.secret]) { client, directus, url in
            let fixture = try Fixtures.json("directus/directus_versions.json")
            let delta = try #require(fixture.array?.first { $0["item"]?.string == "1" }?["delta"])
            let draftName = try #require(delta["name"]?.string)

            let preview = try await client.execute(uri: "/preview/products/1?secret=\(Self.secret)&version=draft", method: .get)
            #expect(preview.status == .ok)
            #expect(preview.text.contains(draftName))
            #expect(preview.text.contains("Версия «draft»"))
            let asked = directus.requests.last { $0.path == "/items/products/1" }
            #expect(asked?.query["version"] == "draft")

            let publicPage = try await client.execute(uri: "/product/tokarnyj-stanok-chpu-ck6150", method: .get)
            #expect(!publicPage.text.contains(draftName))
            #expect(publicPage.text.contains("1\u{00A0}250\u{00A0}000\u{00A0}₽"))

            let main = try await client.execute(uri: "/preview/products/1?secret=\(Self.secret)&version=main", method: .get)
            #expect(main.status == .ok)
            #expect(!main.text.contains(draftName))
            #expect(main.text.contains("Опубликовано"))

            let unknown = try await client.execute(uri: "/preview/products/1?secret=\(Self.secret)&version=nope", method: .get)
            #expect(unknown.status == .notFound)
            #expect(unknown.headers[.cacheControl] == "no-store")
            // Directus down: the error page can still be shown in Directus' iframe.
            directus.fail(.unavailable, .unavailable, .unavailable)
            let down = try await client.execute(uri: "/preview/products/1?secret=\(Self.secret)&version=draft", method: .get)
            #expect(down.status == .serviceUnavailable)
            #expect(down.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'self' \(url)") == true)
        }
    }

    @Test("categories preview on the category page design")
    func category() async throws {
        try await withDirectusApp(environment: ["PREVIEW_SECRET": Self.secret]) { client, directus, url in
            directus.update("categories", id: 1, field: "name", to: .string("Станки с ЧПУ (новое название)"))
            directus.update("categories", id: 3, field: "status", to: .string("draft"))
            let preview = try await client.execute(uri: "/preview/categories/1?secret=\(Self.secret)", method: .get)
            #expect(preview.status == .ok)
            #expect(preview.text.contains("Станки с ЧПУ (новое название)"))
            #expect(preview.text.contains("Предпросмотр"))
            #expect(preview.text.contains("/product/tokarnyj-stanok-chpu-ck6150"))
            #expect(try await client.execute(uri: "/preview/pages/1?secret=\(Self.secret)", method: .get).status == .notFound)

            // A draft category: not on the site, but its preview lists the products already in it.
            #expect(try await client.execute(uri: "/catalog/sverlilnye-stanki", method: .get).status == .notFound)
            let draft = try await client.execute(uri: "/preview/categories/3?secret=\(Self.secret)", method: .get)
            #expect(draft.status == .ok)
            #expect(draft.text.contains("Черновик"))
            #expect(draft.text.contains("/product/vertikalno-sverlilnyj-stanok-2n135"))
            #expect(try await client.execute(uri: "/preview/categories/999?secret=\(Self.secret)", method: .get).status == .notFound)
        }
    }

    @Test("wrong or missing secret → 403; PREVIEW_SECRET unset → 404")
    func secrets() async throws {
        try await withDirectusApp(environment: ["PREVIEW_SECRET": Self.secret]) { client, directus, url in
            for uri in ["/preview/products/12", "/preview/products/12?secret=wrong", "/preview/products/12?secret="] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .forbidden, "\(uri)")
                #expect(!response.text.contains("CK6180"))
                #expect(!response.text.contains(Self.secret))
            }
            #expect(directus.requests.filter { $0.path == "/items/products/12" }.isEmpty)
        }
        try await withDirectusApp { client, _, _ in
            let response = try await client.execute(uri: "/preview/products/12?secret=\(Self.secret)", method: .get)
            #expect(response.status == .notFound)
        }
    }
}
