import Foundation
import Hummingbird
import Logging

/// Serves `public/` at the root, asking the file system only for paths that exist there.
///
/// Hummingbird's `FileMiddleware` looks every request up on disk (a thread-pool hop and a
/// syscall) before the router sees it; pages are served from memory, so that lookup would
/// dominate their cost. The set of files is read once at start-up: static files are
/// deployed with the application.
struct StaticFilesMiddleware<Context: RequestContext>: RouterMiddleware {
    let files: FileMiddleware<Context, LocalFileSystem>
    let paths: Set<String>

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
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard paths.contains(request.uri.path) else { return try await next(request, context) }
        return try await files.handle(request, context: context, next: next)
    }
}
