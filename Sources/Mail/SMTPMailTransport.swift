import CCurl
import Foundation

/// Sends mail over SMTP with libcurl: implicit TLS (`ssl`, port 465), STARTTLS
/// (`starttls`, 587) or plain (`none`, 25), with AUTH when a user is set.
///
/// libcurl's easy interface blocks, so each message is sent on NIO's thread pool.
public struct SMTPMailTransport: MailTransport {
    public enum Security: String, Sendable, CaseIterable {
        case ssl, starttls, none

        public var defaultPort: Int {
            switch self {
            case .ssl: 465
            case .starttls: 587
            case .none: 25
            }
        }
    }

    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var security: Security
        public var user: String?
        public var password: String?
        /// A PEM bundle to verify the server with instead of the system CAs (tests).
        public var caFile: String?
        public var connectTimeout: Duration
        public var timeout: Duration

        public init(
            host: String, port: Int? = nil, security: Security = .ssl, user: String? = nil, password: String? = nil,
            caFile: String? = nil, connectTimeout: Duration = .seconds(10), timeout: Duration = .seconds(60)
        ) {
            self.host = host
            self.port = port ?? security.defaultPort
            self.security = security
            self.user = user
            self.password = password
            self.caFile = caFile
            self.connectTimeout = connectTimeout
            self.timeout = timeout
        }
    }

    public let configuration: Configuration

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init(configuration: Configuration) {
        _ = Self.globalInit
        self.configuration = configuration
    }

    public func send(_ message: MailMessage) async throws(MailError) {
        let payload = MIMEWriter.render(message)
        let configuration = configuration
        let result: Result<Void, MailError>
        do {
            result = try await BlockingIO.run { Self.perform(configuration, from: message.from.address, to: message.to.map(\.address), payload: payload) }
        } catch {
            throw .unavailable("the mail thread pool is not running")
        }
        try result.get()
    }

    /// The message bytes and how far libcurl has read them.
    private final class Upload {
        let bytes: [UInt8]
        var offset = 0

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }
    }

    private static func perform(_ configuration: Configuration, from: String, to: [String], payload: [UInt8]) -> Result<Void, MailError> {
        guard let handle = curl_easy_init() else { return .failure(.unavailable("libcurl could not start")) }
        defer { curl_easy_cleanup(handle) }

        var recipients: UnsafeMutablePointer<curl_slist>?
        for address in to { recipients = curl_slist_append(recipients, "<\(address)>") }
        defer { curl_slist_free_all(recipients) }

        let upload = Upload(payload)
        let context = Unmanaged.passRetained(upload)
        defer { context.release() }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            connect(handle, configuration, errorBuffer: errorPointer.baseAddress)
            _ = cbff_curl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(from)>")
            _ = cbff_curl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients)
            _ = cbff_curl_setopt_long(handle, CURLOPT_UPLOAD, 1)
            _ = cbff_curl_setopt_long(handle, CURLOPT_INFILESIZE, Int(payload.count))
            _ = cbff_curl_setopt_read_function(handle) { buffer, size, count, context in
                guard let buffer, let context else { return 0 }
                let upload = Unmanaged<Upload>.fromOpaque(context).takeUnretainedValue()
                let room = size * count
                let remaining = upload.bytes.count - upload.offset
                let length = min(room, remaining)
                guard length > 0 else { return 0 }
                upload.bytes.withUnsafeBufferPointer { source in
                    UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + upload.offset, byteCount: length)
                }
                upload.offset += length
                return length
            }
            _ = cbff_curl_setopt_pointer(handle, CURLOPT_READDATA, context.toOpaque())
            return curl_easy_perform(handle)
        }
        guard code != CURLE_OK else { return .success(()) }

        let reply = cbff_curl_response_code(handle)
        let detail = describe(code, reply: reply, errorBuffer: errorBuffer, configuration)
        // Only a 5xx that came after the message's content was read out is about this message
        // (552, 554 at the end of DATA). Everything before – connecting, TLS, AUTH, MAIL FROM,
        // RCPT TO – and every 4xx would fail any message the same way.
        let contentSent = upload.offset > 0
        if contentSent, (500..<600).contains(reply) { return .failure(.refused(detail)) }
        return .failure(.unavailable(detail))
    }

    /// Connects, says EHLO, secures the connection as configured (the certificate verified),
    /// logs in, and says NOOP: a check that the settings work, sending nothing. The reply
    /// code libcurl saw last comes with a failure (535: the login was refused).
    public func verify() async -> Result<Void, SMTPVerifyFailure> {
        let configuration = configuration
        do {
            return try await BlockingIO.run { Self.noop(configuration) }
        } catch {
            return .failure(SMTPVerifyFailure(code: -1, reply: 0, detail: "the mail thread pool is not running"))
        }
    }

    private static func noop(_ configuration: Configuration) -> Result<Void, SMTPVerifyFailure> {
        guard let handle = curl_easy_init() else { return .failure(SMTPVerifyFailure(code: -1, reply: 0, detail: "libcurl could not start")) }
        defer { curl_easy_cleanup(handle) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            connect(handle, configuration, errorBuffer: errorPointer.baseAddress)
            // libcurl's way to send NOOP: a custom command with no body expected.
            _ = cbff_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, "NOOP")
            _ = cbff_curl_setopt_long(handle, CURLOPT_NOBODY, 1)
            return curl_easy_perform(handle)
        }
        guard code != CURLE_OK else { return .success(()) }
        let reply = cbff_curl_response_code(handle)
        return .failure(
            SMTPVerifyFailure(code: Int(code.rawValue), reply: reply, detail: describe(code, reply: reply, errorBuffer: errorBuffer, configuration)))
    }

    /// The options every SMTP session here shares: the server, TLS with verification, the login.
    private static func connect(_ handle: UnsafeMutableRawPointer, _ configuration: Configuration, errorBuffer: UnsafeMutablePointer<CChar>?) {
        let scheme = configuration.security == .ssl ? "smtps" : "smtp"
        // The EHLO name; libcurl sends it as given in the URL path.
        let url = "\(scheme)://\(configuration.host):\(configuration.port)/catalog-bff"
        _ = cbff_curl_setopt_string(handle, CURLOPT_URL, url)
        _ = cbff_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = cbff_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = cbff_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(configuration.connectTimeout.components.seconds * 1000))
        _ = cbff_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(configuration.timeout.components.seconds * 1000))
        switch configuration.security {
        case .ssl, .starttls:
            _ = cbff_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
            _ = cbff_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
            _ = cbff_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
            if let caFile = configuration.caFile { _ = cbff_curl_setopt_string(handle, CURLOPT_CAINFO, caFile) }
        case .none:
            _ = cbff_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_NONE.rawValue))
        }
        if let user = configuration.user {
            _ = cbff_curl_setopt_string(handle, CURLOPT_USERNAME, user)
            _ = cbff_curl_setopt_string(handle, CURLOPT_PASSWORD, configuration.password ?? "")
        }
    }

    /// libcurl's error, its detail and the last SMTP reply, the password masked.
    private static func describe(_ code: CURLcode, reply: Int, errorBuffer: [CChar], _ configuration: Configuration) -> String {
        var detail = String(cString: curl_easy_strerror(code))
        let extra = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        if !extra.isEmpty { detail += ": " + extra }
        if reply > 0 { detail += " (SMTP \(reply))" }
        if let password = configuration.password, !password.isEmpty {
            detail = detail.replacingOccurrences(of: password, with: "***")
        }
        return detail
    }
}

/// Why `verify()` failed: libcurl's code (`CURLcode`), the last SMTP reply (0: none) and the text.
public struct SMTPVerifyFailure: Error, Sendable {
    public var code: Int
    public var reply: Int
    public var detail: String
}
