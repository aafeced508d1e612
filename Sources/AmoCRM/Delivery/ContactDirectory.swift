import Basics
import Foundation
import SQLKit
import Storage

/// Customers already known in amoCRM: `phone:+7…` / `email:…` → contact id.
public struct ContactDirectory: Sendable {
    let database: any Database
    let clock: any WallClock

    public init(database: any Database, clock: any WallClock = SystemClock()) {
        self.database = database
        self.clock = clock
    }

    public static func keys(phone: String?, email: String?) -> [String] {
        [phone.map { "phone:" + $0 }, email.map { "email:" + $0.lowercased() }].compactMap { $0 }
    }

    public func contactID(phone: String?, email: String?) async throws -> Int? {
        let keys = Self.keys(phone: phone, email: email)
        guard !keys.isEmpty else { return nil }
        return try await database.read { db in
            for key in keys {
                if let row = try await db.raw("SELECT contact_id FROM amocrm_contacts WHERE key = \(bind: key)").first() {
                    return try row.decode(column: "contact_id", as: Int.self)
                }
            }
            return nil
        }
    }

    public func remember(_ contactID: Int, phone: String?, email: String?) async throws {
        let keys = Self.keys(phone: phone, email: email)
        guard !keys.isEmpty else { return }
        let now = clock.now().milliseconds
        try await database.transaction { db in
            for key in keys {
                try await db.raw(
                    """
                    INSERT INTO amocrm_contacts (key, contact_id, updated_at) VALUES (\(bind: key), \(bind: contactID), \(bind: now))
                    ON CONFLICT (key) DO UPDATE SET contact_id = excluded.contact_id, updated_at = excluded.updated_at
                    """
                ).run()
            }
        }
    }
}
