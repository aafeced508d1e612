import NIOPosix

/// Runs blocking work (file I/O, libcurl) on NIO's thread pool, never on an event loop or
/// the cooperative pool.
enum BlockingIO {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(work)
    }
}
