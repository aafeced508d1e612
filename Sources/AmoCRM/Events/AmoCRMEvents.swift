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

/// amoCRM events, stored durably the moment they arrive (the webhook answers only after the
/// commit), for a background worker to act on.
public struct AmoCRMEvents: Sendable {
    let database: any Database
    let clock: any WallClock

    public init(database: any Database, clock: any WallClock) {
        self.database = database
        self.clock = clock
    }

    /// Records the events in one transaction.
    public func record(_ events: [StatusEvent]) async throws {
        guard !events.isEmpty else { return }
        let nowMS = clock.now().milliseconds
        try await database.transaction { db in
            for event in events {
                try await db.raw(
                    """
                    INSERT INTO amocrm_events (lead_id, status_id, pipeline_id, old_status_id, received_at)
                    VALUES (\(bind: event.leadID), \(bind: event.statusID), \(bind: event.pipelineID), \(bind: event.oldStatusID), \(bind: nowMS))
                    """
                ).run()
            }
        }
    }

    /// How many events wait to be worked through (metrics).
    public func pendingCount() async throws -> Int {
        try await database.transaction { db in
            try await db.raw("SELECT COUNT(*) AS n FROM amocrm_events WHERE processed_at IS NULL").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }
}
