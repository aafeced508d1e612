import Assets
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// `GET /assets/{fileId}?preset=thumb|card|full`: product images in the named sizes only
/// (pages never link Directus directly), WebP for browsers that accept it, from the disk cache or through Directus'
/// transforms; the placeholder for a file that does not exist.
///
/// Only files that published pages show are served (the catalog index knows them): the
/// service token reads private files too, and a made-up id must cost no Directus request.
/// An editor's preview links its draft images as `/preview/assets/{token}/{fileId}`
/// (`PreviewImages`). When too many images are being fetched already, a 503 asks to come back.
struct AssetController: Sendable {
    typealias Context = AppRequestContext
    let assets: AssetStore
    let catalog: Catalog
    let previewImages: PreviewImages?
    let trustedProxies: [CIDR]
    let logger: Logger

    func addRoutes(to router: Router<Context>) {
        router.get(SiteURL.Route.asset.pattern, use: asset)
        router.get(SiteURL.Route.previewAsset.pattern, use: previewAsset)
    }

    /// Images change only when an editor replaces the file: the webhook drops this service's
    /// copy, but caches in front (nginx, browsers) keep theirs for this long.
    static var cacheControl: String { "public, max-age=604800, stale-while-revalidate=86400" }
    /// An SVG opened on its own must not run scripts from this origin.
    static var policy: String { "default-src 'none'; style-src 'unsafe-inline'; sandbox" }

    @Sendable func asset(_ request: Request, context: Context) async throws -> Response {
        let fileID = try context.parameters.decoded("fileID")
        let presetName = request.queryFields["preset"] ?? ImagePreset.full.rawValue
        guard let preset = ImagePreset(rawValue: presetName), FileID.isValid(fileID) else {
            throw HTTPError(.notFound)
        }
        let index = (try? await catalog.index()) ?? catalog.lastIndex
        guard index?.fileIDs.contains(fileID) == true else {
            return Response(status: .found, headers: [.location: SiteURL.placeholderImage, .cacheControl: "public, max-age=300"])
        }
        return try await serve(fileID, preset: preset, request: request, context: context, cacheControl: Self.cacheControl)
    }

    /// A preview page's image: any file the token was made for, kept out of shared caches.
    @Sendable func previewAsset(_ request: Request, context: Context) async throws -> Response {
        let fileID = try context.parameters.decoded("fileID")
        let token = try context.parameters.decoded("token")
        let presetName = request.queryFields["preset"] ?? ImagePreset.full.rawValue
        guard let previewImages, let preset = ImagePreset(rawValue: presetName), FileID.isValid(fileID),
            previewImages.isValid(token, fileID: fileID)
        else {
            throw HTTPError(.notFound)
        }
        var response = try await serve(fileID, preset: preset, request: request, context: context, cacheControl: "private, max-age=3600")
        response.headers[HTTPField.Name("X-Robots-Tag")!] = "noindex, nofollow"
        return response
    }

    private func serve(
        _ fileID: String, preset: ImagePreset, request: Request, context: Context, cacheControl: String
    ) async throws -> Response {
        let accept = request.headers[.accept] ?? ""
        let key = AssetStore.Key(fileID: fileID, preset: preset, format: accept.contains("image/webp") ? .webp : .original)
        var headers: HTTPFields = [
            .cacheControl: cacheControl, .vary: "Accept", .xContentTypeOptions: "nosniff", .contentSecurityPolicy: Self.policy,
        ]
        if let match = request.headers[.ifNoneMatch], let etag = assets.etag(key), match.contains(etag) {
            headers[.eTag] = etag
            return Response(status: .notModified, headers: headers)
        }
        let stored: AssetStore.Stored?
        do {
            let client = ClientAddress.rateKey(of: request, context: context, trusted: trustedProxies)
            stored = try await assets.asset(key, client: client)
        } catch is AssetStore.Busy {
            return Response(
                status: .serviceUnavailable,
                headers: [.retryAfter: "5", .cacheControl: "no-store", .contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "Слишком много изображений загружается, повторите через несколько секунд.\n")))
        } catch {
            // Directus is down and the image was never cached: the placeholder, not kept.
            logger.error("image unavailable", metadata: ["file": "\(fileID)", "error": "\(error)"])
            return Response(status: .found, headers: [.location: SiteURL.placeholderImage, .cacheControl: "no-store"])
        }
        guard let stored else {
            return Response(status: .found, headers: [.location: SiteURL.placeholderImage, .cacheControl: "public, max-age=300"])
        }
        headers[.eTag] = stored.etag
        if let match = request.headers[.ifNoneMatch], match.contains(stored.etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = stored.contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: stored.body))
    }
}
