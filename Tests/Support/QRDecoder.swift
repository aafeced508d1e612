import Foundation

/// Reads a QR code back as a phone would: the SVG rendered to PNG by `rsvg-convert`
/// (librsvg2-bin), the PNG read by `zbarimg` (zbar-tools); both installed by the test setup.
public enum QRDecoder {
    public static func decode(svg: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let svgFile = directory.appendingPathComponent("code.svg")
        let pngFile = directory.appendingPathComponent("code.png")
        try svg.write(to: svgFile, atomically: true, encoding: .utf8)
        _ = try run("/usr/bin/rsvg-convert", ["--width", "400", "--background-color", "white", "-o", pngFile.path, svgFile.path])
        return try run("/usr/bin/zbarimg", ["--quiet", "--raw", pngFile.path]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ToolFailed(tool: tool, status: process.terminationStatus) }
        return String(decoding: data, as: UTF8.self)
    }

    struct ToolFailed: Error {
        var tool: String
        var status: Int32
    }
}
