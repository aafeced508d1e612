// swift-tools-version:6.1
import PackageDescription

// Every dependency is a well-kept server-side Swift package:
// - hummingbird: the HTTP server, router, middleware and test client;
// - swift-mustache: logic-less HTML templates in templates/;
// - async-http-client: Directus REST calls (connection pooling, timeouts);
// - swift-argument-parser: the `catalog-bff serve|...` command line;
// - swift-log: structured logging with metadata;
// - sql-kit + sqlite-kit + postgres-kit: one SQL code path over SQLite (statements on NIO's
//   thread pool) and PostgreSQL (postgres-nio's connection pool and transactions;
//   swift-nio-ssl, already in the tree through async-http-client, for its TLS settings);
// - swift-service-lifecycle: outbox workers start and stop with the server;
// - swift-crypto: HMAC for the signed form tokens;
// - swift-nio + swift-nio-extras (already under Hummingbird): the event-loop handler that
//   answers warm cached pages without entering the router (NIOHTTPTypes parts);
// - swift-metrics + swift-prometheus: the domain targets count and time through the
//   swift-metrics API (an injected factory, no process-global bootstrap, so every app a
//   test builds has its own numbers); the web layer serves them as Prometheus text.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "catalog-bff",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "catalog-bff", targets: ["catalog-bff"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Tests only: HTML snapshots of every page kind, compared with files in the repository.
        .package(url: "https://github.com/pointfreeco/swift-snapshot-testing.git", from: "1.19.7"),
        // gzip variants of rendered pages and static files, made once (zlib; Debian: zlib1g-dev).
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
    ],
    targets: [
        // libxml2: the HTML parser of the description sanitizer, the XML writer of the
        // sitemap and the YML feed, and (tests) the XML parser and validators (Debian: libxml2-dev).
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        // Budgeted maps (least recently used out first) for every cache a visitor can grow.
        .target(
            name: "Caching",
            swiftSettings: strict
        ),
        // The small vocabulary every module shares: the wall clock and Moscow days, Unix
        // milliseconds, random ids, JSON with sorted keys.
        .target(
            name: "Basics",
            swiftSettings: strict
        ),
        // Text rules every module shares, on Unicode scalars and bytes rather than grapheme
        // clusters: HTML escaping (also for the templates), control characters, terminal output.
        .target(
            name: "SafeText",
            dependencies: [.product(name: "Mustache", package: "swift-mustache")],
            swiftSettings: strict
        ),
        .target(
            name: "Catalog",
            dependencies: [
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "Basics",
                "SafeText",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                "Caching",
                "CMalloc",
                "CStemmer",
                "CLibXML2",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Demo/data")],
            swiftSettings: strict
        ),
        // The image proxy's disk cache: Directus' transformed images under a size cap.
        .target(
            name: "Assets",
            dependencies: [
                "Basics",
                "Caching",
                "Catalog",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // libcurl for SMTP (Debian: libcurl4-openssl-dev).
        // glibc's malloc_trim: a catalog reload frees tens of MiB in small pieces, which the
        // allocator would otherwise keep.
        .systemLibrary(name: "CMalloc"),
        // Snowball stemmers (Russian, English) for catalog search (Debian: libstemmer-dev; it has
        // no pkg-config file).
        .systemLibrary(name: "CStemmer", providers: [.apt(["libstemmer-dev"])]),
        // Brotli variants of rendered pages and static text files (Debian's libbrotli).
        .systemLibrary(
            name: "CBrotli",
            pkgConfig: "libbrotlienc",
            providers: [.apt(["libbrotli-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "Storage",
            dependencies: [
                "Basics",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Mail",
            dependencies: [
                "Basics",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                "CCurl",
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Leads",
            dependencies: [
                "Alerts",
                "Basics",
                "SafeText",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                "Storage",
                "Mail",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "AmoCRM",
            dependencies: [
                "Alerts",
                "Basics",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                "Storage",
                "Leads",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // libqrencode: the QR code on a digital passport (Debian: libqrencode-dev).
        .systemLibrary(
            name: "CQREncode",
            pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]
        ),
        // Digital passports of won amoCRM deals (DESIGN §7).
        .target(
            name: "Passport",
            dependencies: [
                "Basics",
                "SafeText",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                "AmoCRM",
                "Catalog",
                "CQREncode",
                "Leads",
                "Mail",
                "Storage",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Operator alerts by e-mail (ALERT_TO): each incident mailed when it opens and when it clears.
        .target(
            name: "Alerts",
            dependencies: [
                "Basics",
                "SafeText",
                "Mail",
                "Storage",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // What changed on the site's pages (the sitemap's lastmod), and telling search engines
        // through IndexNow.
        .target(
            name: "Indexing",
            dependencies: [
                "Basics",
                "Catalog",
                "Storage",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Web",
            dependencies: [
                "Indexing",
                "Assets",
                "Basics",
                "SafeText",
                "Alerts",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                "Caching",
                "Passport",
                "Catalog",
                "Leads",
                "AmoCRM",
                "Mail",
                "Storage",
                "CLibXML2",
                "CBrotli",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "catalog-bff",
            dependencies: [
                "Basics",
                "SafeText",
                "Web",
                "Leads",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "AmoCRM",
                "Storage",
                "Catalog",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Loopback fakes of the outside services, shared by the test targets.
        .target(
            name: "TestSupport",
            dependencies: [
                "Basics",
                "Catalog",
                "CLibXML2",
                "Storage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/Support",
            resources: [.copy("Fixtures"), .copy("smtp_server.py"), .copy("postgres_server.sh")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CachingTests",
            dependencies: ["Caching"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SafeTextTests",
            dependencies: ["SafeText", .product(name: "Mustache", package: "swift-mustache")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CatalogTests",
            dependencies: [
                "Catalog",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LeadsTests",
            dependencies: [
                "SafeText",
                "Leads",
                "Mail",
                "Storage",
                "TestSupport",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: ["Storage", "TestSupport", .product(name: "SQLKit", package: "sql-kit")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MailTests",
            dependencies: ["Mail", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AmoCRMTests",
            dependencies: [
                "AmoCRM",
                "Leads",
                "Storage",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AlertsTests",
            dependencies: [
                "SafeText",
                "Alerts", "Mail", "Storage", "TestSupport",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PassportTests",
            dependencies: [
                "Passport", "AmoCRM", "Catalog", "Leads", "Mail", "Storage", "TestSupport",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WebTests",
            dependencies: [
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                "Assets",
                "Alerts",
                "Indexing",
                "Mail",
                "SafeText",
                "Web",
                "Passport",
                "Catalog",
                "Leads",
                "Storage",
                "TestSupport",
                "CBrotli",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "SnapshotTesting", package: "swift-snapshot-testing"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            exclude: ["__Snapshots__"],
            swiftSettings: strict
        ),
    ]
)
