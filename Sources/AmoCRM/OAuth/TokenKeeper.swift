import Logging
import ServiceLifecycle

/// Keeps the amoCRM connection alive when no leads come in: an unused refresh token dies
/// after three months, so the pair is looked at hourly and refreshed once it is a day old.
public struct TokenKeeper: Service {
    let tokens: TokenManager
    let interval: Duration
    let logger: Logger

    public init(tokens: TokenManager, interval: Duration = .seconds(3600), logger: Logger) {
        self.tokens = tokens
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled {
            if await tokens.problem() == nil {
                do {
                    _ = try await tokens.accessToken()
                } catch {
                    logger.warning("amoCRM token check failed", metadata: ["error": "\(error)"])
                }
            }
            // Sleeps until the next check or the end of the service.
            try? await cancelWhenGracefulShutdown { [tokens, interval] in try await tokens.clock.sleep(for: interval) }
            if Task.isShuttingDownGracefully { return }
        }
    }
}
