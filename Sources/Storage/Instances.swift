import Basics
import Foundation
import Logging
import SQLKit
import ServiceLifecycle

/// The instances of a deployment on one database. Each has an id that survives its restarts
/// (`INSTANCE_ID`, or host name and port), and heartbeats; work leased by an instance whose
/// heartbeat went stale is taken over at once instead of when the lease runs out.
public struct Instances: Sendable {
    /// A heartbeat this often…
    public static let heartbeatInterval: Duration = .seconds(5)
    /// …and an instance silent for this long is dead.
    public static let staleAfter: Duration = .seconds(15)

    let database: any Database
    let clock: any WallClock

    public init(database: any Database, clock: any WallClock) {
        self.database = database
        self.clock = clock
    }

    /// Registers or refreshes `id`.
    public func heartbeat(_ id: String) async throws {
        let now = clock.now().milliseconds
        try await database.transaction { db in
            try await db.raw(
                """
                INSERT INTO instances (id, started_at, heartbeat_at) VALUES (\(bind: id), \(bind: now), \(bind: now))
                ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
                """
            ).run()
        }
    }

    /// Takes `role` (`amocrm`: the one instance that talks to amoCRM) for `id` until `duration`
    /// from now, if it is free, expired, or already `id`'s. True when `id` holds it.
    public func hold(_ role: String, for id: String, duration: Duration) async throws -> Bool {
        let now = clock.now().milliseconds
        let until = now + duration.milliseconds
        return try await database.transaction { db in
            let rows = try await db.raw(
                """
                INSERT INTO roles (name, holder, expires_at) VALUES (\(bind: role), \(bind: id), \(bind: until))
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                WHERE roles.holder = excluded.holder OR roles.expires_at < \(bind: now)
                RETURNING holder
                """
            ).all()
            return !rows.isEmpty
        }
    }

    /// `id` stops: the roles it holds are free at once and its heartbeat is gone, so another
    /// instance takes over now rather than when the leases run out.
    public func leave(_ id: String) async throws {
        try await database.transaction { db in
            try await db.raw("DELETE FROM roles WHERE holder = \(bind: id)").run()
            try await db.raw("DELETE FROM instances WHERE id = \(bind: id)").run()
        }
    }

    /// Who holds `role` now, if anyone.
    public func holder(of role: String) async throws -> String? {
        let now = clock.now().milliseconds
        return try await database.read { db in
            try await db.raw("SELECT holder FROM roles WHERE name = \(bind: role) AND expires_at >= \(bind: now)").first()?
                .decode(column: "holder", as: String.self)
        }
    }
}

/// Keeps this instance's heartbeat going while it runs; on a graceful stop (SIGTERM) it gives
/// back what the instance holds. The application registers it before its workers, so it stops
/// after them: by then no delivery is in flight, and `onStop` (the outbox leases) and the roles
/// can go without another instance sending anything twice.
public struct InstanceHeartbeat: Service {
    let instances: Instances
    let id: String
    let onStop: @Sendable () async -> Void
    let logger: Logger

    public init(instances: Instances, id: String, logger: Logger, onStop: @escaping @Sendable () async -> Void = {}) {
        self.instances = instances
        self.id = id
        self.onStop = onStop
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await instances.heartbeat(id)
            } catch {
                logger.warning("instance heartbeat failed", metadata: ["instance": "\(id)", "error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { [instances] in try await instances.clock.sleep(for: Instances.heartbeatInterval) }
        }
        guard Task.isShuttingDownGracefully else { return }
        await onStop()
        do {
            try await instances.leave(id)
            logger.notice("instance stopped: its roles and leases are free", metadata: ["instance": "\(id)"])
        } catch {
            logger.warning("instance could not give back its roles", metadata: ["instance": "\(id)", "error": "\(error)"])
        }
    }
}
