import Foundation
import Synchronization
import Testing
import TestSupport

/// SplitMix64: a small seeded generator, so that a failing run can be repeated (`FUZZ_SEED`).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random and mutated requests for every route: paths, segments, encodings, query strings,
/// headers, methods and bodies, well-formed or not.
struct RequestFuzzer {
    var random: SeededGenerator
    static let cyrillicSlug = "станок-ck6150"

    static let routes = [
        "/", "/catalog", "/catalog/{slug}", "/product/{key}", "/order", "/order/thanks/{id}", "/privacy",
        "/preview/{collection}/{id}", "/preview/assets/{token}/{file}", "/admin", "/admin/leads/{n}/retry",
        "/admin/amocrm/connect", "/ingest/test-crm", "/api/categories", "/api/products", "/api/products/{key}", "/api/leads",
        "/ingest/leads", "/webhook/amocrm", "/webhook/directus", "/assets/{file}", "/robots.txt", "/sitemap.xml", "/yml.xml",
        "/healthz", "/readyz", "/metrics", "/css/site.css", "/img/placeholder.svg", "/{random}",
    ]
    static let methods = ["GET", "GET", "GET", "HEAD", "POST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "BREW"]
    static let queryKeys = ["page", "per_page", "q", "preset", "secret", "version", "category", "code", "state", "referer", "error", "utm_source", "x"]

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }
    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

    mutating func percentEncoded(_ text: String) -> String {
        text.utf8.map { byte in
            let plain = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D
            return plain ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
        }.joined()
    }

    mutating func randomText(_ maxLength: Int, alphabet: String = "abcxyz019-_.~ %/?&=+ёжЯ\"'<>;:\\") -> String {
        let letters = Array(alphabet)
        return String((0..<Int.random(in: 0...maxLength, using: &random)).map { _ in pick(letters) })
    }

    /// Text that slips past checks over `Character`s: a quote or `<` with a combining mark, CR LF
    /// (one `Character`), C0 and C1 controls, DEL, an OSC sequence, a prepended mark.
    static let hostileText = [
        "x\"\u{301}/autofocus/onfocus=alert(1)//", "<\u{301}script>", "ok\r\n=2+5", "p@x.ru\ncritical forged", "\u{1B}]0;pwned\u{7}",
        "\u{85}\u{9B}31m", "a\u{7F}b", "\u{600}\"", "\r\n@SUM(A1)", "=\u{301}1+1",
    ]
    /// The same as JSON escapes, lone surrogates among them (a parser must not trap on them).
    static let hostileJSON = [
        #"x\"\u0301/autofocus"#, #"ok\r\n=2+5"#, #"\ud800"#, #"\udfff\ud800x"#, #"\u001b]0;t\u0007"#, #"\u0085\u009b31m"#, #"p@x.ru\ncritical"#,
        #"\u0000"#, #"<\u0301b>"#,
    ]

    /// A path segment: real values, numbers of every shape, encodings valid and not.
    mutating func segment() -> String {
        switch Int.random(in: 0..<17, using: &random) {
        case 16: return percentEncoded(pick(Self.hostileText))
        case 0, 14, 15: return pick(["tokarnye-stanki-chpu", "frezernye-stanki", "pressy", "tokarnyj-stanok-chpu-ck6150", "1", "6"])
        case 1: return percentEncoded(Self.cyrillicSlug)
        case 2: return pick(["0", "-1", "01", "0001", "9223372036854775807", "99999999999999999999999", "1e3", "2147483648"])
        case 3: return percentEncoded(randomText(40))
        case 4: return pick(["%zz", "%", "%C3", "%FF%FE", "%00", "%2e%2e", "..", ".", "%2F", "a%0Ab", ":x", "%3A", ":", "a:b;c"])
        case 5: return String(repeating: pick(["a", "%D0%B6", "9"]), count: Int.random(in: 100...3_000, using: &random))
        case 6: return pick(["products", "categories", "files"])
        case 7: return UUID().uuidString.lowercased()
        case 8: return pick(["9b1c2f4e-6a7d-4c1e-9f0a-2d3b00000001", "9b1c2f4e-6a7d-4c1e-9f0a-2d3b00000016"])
        case 9: return randomText(12, alphabet: "abcdef0123456789-")
        case 10: return "4000000000-" + randomText(32, alphabet: "0123456789abcdef")
        case 11: return ""
        case 12: return percentEncoded(Self.cyrillicSlug).lowercased()
        default: return randomText(20, alphabet: "abcxyz019-_.~")
        }
    }

    mutating func path() -> String {
        var path = pick(Self.routes)
        for placeholder in ["{slug}", "{key}", "{id}", "{collection}", "{token}", "{file}", "{n}", "{random}"] {
            while let range = path.range(of: placeholder) { path.replaceSubrange(range, with: segment()) }
        }
        if chance(5) { path = path.replacingOccurrences(of: "/", with: "//") }
        if chance(3) { path += "/" }
        if chance(30) {
            let pairs = (0..<Int.random(in: 1...4, using: &random)).map { _ in "\(pick(Self.queryKeys))=\(chance(70) ? segment() : "")" }
            path += "?" + pairs.joined(separator: pick(["&", "&", ";", "&&"]))
        }
        return path
    }

