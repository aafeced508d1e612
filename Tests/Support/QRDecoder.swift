import Foundation

/// Reads a QR code back as a phone would: the SVG rendered to PNG by `rsvg-convert`
/// (librsvg2-bin), the PNG read by `zbarimg` (zbar-tools); both installed by the test setup.
public enum QRDecoder {
    public static func decode(svg: String) async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let svgFile = directory.appendingPathComponent("code.svg")
        let pngFile = directory.appendingPathComponent("code.png")
        try svg.write(to: svgFile, atomically: true, encoding: .utf8)
        _ = try await ExternalTool.run("/usr/bin/rsvg-convert", ["--width", "400", "--background-color", "white", "-o", pngFile.path, svgFile.path])
        return try await ExternalTool.run("/usr/bin/zbarimg", ["--quiet", "--raw", pngFile.path])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Runs a program to its end without holding a thread of Swift's cooperative pool (a test
/// blocked in `waitUntilExit` starves the server it is talking to on a 2-core machine), and
/// kills it when it takes longer than `timeout` (whole seconds).
public enum ExternalTool {
    public struct Failed: Error, CustomStringConvertible {
        public var tool: String
        public var status: Int32
        /// What it wrote to standard output.
        public var output: String
        public var description: String { "\(tool) exited with \(status)" + (output.isEmpty ? "" : ":\n\(output)") }
    }

    /// The program's standard output, if it exits with 0.
    public static func run(_ tool: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        let process = Process()
        // coreutils' `timeout` ends the program when it takes too long: no timer in the test.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["--signal=KILL", String(timeout.components.seconds), tool] + arguments
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        let text = String(decoding: try Data(contentsOf: output), as: UTF8.self)
        guard status == 0 else { throw Failed(tool: tool, status: status, output: text) }
        return text
    }
}
