import Logging
import ServiceLifecycle
import Storage

/// Erases the personal data of leads past `LEAD_RETENTION_DAYS`, at start and every hour after
/// (a service of the application). Every instance may run it: each erasure is one transaction
/// over rows not erased yet, so two instances at once do the work once.
public struct RetentionWorker: Service {
    let eraser: PersonalDataEraser
    let days: Int
    let interval: Duration
    let logger: Logger

    public init(eraser: PersonalDataEraser, days: Int, interval: Duration = .seconds(3_600), logger: Logger) {
        self.eraser = eraser
        self.days = days
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let clock = eraser.clock
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await eraser.eraseExpired(days: days)
            } catch {
                logger.error("personal data retention failed; it is tried again in an hour", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await clock.sleep(for: interval) }
        }
    }
}
