import Basics
import AsyncHTTPClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The real `catalog-bff` binary, started as its own process (crash and restart tests).
public final class ServerProcess: @unchecked Sendable {
    public let port: Int
    public let process: Process
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// `.build/<triple>/debug/catalog-bff`, next to the test bundle (`make test` builds it).
    public static func binary() throws -> URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [bundle.appendingPathComponent("catalog-bff"), bundle.deletingLastPathComponent().appendingPathComponent("catalog-bff")]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw CocoaError(
                .fileNoSuchFile,
                userInfo: [NSLocalizedDescriptionKey: "catalog-bff is not built next to \(bundle.path): run `swift build` (make test does)"])
        }
        return found
    }

    /// - Parameters:
    ///   - log: where the server's output goes (kept for a failing test to show).
    ///   - executable: another copy of the binary (an installed one); `workingDirectory`: where
    ///     it runs (by default the test's, the repository).
    public init(
        port: Int, environment: [String: String], log: URL? = nil, executable: URL? = nil, workingDirectory: URL? = nil
    ) throws {
        self.port = port
        process = Process()
        process.executableURL = try executable ?? Self.binary()
        process.arguments = ["serve"]
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        var env = ProcessInfo.processInfo.environment
        env["HOST"] = "127.0.0.1"
        env["PORT"] = String(port)
        env.merge(environment) { _, given in given }
        process.environment = env
        if let log {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            handle.seekToEndOfFile()
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
    }

    /// Waits until the port accepts connections and `/healthz` answers. The port is probed
    /// with a plain socket first: an HTTP client that saw "connection refused" backs off for
    /// seconds before it tries that host again.
    public func waitUntilReady(timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "catalog-bff exited"]) }
            if acceptsConnections(port),
                let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + "/healthz"), timeout: .seconds(2)),
                response.status == .ok
            {
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "catalog-bff did not become ready"])
    }

    func acceptsConnections(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        return connectLoopback(fd, port: port)
    }

    public func kill(_ signal: Int32) {
        Glibc.kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }
}

/// Connects socket `fd` to 127.0.0.1:`port`.
func connectLoopback(_ fd: Int32, port: Int) -> Bool {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    return result == 0
}

/// A free TCP port on 127.0.0.1 (bound and released at once).
public func freeLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Sends `request` bytes as they are over one TCP connection to 127.0.0.1:`port` and
/// returns everything the server answers until it closes the connection (pipelining
/// tests: the last request should say `Connection: close`). Blocking, with a 10 s limit.
public func rawHTTPExchange(port: Int, _ request: String) throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    guard connectLoopback(fd, port: port) else { throw POSIXError(.ECONNREFUSED) }
    let bytes = Array(request.utf8)
    var sent = 0
    while sent < bytes.count {
        let written = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard written > 0 else { throw POSIXError(.EPIPE) }
        sent += written
    }
    var answer: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { break }
        answer += buffer[0..<count]
    }
    return String(decoding: answer, as: UTF8.self)
}
