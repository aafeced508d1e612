import Catalog
import Foundation
import Hummingbird

/// `GET /assets/{fileId}?preset=` – product images in the named sizes only.
///
/// With Directus this redirects to its transformed asset (a caching proxy replaces the
/// redirect later); the demo catalog serves its own drawings.
struct AssetController<Context: RequestContext>: Sendable {
    let site: Site

    func addRoutes(to router: Router<Context>) {
        router.get("/assets/:fileID", use: asset)
    }

    @Sendable func asset(_ request: Request, context: Context) async throws -> Response {
        let fileID = try context.parameters.require("fileID")
        let presetName = request.uri.queryParameters.get("preset") ?? ImagePreset.full.rawValue
        guard let preset = ImagePreset(rawValue: presetName),
            fileID.count <= 64, fileID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
        else {
            throw HTTPError(.notFound)
        }
        switch try await site.catalog.source.asset(fileID: fileID, preset: preset) {
        case .remote(let url):
            return Response(status: .found, headers: [.location: url, .cacheControl: "public, max-age=3600"])
        case .local(let bytes, let contentType):
            let rendered = RenderedResponse(body: ByteBuffer(bytes: bytes), contentType: contentType)
            return site.response(site.finish(rendered, cacheControl: "public, max-age=86400"), for: request)
        case .notFound:
            return Response(status: .found, headers: [.location: SiteURL.placeholderImage, .cacheControl: "public, max-age=300"])
        }
    }
}
