import Basics
import Foundation
import SQLKit
import Storage

public enum OutboxState: String, Sendable, Codable {
    /// Waiting for (another) delivery attempt.
    case pending
    case delivered
    /// Out of attempts, or rejected for good; an admin can retry it.
    case dead
    /// A dead delivery an admin gave up on (handled by hand); it can still be retried.
    case cancelled

    public static let all: [OutboxState] = [.pending, .delivered, .dead, .cancelled]
}

/// One lead's delivery on one channel, claimed by a worker.
public struct OutboxItem: Sendable, Equatable {
    public var id: Int
    public var leadNumber: Int
    public var channel: DeliveryChannel
    /// Attempts before this one.
    public var attempts: Int
    /// An earlier try may have reached the receiver (it timed out after sending): look before
    /// sending again.
    public var maybeSent: Bool

    public init(id: Int, leadNumber: Int, channel: DeliveryChannel, attempts: Int, maybeSent: Bool = false) {
        self.id = id
        self.leadNumber = leadNumber
        self.channel = channel
        self.attempts = attempts
        self.maybeSent = maybeSent
    }
}

/// How a delivery went.
public enum DeliveryOutcome: Sendable, Equatable {
    case delivered(externalID: String?)
    /// This lead failed (the receiver refused this message, a bad answer for this item):
    /// counts as an attempt, retried with backoff until the last attempt.
    case failed(String)
    /// Rejected for good (e.g. validation errors from the receiver): dead at once.
    case rejected(String)
    /// The whole channel cannot deliver now (down, timing out, 5xx, 429, needs
    /// re-authorization): no attempt is spent, the lead waits and the channel's breaker opens.
    /// `maybeSent`: the request may have reached the receiver before it failed.
    case unavailable(String, maybeSent: Bool = false)
}

/// When to try again: exponential backoff with full jitter, and a last attempt.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxAttempts: Int = 10, baseDelay: Duration = .seconds(30), maxDelay: Duration = .seconds(3600)) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The delay after `attempts` failed attempts: up to base·2^(attempts-1), capped, at least half of it.
    public func delay(afterAttempts attempts: Int) -> Duration {
        let exponent = min(max(attempts - 1, 0), 30)
        let ceiling = min(baseDelay * (1 << exponent), maxDelay)
        let milliseconds = ceiling.milliseconds
        let jittered = Int64.random(in: (milliseconds / 2)...max(milliseconds / 2, milliseconds))
        return .milliseconds(jittered)
    }
}

extension LeadStore {
    /// Claims up to `limit` due rows of `channel` for `owner` (a worker of `instance`) until
    /// the lease expires. A row is due again when its lease ran out, or at once when the
    /// instance holding it stopped heartbeating (it died): that is crash recovery.
    public func claim(
        channel: DeliveryChannel, owner: String, instance: String? = nil, limit: Int, lease: Duration
    ) async throws -> [OutboxItem] {
        let now = clock.now().milliseconds
        let expires = now + lease.milliseconds
        let aliveSince = now - Instances.staleAfter.milliseconds
        let lock = database.kind == .postgres ? SQLRaw(" FOR UPDATE SKIP LOCKED") : SQLRaw("")
        return try await database.transaction { db in
            let rows = try await db.raw(
                """
                UPDATE outbox SET lease_owner = \(bind: owner), lease_instance = \(bind: instance), lease_expires_at = \(bind: expires),
                    updated_at = \(bind: now)
                WHERE id IN (
                    SELECT o.id FROM outbox o
                    WHERE o.channel = \(bind: channel.rawValue) AND o.state = 'pending' AND o.next_attempt_at <= \(bind: now)
                      AND (o.lease_expires_at IS NULL OR o.lease_expires_at < \(bind: now)
                           OR (o.lease_instance IS NOT NULL AND NOT EXISTS (
                               SELECT 1 FROM instances i WHERE i.id = o.lease_instance AND i.heartbeat_at >= \(bind: aliveSince))))
                    ORDER BY o.next_attempt_at, o.id LIMIT \(bind: limit)\(lock)
                )
                RETURNING id, lead_number, channel, attempts, maybe_sent
                """
            ).all()
            return try rows.map { row in
                OutboxItem(
                    id: try row.decode(column: "id", as: Int.self), leadNumber: try row.decode(column: "lead_number", as: Int.self),
                    channel: try DeliveryChannel.decode(row), attempts: try row.decode(column: "attempts", as: Int.self),
                    maybeSent: try row.decode(column: "maybe_sent", as: Int.self) != 0)
            }.sorted { $0.id < $1.id }
        }
    }

