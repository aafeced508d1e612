import NIOCore
import NIOPosix

/// A loopback TCP server that accepts connections and never says a word: a service that hangs
/// (HTTP waits for a head, SMTP for its greeting, TLS for the handshake).
public enum SilentServer {
    public static func run<Value: Sendable>(_ body: @Sendable (_ port: Int) async throws -> Value) async throws -> Value {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = server.localAddress?.port ?? 0
        do {
            let value = try await body(port)
            try? await server.close()
            return value
        } catch {
            try? await server.close()
            throw error
        }
    }
}
