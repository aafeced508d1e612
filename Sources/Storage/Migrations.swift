/// The schema, one migration at a time. Never edit an applied migration: add a new one.
///
/// Times are Unix milliseconds (`BIGINT`), identical on both engines; the statements are
/// written once, with the auto-increment key type filled in per engine.
enum Migrations {
    static let all: [Migration] = [leadsAndOutbox, amoCRMTokens, amoCRMContacts, productAmount, oauthStates, verifiedContacts, outboxMaybeSent, instances, amoCRMEvents, passports, alerts, deliveryAttempts, erasure, eventPerDeal, pageVersions]

    static let leadsAndOutbox = Migration(version: 1, name: "leads, outbox, settings") { serial in
        [
            """
            CREATE TABLE leads (
                number \(serial),
                id TEXT NOT NULL UNIQUE,
                source TEXT NOT NULL,
                idempotency_key TEXT,
                name TEXT NOT NULL,
                phone TEXT,
                email TEXT,
                company TEXT,
                quantity INTEGER NOT NULL,
                comment TEXT,
                product_id BIGINT,
                product_name TEXT,
                product_sku TEXT,
                product_url TEXT,
                product_price TEXT,
                utm_source TEXT, utm_medium TEXT, utm_campaign TEXT, utm_term TEXT, utm_content TEXT,
                consent_at BIGINT NOT NULL,
                consent_ip TEXT,
                consent_user_agent TEXT,
                consent_version TEXT NOT NULL,
                payload TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX leads_idempotency ON leads (source, idempotency_key) WHERE idempotency_key IS NOT NULL",
            """
            CREATE TABLE outbox (
                id \(serial),
                lead_number BIGINT NOT NULL REFERENCES leads (number),
                channel TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at BIGINT NOT NULL,
                lease_owner TEXT,
                lease_expires_at BIGINT,
                last_error TEXT,
                external_id TEXT,
                updated_at BIGINT NOT NULL,
                UNIQUE (lead_number, channel)
            )
            """,
            "CREATE INDEX outbox_due ON outbox (channel, state, next_attempt_at)",
            "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        
        ]
    }

    static let amoCRMTokens = Migration(version: 2, name: "amoCRM tokens") { _ in
        [
            """
            CREATE TABLE amocrm_tokens (
                account TEXT PRIMARY KEY,
                access_token TEXT NOT NULL,
                refresh_token TEXT NOT NULL,
                expires_at BIGINT NOT NULL,
                issued_at BIGINT NOT NULL,
                reauth_reason TEXT,
                lease_owner TEXT,
                lease_expires_at BIGINT
            )
            """
        ]
    }

    /// Customers already in amoCRM (phone or e-mail → contact id), so that returning
    /// customers cost no lookup and are not created twice.
    static let amoCRMContacts = Migration(version: 3, name: "amoCRM contacts") { _ in
        ["CREATE TABLE amocrm_contacts (key TEXT PRIMARY KEY, contact_id BIGINT NOT NULL, updated_at BIGINT NOT NULL)"]
    }

    /// The product's price as a number (`1250000.00`), for the amoCRM deal's budget.
    static let productAmount = Migration(version: 4, name: "lead product amount") { _ in
        ["ALTER TABLE leads ADD COLUMN product_amount TEXT"]
    }
}

extension Migrations {
    /// The `state` values of amoCRM authorization redirects: random, kept 10 minutes, used once.
    static let oauthStates = Migration(version: 5, name: "OAuth states") { _ in
        ["CREATE TABLE oauth_states (state TEXT PRIMARY KEY, expires_at BIGINT NOT NULL)"]
    }
}

extension Migrations {
    /// Contacts remembered before a search hit had to hold the order's own phone or e-mail
    /// may be someone else's: forget them; each customer is looked up (and checked) again.
    static let verifiedContacts = Migration(version: 6, name: "forget unverified amoCRM contacts") { _ in
        ["DELETE FROM amocrm_contacts"]
    }
}

extension Migrations {
    /// A delivery that failed after its request may have reached the receiver (a timeout after
    /// sending): the next try looks for it there first. Kept apart from `attempts`, which an
    /// outage no longer spends.
    static let outboxMaybeSent = Migration(version: 7, name: "outbox maybe sent") { _ in
        ["ALTER TABLE outbox ADD COLUMN maybe_sent INTEGER NOT NULL DEFAULT 0"]
    }
}

extension Migrations {
    /// Instances that know each other: each heartbeats; a lease of an instance whose heartbeat
    /// went stale is taken over at once; roles (one amoCRM sender for the deployment) are
    /// short leases renewed by their holder.
    static let instances = Migration(version: 8, name: "instances, roles, lease holders") { _ in
        [
            "CREATE TABLE instances (id TEXT PRIMARY KEY, started_at BIGINT NOT NULL, heartbeat_at BIGINT NOT NULL)",
            "CREATE TABLE roles (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL)",
            "ALTER TABLE outbox ADD COLUMN lease_instance TEXT",
        ]
    }
}

extension Migrations {
    /// amoCRM's status-change events (`POST /webhook/amocrm`), recorded before they are
    /// answered and worked through in the background: a won deal gets its digital passport.
    static let amoCRMEvents = Migration(version: 9, name: "amoCRM events") { serial in
        [
            """
            CREATE TABLE amocrm_events (
                id \(serial),
                lead_id BIGINT NOT NULL,
                status_id BIGINT NOT NULL,
                pipeline_id BIGINT,
                old_status_id BIGINT,
                received_at BIGINT NOT NULL,
                processed_at BIGINT
            )
            """,
            "CREATE INDEX amocrm_events_pending ON amocrm_events (id) WHERE processed_at IS NULL",
        ]
    }
}

extension Migrations {
    /// Digital passports: one per won amoCRM lead (the unique key makes repeated or
    /// concurrent events create nothing more). A passport is a record of a sale: it holds its
    /// own copy of the product, its specs and the buyer, not references a retention job could
    /// erase. The note on the lead and the mailbox copy are due until their time is set.
    /// An event that cannot be acted on (amoCRM answered what the API does not document) is
    /// set aside with its reason instead of being retried for ever.
    static let passports = Migration(version: 10, name: "digital passports") { _ in
        [
            """
            CREATE TABLE passports (
                code TEXT PRIMARY KEY,
                amo_lead_id BIGINT NOT NULL UNIQUE,
                lead_number BIGINT,
                product_id BIGINT,
                product_name TEXT NOT NULL,
                product_sku TEXT,
                product_url TEXT,
                specs TEXT NOT NULL,
                buyer TEXT NOT NULL,
                serial TEXT,
                sold_at BIGINT NOT NULL,
                warranty_months INTEGER NOT NULL,
                warranty_until BIGINT NOT NULL,
                issued_at BIGINT NOT NULL,
                revoked_at BIGINT,
                note_added_at BIGINT,
                mailed_at BIGINT
            )
            """,
            "CREATE INDEX passports_issued ON passports (issued_at)",
            "ALTER TABLE amocrm_events ADD COLUMN error TEXT",
            // Our lead behind a won deal is found by the deal id its delivery recorded.
            "CREATE INDEX outbox_external ON outbox (external_id) WHERE external_id IS NOT NULL",
        ]
    }
}

extension Migrations {
    /// Operator alerts (issue «Operations»): one row per incident, by a key such as
    /// `channel.email`. An incident is mailed once when it opens and once when it clears; the
    /// times say which of the two are still due (a mail server that is itself the incident gets
    /// both once it works again). Rows are kept as the incident history `/admin` shows.
    static let alerts = Migration(version: 11, name: "operator alerts") { serial in
        [
            """
            CREATE TABLE alerts (
                id \(serial),
                key TEXT NOT NULL,
                title TEXT NOT NULL,
                detail TEXT NOT NULL,
                opened_at BIGINT NOT NULL,
                closed_at BIGINT,
                open_mailed_at BIGINT,
                close_mailed_at BIGINT,
                mail_claimed_until BIGINT,
                mail_error TEXT
            )
            """,
            // At most one open incident per key, on every instance.
            "CREATE UNIQUE INDEX alerts_open ON alerts (key) WHERE closed_at IS NULL",
            "CREATE INDEX alerts_opened ON alerts (opened_at)",
        ]
    }
}

extension Migrations {
    /// Every delivery attempt and admin action on an outbox row, for a lead's detail page and
    /// the daily chart of failures; the row itself keeps only its latest state. And when a row
    /// last started waiting, for the age of the oldest waiting delivery.
    static let deliveryAttempts = Migration(version: 12, name: "delivery attempts") { serial in
        [
            """
            CREATE TABLE delivery_attempts (
                id \(serial),
                lead_number BIGINT NOT NULL REFERENCES leads (number),
                channel TEXT NOT NULL,
                at BIGINT NOT NULL,
                outcome TEXT NOT NULL,
                detail TEXT
            )
            """,
            "CREATE INDEX delivery_attempts_lead ON delivery_attempts (lead_number)",
            "CREATE INDEX delivery_attempts_at ON delivery_attempts (at)",
            "CREATE INDEX leads_created ON leads (created_at)",
            // When a row last started waiting (an admin's retry); NULL: since its lead came.
            "ALTER TABLE outbox ADD COLUMN pending_since BIGINT",
        ]
    }
}

extension Migrations {
    /// When a lead's personal data was erased (`LEAD_RETENTION_DAYS`, or a customer's request):
    /// the lead stays as a record that an order came, without the customer.
    static let erasure = Migration(version: 13, name: "personal data erasure") { _ in
        ["ALTER TABLE leads ADD COLUMN erased_at BIGINT"]
    }
}

extension Migrations {
    /// amoCRM events (issue «Hostile input, part 3»): a deal waits once. Only won events are
    /// acted on, so other waiting ones are settled, a deal's repeats are settled but for its
    /// first, and a unique index over the waiting rows keeps it so. A report that comes while
    /// its deal waits (or is being looked at) counts in `reports`: a worker settles the row only
    /// if no report came since it read it, so a deal won again after a look is looked at again.
    static let eventPerDeal = Migration(version: 14, name: "one waiting amoCRM event per deal") { _ in
        [
            "UPDATE amocrm_events SET processed_at = received_at WHERE processed_at IS NULL AND status_id <> 142",
            """
            UPDATE amocrm_events SET processed_at = received_at
            WHERE processed_at IS NULL
              AND id NOT IN (SELECT MIN(id) FROM amocrm_events WHERE processed_at IS NULL GROUP BY lead_id)
            """,
            "CREATE UNIQUE INDEX amocrm_events_waiting_deal ON amocrm_events (lead_id) WHERE processed_at IS NULL",
            "ALTER TABLE amocrm_events ADD COLUMN reports INTEGER NOT NULL DEFAULT 1",
        ]
    }
}

extension Migrations {
    /// What each page of the site showed when it last changed (issue «Freshness end to end»):
    /// a digest of its content and when it changed, for the sitemap's `lastmod` and to find
    /// what changed after a purge, a refresh or a restart; and the pages waiting to be
    /// announced to search engines (IndexNow), one row a page however often it changes.
    static let pageVersions = Migration(version: 15, name: "page versions and IndexNow queue") { _ in
        [
            """
            CREATE TABLE page_versions (
                path TEXT PRIMARY KEY,
                fingerprint BIGINT NOT NULL,
                modified_at BIGINT NOT NULL,
                announce INTEGER NOT NULL
            )
            """,
            """
            CREATE TABLE indexnow_queue (
                path TEXT PRIMARY KEY,
                queued_at BIGINT NOT NULL,
                batch TEXT
            )
            """,
            "CREATE INDEX indexnow_queue_queued ON indexnow_queue (queued_at)",
        ]
    }
}