    mutating func body(_ contentType: String) -> String {
        let order = #"{"name":"Иван","phone":"+79001234567","email":"a@b.ru","product_id":1,"quantity":2,"consent":true,"comment":"x"}"#
        switch Int.random(in: 0..<11, using: &random) {
        case 9:
            // A field of the order holding hostile text, JSON-escaped.
            let field = pick(["\"Иван\"", "\"a@b.ru\"", "\"x\""])
            return order.replacingOccurrences(of: field, with: "\"" + pick(Self.hostileJSON) + "\"")
        case 10:
            let field = pick(["name", "email", "company", "comment", "utm_source"])
            return "\(field)=\(percentEncoded(pick(Self.hostileText)))&name=\(percentEncoded("Иван"))&phone=%2B79001234567&consent=on&csrf=\(randomText(20))"
        case 0: return order
        case 1: return String(order.prefix(Int.random(in: 0...order.count, using: &random)))
        case 2: return order.replacingOccurrences(of: pick(["1", "true", "\"Иван\"", "2", "\"x\""]), with: pick(["null", "[]", "{}", "\"\"", "-1", "1e999", "\"\(randomText(300))\""]))
        case 3: return String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        case 4: return "{" + (0..<Int.random(in: 1...3_000, using: &random)).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + "}"
        case 5: return "name=\(percentEncoded(randomText(30)))&phone=\(segment())&product_id=\(segment())&consent=on&quantity=\(segment())&csrf=\(randomText(20))"
        case 6: return randomText(Int.random(in: 0...70_000, using: &random) / 10)
        case 7: return contentType.contains("json") ? #"{"event":"items.update","collection":"products","keys":[\#(segment())]}"# : order
        default: return String(repeating: "я", count: Int.random(in: 0...40_000, using: &random))
        }
    }

    /// One request as bytes, and whether it is complete (a server owes it an answer).
    mutating func request() -> (text: String, complete: Bool) {
        let method = pick(Self.methods)
        // Half of the bodies go where bodies are read.
        let target = method == "POST" && chance(50) ? pick(["/api/leads", "/order", "/ingest/leads", "/webhook/directus"]) : path()
        var lines = ["\(method) \(target) HTTP/1.1", "Host: 127.0.0.1"]
        let contentType = pick(["application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", "application/json; charset=koi8-r", ""])
        let headers: [(String, () -> String)] = [
            ("Accept", { "text/html,image/webp,*/*" }), ("Accept-Encoding", { "gzip, br" }), ("If-None-Match", { "\"\(UUID().uuidString)\"" }),
            ("Cookie", { "utm=source%3Dya; other=\(UUID().uuidString)" }), ("Cookie", { "utm=utm_source%3Dya%251B%255B2J%26utm_medium%3D%250D%250A" }), ("Origin", { "http://127.0.0.1:8080" }),
            ("Origin", { "https://evil.example" }), ("Authorization", { "Bearer \(UUID().uuidString)" }),
            ("Authorization", { "Basic \(Data("admin:\(UUID().uuidString)".utf8).base64EncodedString())" }),
            ("X-Forwarded-For", { "203.0.113.\(UInt8.random(in: 0...255)), unknown" }), ("X-Webhook-Secret", { UUID().uuidString }),
            ("Idempotency-Key", { String(repeating: "k", count: 300) }), ("Range", { "bytes=0-10" }), ("Connection", { "close" }),
            ("User-Agent", { "fuzz/1.0 ёж" }),
        ]
        for _ in 0..<Int.random(in: 0...4, using: &random) {
            let header = pick(headers)
            lines.append("\(header.0): \(header.1())")
        }
        if ["POST", "PUT", "PATCH"].contains(method) || chance(5) {
            let body = body(contentType)
            if !contentType.isEmpty { lines.append("Content-Type: \(contentType)") }
            let length = body.utf8.count
            if chance(3) {
                // A body shorter than announced: the server waits for the rest, then gives up.
                lines.append("Content-Length: \(length + 100)")
                return (lines.joined(separator: "\r\n") + "\r\n\r\n" + body, false)
            }
            lines.append("Content-Length: \(length)")
            return (lines.joined(separator: "\r\n") + "\r\n\r\n" + body, true)
        }
        if chance(3) {
            // Garbage instead of HTTP, or a head cut short.
            return (pick(["\u{0}\u{1}\u{2}GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET /\r\n\r\n", lines.joined(separator: "\r\n")]), false)
        }
        return (lines.joined(separator: "\r\n") + "\r\n\r\n", true)
    }
}

@Suite("Fuzzing")
struct FuzzTests {
    final class Tally: Sendable {
        let failures = Mutex<[String]>([])
        let sent = Atomic<Int>(0)
        let statuses = Mutex<[Int: Int]>([:])
    }

