import SQLKit

/// Small named values kept in the database (`settings`), shared by all instances.
public enum Settings {
    /// The value of `key`; if there is none yet, stores `make()` first. Concurrent first
    /// calls (several instances starting) agree on one value.
    public static func value(_ key: String, in database: any Database, orCreate make: @Sendable () -> String) async throws -> String {
        try await database.transaction { db in
            if let row = try await db.raw("SELECT value FROM settings WHERE key = \(bind: key)").first() {
                return try row.decode(column: "value", as: String.self)
            }
            let value = make()
            try await db.raw("INSERT INTO settings (key, value) VALUES (\(bind: key), \(bind: value))").run()
            return value
        }
    }
}