    /// Extends `owner`'s leases on `items` while their delivery is still in flight; returns
    /// how many it still held.
    @discardableResult
    public func renew(_ items: [OutboxItem], owner: String, lease: Duration) async throws -> Int {
        guard !items.isEmpty else { return 0 }
        let now = clock.now().milliseconds
        let ids = SQLList(items.map { SQLBind($0.id) })
        return try await database.transaction { db in
            try await db.raw(
                """
                UPDATE outbox SET lease_expires_at = \(bind: now + lease.milliseconds)
                WHERE id IN (\(ids)) AND lease_owner = \(bind: owner) RETURNING id
                """
            ).all().count
        }
    }

    /// Until when a row is leased, if it is (the admin page, tests).
    public func leaseExpiry(itemID: Int) async throws -> Date? {
        try await database.read { db in
            let row = try await db.raw("SELECT lease_expires_at FROM outbox WHERE id = \(bind: itemID)").first()
            guard let row, !(try row.decodeNil(column: "lease_expires_at")) else { return nil }
            return Date(milliseconds: try row.decode(column: "lease_expires_at", as: Int64.self))
        }
    }

    /// At start (and at a graceful stop): the leases this instance held are its own no more –
    /// the rows are due again at once. Their delivery may have gone out before the stop (the
    /// outcome not recorded), so the next try looks at the receiver first (`maybe_sent`).
    @discardableResult
    public func releaseLeases(instance: String) async throws -> Int {
        try await database.transaction { db in
            try await db.raw(
                """
                UPDATE outbox SET lease_owner = NULL, lease_instance = NULL, lease_expires_at = NULL, maybe_sent = 1
                WHERE lease_instance = \(bind: instance) AND state = 'pending' RETURNING id
                """
            ).all().count
        }
    }

    /// Records how a claimed delivery went; ignored if the lease was lost meanwhile. Each
    /// attempt is kept in `delivery_attempts` with its outcome and error (a channel's outage
    /// once, not every probe of it). Returns the state the row is in now, or nil when the
    /// outcome was not applied.
    @discardableResult
    public func record(_ outcome: DeliveryOutcome, for item: OutboxItem, owner: String, policy: RetryPolicy) async throws -> OutboxState? {
        let now = clock.now().milliseconds
        return try await database.transaction { db -> OutboxState? in
            let updated: [any SQLRow]
            let logged: (outcome: String, detail: String?)
            var state = OutboxState.pending
            // A probe of a channel that is down is logged only when its error says something new.
            var repeatedProbe = false
            switch outcome {
            case .delivered(let externalID):
                logged = ("delivered", externalID)
                state = .delivered
                updated = try await db.raw(
                    """
                    UPDATE outbox SET state = 'delivered', attempts = attempts + 1, external_id = \(bind: externalID),
                        last_error = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = \(bind: now)
                    WHERE id = \(bind: item.id) AND lease_owner = \(bind: owner) AND state = 'pending' RETURNING id
                    """
                ).all()
            case .failed(let reason):
                let attempts = item.attempts + 1
                let dead = attempts >= policy.maxAttempts
                let next = now + policy.delay(afterAttempts: attempts).milliseconds
                logged = (dead ? "dead" : "failed", reason)
                state = dead ? .dead : .pending
                updated = try await db.raw(
                    """
                    UPDATE outbox SET state = \(bind: dead ? OutboxState.dead.rawValue : OutboxState.pending.rawValue),
                        attempts = \(bind: attempts), next_attempt_at = \(bind: next), last_error = \(bind: String(reason.prefix(2000))),
                        lease_owner = NULL, lease_expires_at = NULL, updated_at = \(bind: now)
                    WHERE id = \(bind: item.id) AND lease_owner = \(bind: owner) AND state = 'pending' RETURNING id
                    """
                ).all()
            case .rejected(let reason):
                logged = ("rejected", reason)
                state = .dead
                updated = try await db.raw(
                    """
                    UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = \(bind: String(reason.prefix(2000))),
                        lease_owner = NULL, lease_expires_at = NULL, updated_at = \(bind: now)
                    WHERE id = \(bind: item.id) AND lease_owner = \(bind: owner) AND state = 'pending' RETURNING id
                    """
                ).all()
            case .unavailable(let reason, let maybeSent):
                logged = ("unavailable", reason)
                let previous = try await db.raw("SELECT last_error FROM outbox WHERE id = \(bind: item.id)").first()
                let previousError = try previous.flatMap { try $0.decodeNil(column: "last_error") ? nil : try $0.decode(column: "last_error", as: String.self) }
                repeatedProbe = previousError == String(reason.prefix(2000))
                // Still due: it goes as soon as the channel is back (the breaker decides when).
                updated = try await db.raw(
                    """
                    UPDATE outbox SET last_error = \(bind: String(reason.prefix(2000))), maybe_sent = \(bind: item.maybeSent || maybeSent ? 1 : 0),
                        lease_owner = NULL, lease_expires_at = NULL, updated_at = \(bind: now)
                    WHERE id = \(bind: item.id) AND lease_owner = \(bind: owner) AND state = 'pending' RETURNING id
                    """
                ).all()
            }
            guard !updated.isEmpty else { return nil }
            if !repeatedProbe {
                try await Self.log(logged.outcome, detail: logged.detail, leadNumber: item.leadNumber, channel: item.channel, at: now, in: db)
            }
            return state
        }
    }

