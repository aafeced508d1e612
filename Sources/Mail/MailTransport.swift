import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a message was not sent. Messages never contain the SMTP password.
public enum MailError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No message can go now, whichever it is: the server is unreachable, TLS or login fails,
    /// it answers 4xx, or it refuses the sender or the recipients (every lead goes to the
    /// same `MAIL_TO`), or the mail folder cannot be written.
    case unavailable(String)
    /// This message was refused after its content was sent (552, 554): the next may go.
    case refused(String)

    public var description: String {
        switch self {
        case .unavailable(let reason): "mail service unavailable: \(reason)"
        case .refused(let reason): "message refused: \(reason)"
        }
    }
}

/// Sends a rendered message to its recipients.
public protocol MailTransport: Sendable {
    func send(_ message: MailMessage) async throws(MailError)
}

/// Writes each message as an `.eml` file (the default when `SMTP_HOST` is unset).
///
/// Written to a temporary name and renamed, so a reader never sees half a message; the
/// name comes from the Message-ID, so re-sending one message replaces its file.
public struct FileMailTransport: MailTransport {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public func send(_ message: MailMessage) async throws(MailError) {
        let bytes = MIMEWriter.render(message)
        let name = message.messageID.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" }
        let folder = URL(fileURLWithPath: directory)
        let target = folder.appendingPathComponent(String(name) + ".eml")
        let temporary = folder.appendingPathComponent(".\(String(name)).\(UUID().uuidString).tmp")
        do {
            try await BlockingIO.run {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try Data(bytes).write(to: temporary)
                // rename(2) replaces an existing file atomically.
                guard rename(temporary.path, target.path) == 0 else {
                    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path])
                }
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw .unavailable("cannot write \(target.path): \(error.localizedDescription)")
        }
    }
}
