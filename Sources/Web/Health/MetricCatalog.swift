/// Every metric the service exposes, with its HELP text; the names are also used by the alert
/// rules and the dashboard in `deploy/` (a test checks that those only use names from here).
enum MetricCatalog {
    static let help: [String: String] = [
        // HTTP
        "http_requests_total": "Requests answered through the router, by route pattern, method and status.",
        "http_request_duration_seconds": "Time from a request reaching the router to its response, by route pattern and method.",
        "pages_fast_path_total": "Warm page requests answered from the rendered cache on the event loop (not in http_requests_total).",
        "rate_limit_hits_total": "Requests refused by a rate limit, by limit (orders per address, ingest per key, admin login failures).",
        // Page cache
        "pages_rendered_total": "Cacheable pages and documents rendered (a cold burst of one page renders it once).",
        "page_cache_hits_total": "Page lookups answered by a rendered page.",
        "page_cache_misses_total": "Page lookups that found nothing current and rendered.",
        "page_cache_evictions_total": "Rendered pages dropped to stay within the page cache budget (least recently used first).",
        "page_cache_entries": "Rendered pages and documents kept (least recently used go first).",
        "page_cache_bytes": "Bytes of the rendered pages kept.",
        "page_cache_targets": "Canonical request targets the event-loop fast path knows.",
        "asset_cache_bytes": "Bytes of transformed images in the disk cache.",
        // Catalog and Directus
        "catalog_refresh_failures_total": "Failed Directus loads (stale data was served when there was any).",
        "catalog_upstream_failing": "1 while the last load of a catalog list from Directus failed.",
        "catalog_serving_stale": "1 while Directus fails and the site shows the catalog it read before.",
        "catalog_descriptions_kept": "Full product descriptions kept for product pages (the index keeps excerpts).",
        "catalog_descriptions_bytes": "Bytes of the product descriptions kept.",
        "site_pages_recorded": "Pages whose content digest and time of change are recorded (the sitemap's lastmod; what changed is found against it).",
        "indexnow_pages_waiting": "Changed pages waiting to be announced to IndexNow (sent a minute after the first of a burst).",
        "indexnow_oldest_waiting_seconds": "Age of the oldest page waiting for IndexNow (0 when none waits).",
        "indexnow_requests_total": "Requests to IndexNow, by status (error: no answer).",
        "indexnow_urls_sent_total": "Page URLs IndexNow accepted.",
        "directus_request_duration_seconds": "Directus REST requests, by operation (list, item, asset).",
        "directus_request_errors_total": "Failed Directus requests, by operation and kind of error.",
        // Orders and the outbox
        "orders_accepted_total": "Orders stored, by source (сайт: the site's form and API; an ingest key's source).",
        "orders_honeypot_total": "Form submissions caught by the honeypot field.",
        "outbox_deliveries": "Lead deliveries by channel and state.",
        "outbox_oldest_pending_seconds": "Age of the oldest delivery still waiting, by channel (0 when none waits).",
        "outbox_attempts_total": "Delivery attempts by channel and outcome (delivered, failed, rejected, unavailable).",
        "outbox_dead_total": "Deliveries that gave up for good (dead rows an admin must look at), by channel.",
        "outbox_channel_up": "1 while a delivery channel works, 0 while its breaker is open (leads wait).",
        // amoCRM
        "amocrm_connected": "1 when amoCRM tokens work, 0 when it must be (re)connected.",
        "amocrm_token_expires_in_seconds": "Seconds until the amoCRM access token expires (negative once expired).",
        "amocrm_token_refreshes_total": "amoCRM access tokens refreshed with the refresh token.",
        "amocrm_token_refresh_failures_total": "amoCRM token refreshes that failed, by kind (rejected: re-authorization needed; unavailable).",
        "amocrm_requests_total": "Requests to the amoCRM API, by status class.",
        "amocrm_rate_limited_total": "amoCRM API answers 429 (too many requests).",
        "amocrm_events_pending": "amoCRM status events recorded and not yet worked through (won deals get passports).",
        "passports": "Digital passports issued for won amoCRM deals, revoked ones included.",
        // Mail
        "mail_sent_total": "Messages handed to the mail server (or written to MAIL_DIR), by kind.",
        "mail_failed_total": "Messages the mail server did not take, by kind.",
        // Alerts
        "alerts_active": "Operator alerts now active, by alert.",
    ]

    static func help(_ name: String) -> String { help[name] ?? "" }

    /// Request times: a cached page takes well under a millisecond, a cold render of a large
    /// list some tens, Directus up to its timeout.
    static func durationBuckets(_ name: String) -> [Duration] {
        let milliseconds: [Int64] =
            name.hasPrefix("directus_")
            ? [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000]
            : [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000]
        return milliseconds.map { .milliseconds($0) }
    }

    static func valueBuckets(_ name: String) -> [Double] { [1, 10, 100, 1_000, 10_000] }
}
