import Basics
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Leads
import Storage
import Testing
import TestSupport

@testable import Web

/// `/metrics` as Prometheus scrapes it: well-formed, and moving when things happen.
@Suite("Metrics")
struct MetricsTests {
    /// `promtool check metrics`: Prometheus' own parser and linter (HELP on every family,
    /// `_total` on counters, base units). Its findings are the failure message.
    static func promtoolCheck(_ text: String) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString).txt")
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try await ExternalTool.run("/bin/sh", ["-c", "promtool check metrics < \"$0\" 2>&1", file.path])
    }

    static func amoEnvironment(_ url: String) -> [String: String] {
        [
            "ORDER_RATE_LIMIT": "off", "AMOCRM_SUBDOMAIN": "example", "AMOCRM_BASE_URL": url, "AMOCRM_CLIENT_ID": FakeAmoCRM.clientID,
            "AMOCRM_CLIENT_SECRET": FakeAmoCRM.clientSecret,
        ]
    }

    static func connect(_ client: any TestClientProtocol) async throws {
        let connectURL = try #require(
            try await client.execute(uri: "/admin/amocrm/connect", method: .get, headers: operatorHeaders).headers[.location])
        let state = try #require(URLComponents(string: connectURL)?.queryItems?.first { $0.name == "state" }?.value)
        let done = try await client.execute(uri: "/webhook/amocrm?code=code-1&referer=example.amocrm.ru&state=\(state)", method: .get)
        try #require(done.status == .ok)
    }

    @Test("pages, a 404 and a static file: counted by route pattern and status, timed in a histogram; promtool finds nothing to fault")
    func requestsByRoute() async throws {
        try await withApp { (client: any TestClientProtocol) async throws in
            for path in ["/", "/", "/catalog", "/product/no-such-thing", "/css/site.css", "/no/such/page"] {
                _ = try await client.execute(uri: path, method: .get)
            }
            let text = try await client.execute(uri: "/metrics", method: .get, headers: operatorHeaders).text
            try await Self.promtoolCheck(text)
            let metrics = try PrometheusText(text)
            #expect(metrics.types["http_requests_total"] == "counter")
            #expect(metrics.types["http_request_duration_seconds"] == "histogram")
            #expect(metrics.value("http_requests_total", ["route": "/", "method": "GET", "status": "200"]) == 2)
            #expect(metrics.value("http_requests_total", ["route": "/product/{key}", "method": "GET", "status": "404"]) == 1)
            #expect(metrics.value("http_requests_total", ["route": "static", "method": "GET", "status": "200"]) == 1)
            #expect(metrics.value("http_requests_total", ["route": "unmatched", "method": "GET", "status": "404"]) == 1)
            // Made-up paths never become label values.
            #expect(!metrics.samples.contains { $0.labels["route"]?.contains("no-such") == true || $0.labels["route"] == "/no/such/page" })
            #expect(metrics.value("http_request_duration_seconds_count", ["route": "/", "method": "GET"]) == 2)
            #expect(metrics.value("http_request_duration_seconds_bucket", ["route": "/", "method": "GET", "le": "+Inf"]) == 2)
            // The second `/` was a cache hit; `/` and `/catalog` were rendered once each.
            #expect(metrics.value("page_cache_hits_total") == 1)
            #expect(metrics.value("pages_rendered_total") == 2)
            #expect(metrics.value("page_cache_bytes") ?? 0 > 0)
            // Every family the service exposes has its help text here.
            for family in metrics.familyNames { #expect(!(metrics.help[family] ?? "").isEmpty, "\(family) has no HELP") }
        }
    }

    @Test("an order, an amoCRM outage and a token refresh move their counters; the token's expiry is exposed")
    func deliveryAndTokens() async throws {
        let clock = TestWallClock()
        let amo = FakeAmoCRM(redirectURI: "http://127.0.0.1:8080/webhook/amocrm")
        amo.addCode("code-1")
        try await amo.run { (url: String) async throws in
            try await withApp(environment: Self.amoEnvironment(url), clock: clock) { (client: any TestClientProtocol) async throws in
                try await Self.connect(client)
                let browser = Browser(client: client)
                var metrics = try await scrape(client)
                #expect(metrics.value("amocrm_connected") == 1)
                let expiresIn = try #require(metrics.value("amocrm_token_expires_in_seconds"))
                #expect(expiresIn > 3_600 && expiresIn <= 86_400)
                #expect(metrics.value("amocrm_token_refreshes_total") == 0)

                // An order: stored, mailed, sent to amoCRM.
                let first = try await browser.json("/api/leads", #"{"name":"Иван","phone":"+79001234567","consent":true}"#)
                #expect(first.status == .accepted)
                #expect(try await eventually {
                    let metrics = try await scrape(client)
                    return metrics.value("outbox_attempts_total", ["channel": "amocrm", "outcome": "delivered"]) == 1
                        && metrics.value("mail_sent_total", ["kind": "lead"]) == 1
                })
                metrics = try await scrape(client)
                #expect(metrics.value("orders_accepted_total", ["source": "сайт"]) == 1)
                #expect(metrics.value("http_requests_total", ["route": "/api/leads", "method": "POST", "status": "202"]) == 1)
                #expect(metrics.sum("amocrm_requests_total", where: ["status": "2xx"]) >= 1)
                #expect(metrics.value("outbox_deliveries", ["channel": "amocrm", "state": "delivered"]) == 1)

                // amoCRM fails: the attempt is counted as the channel's, the channel is down.
                amo.answer500(times: 1)
                _ = try await browser.json("/api/leads", #"{"name":"Пётр","phone":"+79001234568","consent":true}"#)
                #expect(try await eventually {
                    let metrics = try await scrape(client)
                    return metrics.value("outbox_attempts_total", ["channel": "amocrm", "outcome": "unavailable"]) == 1
                        && metrics.value("outbox_channel_up", ["channel": "amocrm"]) == 0
                })
                metrics = try await scrape(client)
                #expect(metrics.value("amocrm_requests_total", ["status": "5xx"]) == 1)
                #expect(metrics.value("outbox_deliveries", ["channel": "amocrm", "state": "pending"]) == 1)
                #expect(metrics.value("outbox_oldest_pending_seconds", ["channel": "amocrm"]) != nil)
                #expect(metrics.value("outbox_dead_total", ["channel": "amocrm"]) == 0)

                // A day later the pair is due for its refresh; the next order brings amoCRM back.
                clock.advance(by: .seconds(86_400 + 60))
                _ = try await browser.json("/api/leads", #"{"name":"Анна","phone":"+79001234569","consent":true}"#)
                #expect(try await eventually {
                    let metrics = try await scrape(client)
                    return metrics.value("amocrm_token_refreshes_total") == 1
                        && metrics.value("outbox_deliveries", ["channel": "amocrm", "state": "delivered"]) == 3
                })
                metrics = try await scrape(client)
                #expect(metrics.value("amocrm_token_refresh_failures_total", ["kind": "rejected"]) == 0)
                #expect(metrics.value("outbox_channel_up", ["channel": "amocrm"]) == 1)
                #expect(metrics.value("outbox_oldest_pending_seconds", ["channel": "amocrm"]) == 0)
                try await Self.promtoolCheck(try await client.execute(uri: "/metrics", method: .get, headers: operatorHeaders).text)
            }
        }
    }

    @Test("Directus requests are timed by operation; a Directus outage counts its errors by kind and shows the stale catalog")
    func directus() async throws {
        try await withDirectusApp(environment: ["CATALOG_FRESH_SECONDS": "1"]) { client, directus, _ in
            #expect(try await client.execute(uri: "/catalog", method: .get).status == .ok)
            var metrics = try await scrape(client)
            #expect(metrics.value("directus_request_duration_seconds_count", ["operation": "list"]) ?? 0 >= 2)
            #expect(metrics.value("catalog_upstream_failing") == 0)

            directus.fail(.unavailable, .unavailable, .unavailable, .unavailable)
            #expect(try await eventually {
                _ = try await client.execute(uri: "/catalog", method: .get)
                return try await scrape(client).value("catalog_serving_stale") == 1
            })
            metrics = try await scrape(client)
            #expect(metrics.sum("directus_request_errors_total", where: ["operation": "list"]) >= 1)
            #expect(metrics.value("catalog_refresh_failures_total") ?? 0 >= 1)
        }
    }

    // MARK: - deploy/

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The metric names a PromQL expression reads (functions, keywords, label matchers,
    /// grouping labels and ranges left out; `_bucket`, `_sum`, `_count` of a histogram are its name).
    static func metricNames(in expression: String) -> Set<String> {
        var text = expression
        for pattern in [#""[^"]*""#, #"\{[^}]*\}"#, #"\[[^\]]*\]"#, #"\b(by|without|on|ignoring)\s*\([^)]*\)"#] {
            text = text.replacingOccurrences(of: pattern, with: " ", options: .regularExpression)
        }
        let words: Set<String> = [
            "sum", "min", "max", "avg", "count", "rate", "increase", "irate", "histogram_quantile", "clamp_min", "clamp_max", "abs",
            "and", "or", "unless", "bool", "offset", "time", "up",
        ]
        let tokens = text.split { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }.map(String.init)
        return Set(tokens.filter { !($0.first?.isNumber ?? true) && !words.contains($0) }.map { name in
            for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
                let base = String(name.dropLast(suffix.count))
                if MetricCatalog.help[base] != nil { return base }
            }
            return name
        })
    }

    @Test("the alert rules and the Grafana dashboard in deploy/ read only metrics the service exposes")
    func deployUsesExposedMetrics() throws {
        var expressions: [String] = []
        // Rules: `expr:` values, including `expr: |` blocks.
        let rules = try String(contentsOf: Self.repository.appendingPathComponent("deploy/prometheus/catalog-bff.rules.yml"), encoding: .utf8)
        var block: (indent: Int, lines: [String])?
        for line in rules.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let indent = line.prefix { $0 == " " }.count
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let current = block {
                if trimmed.isEmpty || indent > current.indent {
                    block?.lines.append(trimmed)
                    continue
                }
                expressions.append(current.lines.joined(separator: " "))
                block = nil
            }
            guard trimmed.hasPrefix("expr:") else { continue }
            let value = trimmed.dropFirst(5).trimmingCharacters(in: .whitespaces)
            if value == "|" { block = (indent, []) } else { expressions.append(value) }
        }
        if let block { expressions.append(block.lines.joined(separator: " ")) }
        #expect(expressions.count == 13)
        // Dashboard: every target's `expr`.
        let dashboard = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Self.repository.appendingPathComponent("deploy/grafana/catalog-bff.json")))
        func collect(_ value: Any) {
            if let object = value as? [String: Any] {
                if let expr = object["expr"] as? String { expressions.append(expr) }
                object.values.forEach(collect)
            } else if let array = value as? [Any] {
                array.forEach(collect)
            }
        }
        collect(dashboard)
        #expect(expressions.count > 30)
        let used = expressions.reduce(into: Set<String>()) { $0.formUnion(Self.metricNames(in: $1)) }
        let unknown = used.subtracting(MetricCatalog.help.keys)
        #expect(unknown.isEmpty, "not exposed by the service: \(unknown.sorted())")
        #expect(used.count > 20)
    }
}
