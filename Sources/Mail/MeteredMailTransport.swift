import CoreMetrics

/// Counts what a transport sent and what it could not send, by the kind of message
/// (`lead`, `passport`, `alert`): one transport, wrapped once for each sender.
public struct MeteredMailTransport: MailTransport {
    let base: any MailTransport
    let sent: Counter
    let failed: Counter

    public init(_ base: any MailTransport, kind: String, metrics: any MetricsFactory) {
        self.base = base
        sent = Counter(label: "mail_sent_total", dimensions: [("kind", kind)], factory: metrics)
        failed = Counter(label: "mail_failed_total", dimensions: [("kind", kind)], factory: metrics)
    }

    public func send(_ message: MailMessage) async throws(MailError) {
        do {
            try await base.send(message)
            sent.increment()
        } catch {
            failed.increment()
            throw error
        }
    }
}
