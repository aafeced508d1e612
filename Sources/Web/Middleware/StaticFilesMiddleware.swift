import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Serves `public/` at the root, asking the file system only for paths that exist there.
///
/// Hummingbird's `FileMiddleware` looks every request up on disk (a thread-pool hop and a
/// syscall) before the router sees it; pages are served from memory, so that lookup would
/// dominate their cost. The set of files is read once at start-up: static files are
/// deployed with the application. Text files (CSS, JS, SVG …) are kept in memory with their
/// gzip form, made then, and sent by `Accept-Encoding`.
struct StaticFilesMiddleware<Context: RequestContext>: RouterMiddleware {
    let files: FileMiddleware<Context, LocalFileSystem>
    let paths: Set<String>
    let texts: [String: RenderedResponse]
    static var cacheControl: String { "public, max-age=3600" }
    static var textTypes: [String: String] { [
        "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml",
        "txt": "text/plain; charset=utf-8", "html": "text/html; charset=utf-8", "json": "application/json", "xml": "application/xml",
    ] }

    init(directory: String, logger: Logger) {
        files = FileMiddleware(
            directory, cacheControl: .init([(MediaType(type: .any), [.maxAge(3600), .public])]), searchForIndexHtml: false,
            logger: logger)
        var paths: Set<String> = []
        let root = URL(fileURLWithPath: directory).standardizedFileURL.path
        if let enumerator = FileManager.default.enumerator(atPath: root) {
            for case let relative as String in enumerator {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                    paths.insert("/" + relative)
                }
            }
        }
        self.paths = paths
        var texts: [String: RenderedResponse] = [:]
        for path in paths {
            guard let type = Self.textTypes[(path as NSString).pathExtension.lowercased()],
                let data = FileManager.default.contents(atPath: root + path)
            else { continue }
            var text = RenderedResponse(body: ByteBuffer(bytes: data), contentType: type)
            text.seal([.contentType: type, .cacheControl: Self.cacheControl], compress: true)
            texts[path] = text
        }
        self.texts = texts
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard paths.contains(request.uri.path) else { return try await next(request, context) }
        guard request.method == .get, let text = texts[request.uri.path] else {
            return try await files.handle(request, context: context, next: next)
        }
        let chosen = text.variant(acceptEncoding: request.headers[.acceptEncoding])
        if let match = request.headers[.ifNoneMatch], match.contains(chosen.etag) {
            return Response(status: .notModified, headers: chosen.headers)
        }
        return Response(status: .ok, headers: chosen.headers, body: .init(byteBuffer: chosen.body))
    }
}
