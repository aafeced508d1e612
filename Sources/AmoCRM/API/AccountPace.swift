import Leads
import Storage

/// amoCRM allows 7 requests per second per *account*, however many processes make them, and
/// answers 429 above that (blocking repeat offenders). The whole rule lives here:
///
/// - **In a process**, every call goes through one `RequestPacer` (held by the one `AmoCRMAPI`
///   the application builds): 7 a second, counted on calls that finished, lead deliveries first.
/// - **In a deployment**, only the instance that holds the `amocrm` role talks to amoCRM: the
///   lead worker and the passport worker both take it (`Instances.hold`) before they send, for
///   `lease` at a time, renewed while they work, so a dead holder is replaced within seconds.
///   A shared token bucket instead would cost a database round trip per request and still let
///   two senders' requests bunch up inside a second; one sender keeps the pacer exact.
/// - A backlog therefore drains at about (requests ÷ 7) seconds, and no faster.
public enum AccountPace {
    /// The deployment role whose holder alone calls amoCRM.
    public static let role = "amocrm"
    /// How long the role is held without renewal: its holder renews it well inside this.
    public static let lease: Duration = OutboxWorker.Configuration.roleLease
    /// Leads sent per round: `POST /api/v4/leads/complex` takes at most 50.
    public static let batchSize = 50

    /// The lead worker's settings for the `amocrm` channel: the role and its batch size.
    public static func workerConfiguration(_ base: OutboxWorker.Configuration) -> OutboxWorker.Configuration {
        var configuration = base
        configuration.batchSize = batchSize
        configuration.role = role
        return configuration
    }

    /// Takes (or renews) the role for `instance`; false while another instance holds it.
    public static func hold(for instance: String, instances: Instances) async throws -> Bool {
        try await instances.hold(role, for: instance, duration: lease)
    }
}
