import ServiceLifecycle

/// Closes the database when the application shuts down. Listed first in the service group,
/// it stops last: after the server and the workers that use the database.
public struct DatabaseService: Service {
    let database: any Database

    public init(database: any Database) {
        self.database = database
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await database.close()
    }
}
