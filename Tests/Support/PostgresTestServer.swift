import Foundation
import Storage

/// The engines the storage code runs on; tests that touch the database run on both.
public enum DatabaseEngine: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres

    public var description: String { rawValue }

    /// A new, empty database of this engine.
    public func freshDatabase() async throws -> DatabaseLocation {
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("db-\(UUID().uuidString)/test.sqlite").path
            return .sqlite(path: path)
        case .postgres:
            return .postgres(url: try await PostgresTestServer.shared.createDatabase())
        }
    }
}

/// One real PostgreSQL server for the whole test run (`postgres_server.sh`): started on first
/// use on a free loopback port, stopped by its script when the test process ends. Each test
/// gets its own database.
public actor PostgresTestServer {
    public static let shared = PostgresTestServer()

    private var port: Int?
    private var counter = 0

    /// `postgres://postgres@127.0.0.1:PORT/NAME` of a new database.
    public func createDatabase() async throws -> String {
        let port = try await start()
        counter += 1
        let name = "t\(ProcessInfo.processInfo.processIdentifier)_\(counter)_\(UUID().uuidString.prefix(8).lowercased())"
        try Self.run("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", "-q", "-c", "CREATE DATABASE \(name)"])
        return "postgres://postgres@127.0.0.1:\(port)/\(name)?sslmode=disable"
    }

    private func start() async throws -> Int {
        if let port { return port }
        guard let script = Bundle.module.url(forResource: "postgres_server", withExtension: "sh") else {
            throw ServerFailure(message: "postgres_server.sh is missing from the test bundle")
        }
        let port = freeLoopbackPort()
        let directory = "/tmp/cbff-pg-\(UUID().uuidString.prefix(8))"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [script.path, String(ProcessInfo.processInfo.processIdentifier), String(port), directory]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // The script prints READY (or FAILED and the server's log) and keeps running.
        let handle = output.fileHandleForReading
        var text = ""
        while !text.contains("READY") {
            let chunk = handle.availableData
            if chunk.isEmpty || text.contains("FAILED") {
                throw ServerFailure(message: "PostgreSQL did not start: \(text)")
            }
            text += String(decoding: chunk, as: UTF8.self)
        }
        self.port = port
        return port
    }

    static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw ServerFailure(message: "\(tool) failed: \(message)")
        }
    }

    public struct ServerFailure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}