    /// The server's resident memory, from /proc.
    static func residentKiB(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }

    @Test("thousands of random and mutated requests on every route: no 5xx but the documented 503s, the server lives, memory stays bounded")
    func fuzz() async throws {
        let seed = ProcessInfo.processInfo.environment["FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_261_130
        let directus = try FakeDirectus()
        try await directus.run { (url: String) async throws in
            directus.update("products", id: 1, field: "slug", to: .string(RequestFuzzer.cyrillicSlug))
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(UUID().uuidString)")
            let server = try ServerProcess(
                port: freeLoopbackPort(),
                environment: [
                    "DIRECTUS_URL": url, "DIRECTUS_TOKEN": FakeDirectus.serviceToken, "DATABASE_URL": "sqlite://" + scratch.path + "-db.sqlite",
                    "MAIL_DIR": scratch.path + "/mail", "ASSET_CACHE_DIR": scratch.path + "/assets", "ADMIN_TOKEN": "fuzz-admin-token-0123456789",
                    "PREVIEW_SECRET": "fuzz-preview-secret-0123", "DIRECTUS_WEBHOOK_SECRET": "fuzz-webhook-secret-0123",
                    "REQUEST_HEAD_TIMEOUT": "2", "ORDER_RATE_LIMIT": "off", "LOG_LEVEL": "critical",
                ],
                log: scratch.appendingPathExtension("log"))
            defer { server.kill(SIGTERM) }
            try await server.waitUntilReady()
            let pid = server.process.processIdentifier

            // Cyrillic slugs resolve, percent-encoded as browsers send them.
            let encoded = "/product/%D1%81%D1%82%D0%B0%D0%BD%D0%BE%D0%BA-ck6150"
            #expect(try await Self.status(of: "GET \(encoded) HTTP/1.1\r\nHost: x\r\n\r\n", port: server.port) == 200)
            #expect(try await Self.status(of: "GET /api/products\(encoded.dropFirst(8)) HTTP/1.1\r\nHost: x\r\n\r\n", port: server.port) == 200)

            var warm = RequestFuzzer(random: SeededGenerator(state: seed ^ 0xFFFF))
            for _ in 0..<200 { _ = try? await Self.send(warm.request(), port: server.port) }
            let before = try #require(Self.residentKiB(pid))

            let tally = Tally()
            let deadline = ContinuousClock.now + .seconds(40)
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<6 {
                    group.addTask {
                        var fuzzer = RequestFuzzer(random: SeededGenerator(state: seed &+ UInt64(worker)))
                        for _ in 0..<600 where ContinuousClock.now < deadline {
                            let request = fuzzer.request()
                            guard let status = try? await Self.send(request, port: server.port) else { continue }
                            tally.sent.add(1, ordering: .relaxed)
                            tally.statuses.withLock { $0[status, default: 0] += 1 }
                            let path = String(request.text.split(separator: " ").dropFirst().first ?? "")
                            let documented = status == 503 && (path.hasPrefix("/readyz") || path.hasPrefix("/assets/") || path.hasPrefix("/preview/"))
                            if status >= 500 && !documented {
                                tally.failures.withLock { $0.append("\(status) ← \(request.text.prefix(300))") }
                            }
                        }
                    }
                }
            }
            let after = try #require(Self.residentKiB(pid))
            print("fuzz: seed \(seed), \(tally.sent.load(ordering: .relaxed)) requests answered, resident memory \(before / 1024) MiB → \(after / 1024) MiB; "
                    + "answers by status: \(tally.statuses.withLock { $0 }.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " "))")
            #expect(tally.sent.load(ordering: .relaxed) >= 2_000)
            let seen = tally.failures.withLock { $0 }
            #expect(seen.isEmpty, "\(seen.count) server errors, e.g. \(seen.prefix(3))")
            #expect(server.process.isRunning)
            #expect(try await Self.status(of: "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", port: server.port) == 200)
            // Caches and maps have budgets: thousands of distinct requests leave little behind.
            #expect(after - before < 96 * 1024, "resident memory grew from \(before) KiB to \(after) KiB")
        }
    }

    /// Sends one request on a new connection; the status of the answer, or nil when none is
    /// owed (an incomplete request) or none came.
    static func send(_ request: (text: String, complete: Bool), port: Int) async throws -> Int? {
        let connection = try await RawConnection.open(port: port)
        defer { Task { await connection.close() } }
        try? await connection.send(request.text)
        guard request.complete else { return nil }
        _ = try await eventually(timeout: .seconds(10)) { connection.received.contains("\r\n") || !connection.isOpen }
        return statusCode(connection.received)
    }

    static func status(of text: String, port: Int) async throws -> Int? {
        try await send((text, true), port: port)
    }

    static func statusCode(_ response: String) -> Int? {
        guard response.hasPrefix("HTTP/1.") else { return nil }
        return Int(response.dropFirst(9).prefix(3))
    }
}
