import Basics
import Foundation
import SQLKit
import Storage

/// A lead's move between statuses, as amoCRM's webhook reports it
/// (`leads[status][N][id]`, `[status_id]`, `[pipeline_id]`, `[old_status_id]`).
public struct StatusEvent: Sendable, Equatable {
    public var leadID: Int
    public var statusID: Int
    public var pipelineID: Int?
    public var oldStatusID: Int?

    /// amoCRM's fixed status of a won deal (and 143 of a lost one).
    public static let won = 142

    public init(leadID: Int, statusID: Int, pipelineID: Int? = nil, oldStatusID: Int? = nil) {
        self.leadID = leadID
        self.statusID = statusID
        self.pipelineID = pipelineID
        self.oldStatusID = oldStatusID
    }
}

/// What one webhook body says: whose account it is from, and its status events.
public struct AmoCRMWebhookBody: Sendable, Equatable {
    /// `account[subdomain]`, lowercased; nil when the body has none.
    public var subdomain: String?
    public var events: [StatusEvent]

    /// Most events read from one body (amoCRM sends a few; the body is at most 64 KiB).
    public static let maxEvents = 500

    /// Reads amoCRM's form-encoded body, already split into fields. Entries that are not
    /// status events (`leads[add]`, `contacts[…]`) and events without a lead or status id are
    /// left out; ids are positive 32-bit numbers or the event is dropped.
    public init(fields: [String: String]) {
        subdomain = fields["account[subdomain]"].map { $0.lowercased() }
        var events: [StatusEvent] = []
        for index in 0..<Self.maxEvents {
            let prefix = "leads[status][\(index)]"
            guard fields[prefix + "[id]"] != nil || fields[prefix + "[status_id]"] != nil else { break }
            guard let lead = Self.id(fields[prefix + "[id]"]), let status = Self.id(fields[prefix + "[status_id]"]) else { continue }
            events.append(
                StatusEvent(
                    leadID: lead, statusID: status, pipelineID: Self.id(fields[prefix + "[pipeline_id]"]),
                    oldStatusID: Self.id(fields[prefix + "[old_status_id]"])))
        }
        self.events = events
    }

    static func id(_ text: String?) -> Int? {
        guard let text, !text.isEmpty, text.count <= 10, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text),
            (1...Int(Int32.max)).contains(value)
        else { return nil }
        return value
    }
}

/// amoCRM's won events, stored durably the moment they arrive (the webhook answers only
/// after the commit), for a background worker to act on.
///
/// Only what the worker acts on is kept, and once: a deal reported won gets one waiting row
/// (a unique index over the waiting rows; repeats and later events of the deal add nothing
/// until it is handled), other statuses are not stored, and at most `maxPending` rows wait.
/// Whoever holds the webhook's token can therefore cost at most one amoCRM read per deal,
/// and never fill the disk.
public struct AmoCRMEvents: Sendable {
    /// Waiting rows at most, by default; beyond them the webhook answers 503 and amoCRM sends
    /// again later.
    public static let maxPending = 10_000

    public enum Full: Error { case full }

    let database: any Database
    let clock: any WallClock
    let maxPending: Int

    public init(database: any Database, clock: any WallClock, maxPending: Int = AmoCRMEvents.maxPending) {
        self.database = database
        self.clock = clock
        self.maxPending = maxPending
    }

    /// Records the won events in one transaction; the number of deals newly waiting.
    @discardableResult
    public func record(_ events: [StatusEvent]) async throws -> Int {
        var won: [Int] = []
        for event in events where event.statusID == StatusEvent.won && !won.contains(event.leadID) {
            won.append(event.leadID)
        }
        let deals = won
        guard !deals.isEmpty else { return 0 }
        let nowMS = clock.now().milliseconds
        let byDeal = Dictionary(
            events.filter { $0.statusID == StatusEvent.won }.map { ($0.leadID, $0) }, uniquingKeysWith: { first, _ in first })
        return try await database.transaction { db in
            let before = try await Self.waiting(db)
            for deal in deals {
                let event = byDeal[deal]
                // A deal already waiting gains a report instead of a row (see migration 14).
                try await db.raw(
                    """
                    INSERT INTO amocrm_events (lead_id, status_id, pipeline_id, old_status_id, received_at)
                    VALUES (\(bind: deal), \(bind: StatusEvent.won), \(bind: event?.pipelineID), \(bind: event?.oldStatusID), \(bind: nowMS))
                    ON CONFLICT (lead_id) WHERE processed_at IS NULL DO UPDATE SET reports = amocrm_events.reports + 1
                    """
                ).run()
            }
            let stored = try await Self.waiting(db) - before
            // Deals already waiting cost nothing; new ones beyond the cap undo the whole body.
            guard before + stored <= maxPending else { throw Full.full }
            return stored
        }
    }

    /// How many events wait to be worked through (metrics).
    public func pendingCount() async throws -> Int {
        try await database.transaction { db in try await Self.waiting(db) }
    }

    static func waiting(_ db: any SQLDatabase) async throws -> Int {
        try await db.raw("SELECT COUNT(*) AS n FROM amocrm_events WHERE processed_at IS NULL").first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Deletes events handled before `date` (they are no use once their deal is settled).
    @discardableResult
    public func prune(handledBefore date: Date) async throws -> Int {
        try await database.transaction { db in
            try await db.raw(
                "DELETE FROM amocrm_events WHERE processed_at IS NOT NULL AND processed_at < \(bind: date.milliseconds) RETURNING id"
            ).all().count
        }
    }
}