    static func log(_ outcome: String, detail: String?, leadNumber: Int, channel: DeliveryChannel, at now: Int64, in db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO delivery_attempts (lead_number, channel, at, outcome, detail)
            VALUES (\(bind: leadNumber), \(bind: channel.rawValue), \(bind: now), \(bind: outcome), \(bind: detail.map { String($0.prefix(2000)) }))
            """
        ).run()
    }

    /// When the next row of `channel` becomes due, if any is pending.
    public func nextDue(channel: DeliveryChannel) async throws -> Date? {
        try await database.read { db in
            let row = try await db.raw(
                """
                SELECT MIN(CASE WHEN lease_expires_at IS NOT NULL AND lease_expires_at > next_attempt_at
                                THEN lease_expires_at ELSE next_attempt_at END) AS due
                FROM outbox WHERE channel = \(bind: channel.rawValue) AND state = 'pending'
                """
            ).first()
            guard let row, !(try row.decodeNil(column: "due")) else { return nil }
            return Date(milliseconds: try row.decode(column: "due", as: Int64.self))
        }
    }

    /// Puts a lead's dead (or cancelled) deliveries back in the queue with fresh attempts
    /// (admin "retry").
    @discardableResult
    public func retryDead(leadNumber: Int) async throws -> Int {
        let now = clock.now().milliseconds
        return try await database.transaction { db in
            let rows = try await db.raw(
                """
                UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = \(bind: now), lease_owner = NULL,
                    lease_expires_at = NULL, updated_at = \(bind: now), pending_since = \(bind: now)
                WHERE lead_number = \(bind: leadNumber) AND state IN ('dead', 'cancelled')
                RETURNING channel
                """
            ).all()
            for row in rows {
                try await Self.log("admin_retry", detail: nil, leadNumber: leadNumber, channel: try DeliveryChannel.decode(row), at: now, in: db)
            }
            return rows.count
        }
    }

    /// Gives up a lead's dead deliveries (an admin handled the lead by hand): they leave the
    /// list of failures and stop the dead-rows alert.
    @discardableResult
    public func cancelDead(leadNumber: Int) async throws -> Int {
        let now = clock.now().milliseconds
        return try await database.transaction { db in
            let rows = try await db.raw(
                """
                UPDATE outbox SET state = 'cancelled', updated_at = \(bind: now), lease_owner = NULL, lease_instance = NULL,
                    lease_expires_at = NULL
                WHERE lead_number = \(bind: leadNumber) AND state = 'dead' RETURNING channel
                """
            ).all()
            for row in rows {
                try await Self.log("admin_cancel", detail: nil, leadNumber: leadNumber, channel: try DeliveryChannel.decode(row), at: now, in: db)
            }
            return rows.count
        }
    }

    /// Makes everything waiting on `channel` due now (admin "requeue", `catalog-bff outbox
    /// requeue`): rows waiting out a backoff go on the next round. Leases in flight are kept.
    @discardableResult
    public func requeue(channel: DeliveryChannel) async throws -> Int {
        let now = clock.now().milliseconds
        return try await database.transaction { db in
            try await db.raw(
                """
                UPDATE outbox SET next_attempt_at = \(bind: now), updated_at = \(bind: now)
                WHERE channel = \(bind: channel.rawValue) AND state = 'pending' AND next_attempt_at > \(bind: now)
                    AND (lease_expires_at IS NULL OR lease_expires_at <= \(bind: now))
                RETURNING id
                """
            ).all().count
        }
    }

    /// A lead's latest delivery attempts and admin actions (at most `limit`), oldest first.
    public func attempts(leadNumber: Int, limit: Int = 200) async throws -> [DeliveryAttempt] {
        try await database.read { db in
            try await db.raw(
                """
                SELECT * FROM delivery_attempts WHERE lead_number = \(bind: leadNumber)
                ORDER BY at DESC, id DESC LIMIT \(literal: max(1, min(limit, 1_000)))
                """
            ).all().reversed().map { row in
                DeliveryAttempt(
                    channel: try DeliveryChannel.decode(row), at: Date(milliseconds: try row.decode(column: "at", as: Int64.self)),
                    outcome: try row.decode(column: "outcome", as: String.self),
                    detail: try row.decodeNil(column: "detail") ? nil : try row.decode(column: "detail", as: String.self))
            }
        }
    }

    /// A lead's deliveries, for the admin page and tests.
    public func deliveries(leadNumber: Int) async throws -> [DeliveryStatus] {
        try await database.read { db in
            try await db.raw(
                "SELECT * FROM outbox WHERE lead_number = \(bind: leadNumber) ORDER BY channel"
            ).all().map(DeliveryStatus.init(row:))
        }
    }

    /// The newest leads with their deliveries.
    public func recentLeads(limit: Int, offset: Int = 0) async throws -> [(lead: Lead, deliveries: [DeliveryStatus])] {
        try await database.read { db in
            let leads = try await db.raw(
                "SELECT * FROM leads ORDER BY number DESC LIMIT \(bind: limit) OFFSET \(bind: offset)"
            ).all().map(LeadStore.decodeLead)
            guard let lowest = leads.last?.number, let highest = leads.first?.number else { return [] }
            let statuses = try await db.raw(
                "SELECT * FROM outbox WHERE lead_number BETWEEN \(bind: lowest) AND \(bind: highest) ORDER BY channel"
            ).all().map(DeliveryStatus.init(row:))
            let grouped = Dictionary(grouping: statuses, by: \.leadNumber)
            return leads.map { ($0, grouped[$0.number] ?? []) }
        }
    }

    /// Whether the database answers (the public readiness check: no counting).
    public func ping() async throws {
        _ = try await database.read { db in try await db.raw("SELECT 1 AS one").all() }
    }

    /// Rows per state and channel (metrics, readiness).
    public func outboxCounts() async throws -> [DeliveryChannel: [OutboxState: Int]] {
        try await database.read { db in
            let rows = try await db.raw("SELECT channel, state, COUNT(*) AS n FROM outbox GROUP BY channel, state").all()
            var counts: [DeliveryChannel: [OutboxState: Int]] = [:]
            for row in rows {
                guard let state = OutboxState(rawValue: try row.decode(column: "state", as: String.self)) else { continue }
                counts[try DeliveryChannel.decode(row), default: [:]][state] = try row.decode(column: "n", as: Int.self)
            }
            return counts
        }
    }

    /// Since when the longest-waiting delivery of each channel has waited: since its lead came,
    /// or since an admin retried it (channels with none waiting are absent).
    public func oldestPending() async throws -> [DeliveryChannel: Date] {
        try await database.read { db in
            let rows = try await db.raw(
                """
                SELECT o.channel AS channel, MIN(COALESCE(o.pending_since, l.created_at)) AS oldest FROM outbox o
                JOIN leads l ON l.number = o.lead_number WHERE o.state = 'pending' GROUP BY o.channel
                """
            ).all()
            var oldest: [DeliveryChannel: Date] = [:]
            for row in rows {
                oldest[try DeliveryChannel.decode(row)] = Date(milliseconds: try row.decode(column: "oldest", as: Int64.self))
            }
            return oldest
        }
    }
}

/// One channel's delivery state of a lead.
public struct DeliveryStatus: Sendable, Equatable {
    public var leadNumber: Int
    public var channel: DeliveryChannel
    public var state: OutboxState
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var externalID: String?
    public var updatedAt: Date

    init(row: any SQLRow) throws {
        leadNumber = try row.decode(column: "lead_number", as: Int.self)
        channel = try DeliveryChannel.decode(row)
        state = OutboxState(rawValue: try row.decode(column: "state", as: String.self)) ?? .pending
        attempts = try row.decode(column: "attempts", as: Int.self)
        nextAttemptAt = Date(milliseconds: try row.decode(column: "next_attempt_at", as: Int64.self))
        lastError = try row.decodeNil(column: "last_error") ? nil : try row.decode(column: "last_error", as: String.self)
        externalID = try row.decodeNil(column: "external_id") ? nil : try row.decode(column: "external_id", as: String.self)
        updatedAt = Date(milliseconds: try row.decode(column: "updated_at", as: Int64.self))
    }
}

extension DeliveryChannel {
    struct Unknown: Error, CustomStringConvertible {
        var name: String
        var description: String { "unknown outbox channel '\(name)'" }
    }

    /// The `channel` column of an outbox row.
    static func decode(_ row: any SQLRow) throws -> DeliveryChannel {
        let name = try row.decode(column: "channel", as: String.self)
        guard let channel = DeliveryChannel(rawValue: name) else { throw Unknown(name: name) }
        return channel
    }
}

/// One try at delivering a lead, or an admin's action on its delivery.
public struct DeliveryAttempt: Sendable, Equatable {
    public var channel: DeliveryChannel
    public var at: Date
    /// `delivered`, `failed`, `dead` (failed, the last attempt), `rejected`, `unavailable`
    /// (the service was down: no attempt spent), `admin_retry`, `admin_cancel`.
    public var outcome: String
    /// The error, or the receiver's id on delivery.
    public var detail: String?
}
