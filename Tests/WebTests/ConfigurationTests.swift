import Basics
import Logging
import Testing

@testable import Web

@Suite("Configuration from the environment")
struct ConfigurationTests {
    @Test("defaults run the demo catalog on 127.0.0.1:8080")
    func defaults() throws {
        let configuration = try AppConfiguration(environment: [:])
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.publicBaseURL == "http://127.0.0.1:8080")
        #expect(configuration.catalog.directusURL == nil)
        #expect(configuration.catalog.fresh == .seconds(60))
        #expect(configuration.catalog.stale == .seconds(86_400))
        #expect(configuration.logLevel == .info)
    }

    @Test("values are read and URLs lose their trailing slash")
    func values() throws {
        let configuration = try AppConfiguration(environment: [
            "PORT": "9090", "PUBLIC_BASE_URL": "https://stanki.example.ru/", "DIRECTUS_URL": "https://cms.example.ru/",
            "DIRECTUS_TOKEN": "t", "CATALOG_FRESH_SECONDS": "5", "CATALOG_STALE_SECONDS": "50", "LOG_LEVEL": "DEBUG",
            "PAGE_CACHE_MB": "8", "DIRECTUS_MAX_RESPONSE_MB": "16", "REQUEST_HEAD_TIMEOUT": "20", "KEEPALIVE_TIMEOUT": "90",
        ])
        #expect(configuration.pageCacheBytes == 8 << 20)
        #expect(configuration.catalog.maxResponseBytes == 16 << 20)
        #expect(configuration.requestHeadTimeout == .seconds(20))
        #expect(configuration.keepAliveTimeout == .seconds(90))
        #expect(configuration.port == 9090)
        #expect(configuration.publicBaseURL == "https://stanki.example.ru")
        #expect(configuration.catalog.directusURL == "https://cms.example.ru")
        #expect(configuration.catalog.fresh == .seconds(5))
        #expect(configuration.logLevel == .debug)
    }

    @Test("a bad value names its variable", arguments: [
        ("PORT", "http"), ("PORT", "70000"), ("PUBLIC_BASE_URL", "stanki.ru"), ("DIRECTUS_URL", "ftp://x"),
        ("CATALOG_FRESH_SECONDS", "-1"), ("LOG_LEVEL", "loud"), ("DIRECTUS_TIMEOUT", "0"), ("DIRECTUS_MAX_RESPONSE_MB", "2048"),
        ("REQUEST_HEAD_TIMEOUT", "0"), ("REQUEST_HEAD_TIMEOUT", "ten"), ("KEEPALIVE_TIMEOUT", "99999"), ("PAGE_CACHE_MB", "-1"),
    ])
    func invalid(variable: String, value: String) {
        #expect(throws: ConfigurationError.self) { try AppConfiguration(environment: [variable: value]) }
        do {
            _ = try AppConfiguration(environment: [variable: value])
        } catch {
            #expect(error.variable == variable)
        }
    }

    @Test("stale must not be shorter than fresh")
    func staleVersusFresh() {
        #expect(throws: ConfigurationError(variable: "CATALOG_STALE_SECONDS", reason: "must not be shorter than CATALOG_FRESH_SECONDS")) {
            try AppConfiguration(environment: ["CATALOG_FRESH_SECONDS": "100", "CATALOG_STALE_SECONDS": "10"])
        }
    }

    @Test(".env files: comments, export, quotes")
    func dotEnv() {
        let values = DotEnv.parse("""
            # comment
            export PORT=9000
            DIRECTUS_TOKEN="abc def"
            SMTP_PASSWORD='p#ss'
            LOG_LEVEL=debug # trailing comment
            BROKEN
            """)
        #expect(values == ["PORT": "9000", "DIRECTUS_TOKEN": "abc def", "SMTP_PASSWORD": "p#ss", "LOG_LEVEL": "debug"])
    }
}
