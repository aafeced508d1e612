import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Runs a Hummingbird router on 127.0.0.1 with a free port for the duration of `body`.
public enum LoopbackServer {
    public static func run<Value: Sendable>(
        _ router: Router<BasicRequestContext>, label: String,
        _ body: @Sendable (_ baseURL: String) async throws -> Value
    ) async throws -> Value {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: label),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            let services = ServiceGroup(
                configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
            group.addTask { try await services.run() }
            var iterator = portStream.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else {
                await services.triggerGracefulShutdown()
                throw CancellationError()
            }
            do {
                let value = try await body("http://127.0.0.1:\(port)")
                await services.triggerGracefulShutdown()
                return value
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
        }
    }
}
