import Hummingbird

/// `GET /{key}.txt`: IndexNow's proof that the site owns the key – the key itself, and
/// nothing else (only when IndexNow is on; any other `.txt` is the usual 404).
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
