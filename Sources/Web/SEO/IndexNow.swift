import Basics
import Hummingbird

/// IndexNow, the protocol Yandex and Bing share for "these URLs changed": the site proves it
/// owns the key by serving it as plain text at `/{key}.txt`.
struct IndexNowSettings: Sendable, Equatable {
    /// `INDEXNOW_KEY`: 8–128 of `a-z A-Z 0-9 -`; nil: IndexNow is off.
    var key: String?
    /// `INDEXNOW_ENDPOINT`: where changed URLs are posted (Yandex's by default).
    var endpoint = "https://yandex.com/indexnow"

    init() {}

    init(environment env: Basics.Environment) throws(ConfigurationError) {
        if let key = env["INDEXNOW_KEY"] {
            guard (8...128).contains(key.utf8.count),
                key.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") })
            else {
                throw ConfigurationError(variable: "INDEXNOW_KEY", reason: "must be 8 to 128 of a-z, A-Z, 0-9 and -; generate one with: openssl rand -hex 16")
            }
            self.key = key
        }
        if let endpoint = try env.httpURL("INDEXNOW_ENDPOINT") { self.endpoint = endpoint }
    }
}

/// `GET /{key}.txt`: the key itself, and nothing else (only when IndexNow is on; any other
/// `.txt` is the usual 404).
struct IndexNowKeyController<Context: RequestContext>: Sendable {
    let key: String?

    func addRoutes(to router: Router<Context>) {
        guard let key else { return }
        let body = ByteBuffer(string: key)
        router.get(RouterPath("/\(key).txt")) { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "public, max-age=86400"],
                body: .init(byteBuffer: body))
        }
    }
}
