import Basics
import Foundation

/// A real SMTP server (Python aiosmtpd, `smtp_server.py`) with its own CA, implicit TLS or
/// STARTTLS, and AUTH; received messages land as files in `maildir`.
public final class SMTPTestServer: @unchecked Sendable {
    public let port: Int
    public let maildir: URL
    public let caFile: String
    /// The CA and server certificate, for a server started again in this one's place.
    public let certificateDirectory: URL
    public let user = "orders@example.ru"
    public let password: String
    private let process: Process
    private let input: Pipe
    private let directory: URL

    public enum Mode: String { case ssl, starttls }

    /// - Parameters:
    ///   - certificates: another server's certificate folder (`certificateDirectory`), so that a
    ///     server started again on its port is trusted with the same CA file.
    ///   - refuse: how many messages to refuse with 554 after their content (one message's fault).
    public init(mode: Mode = .ssl, port: Int = 0, password: String = "secret", certificates: URL? = nil, refuse: Int = 0) throws {
        self.password = password
        guard let script = Bundle.module.path(forResource: "smtp_server", ofType: "py") else {
            throw CocoaError(.fileNoSuchFile)
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID().uuidString)")
        maildir = directory.appendingPathComponent("mail")
        certificateDirectory = certificates ?? directory.appendingPathComponent("certs")
        caFile = certificateDirectory.appendingPathComponent("ca.pem").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", script, "--maildir", maildir.path, "--cert-dir", certificateDirectory.path,
            "--mode", mode.rawValue, "--port", String(port), "--password", password, "--refuse", String(refuse),
        ]
        input = Pipe()
        // The server stops when its standard input closes: no other child of this process
        // (PostgreSQL, the real binary, another SMTP server) may inherit the write end and
        // keep it open. (It did, and `stop()` then waited for ever on a cooperative thread.)
        _ = fcntl(input.fileHandleForWriting.fileDescriptor, F_SETFD, FD_CLOEXEC)
        let output = Pipe()
        _ = fcntl(output.fileHandleForReading.fileDescriptor, F_SETFD, FD_CLOEXEC)
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        // The first line is "READY <port>".
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("READY "), let number = Int(text.dropFirst(6).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "smtp_server.py did not start: \(text)"])
        }
        self.port = number
    }

    /// Stops the server (it exits when its standard input closes).
    public func stop() {
        try? input.fileHandleForWriting.close()
        // Bounded: if the server does not go on its own within 5 s, it is terminated.
        for _ in 0..<500 where process.isRunning { usleep(10_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// The messages received so far, raw.
    public func messages() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(at: maildir, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "eml" }.sorted { $0.path < $1.path }.compactMap {
            try? String(contentsOf: $0, encoding: .utf8)
        }
    }

    /// Waits until `count` messages arrived (or the time is up).
    public func waitForMessages(_ count: Int, timeout: Duration = .seconds(10)) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let received = messages()
            if received.count >= count { return received }
            try await Task.sleep(for: .milliseconds(50))
        }
        return messages()
    }

    deinit {
        if process.isRunning {
            try? input.fileHandleForWriting.close()
            process.terminate()
        }
    }
}
