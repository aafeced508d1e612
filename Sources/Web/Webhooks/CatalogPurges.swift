import Catalog
import Foundation
import Logging
import ServiceLifecycle
import Storage

/// What a Directus event drops from the caches, on this instance and – through the database
/// (PostgreSQL `LISTEN/NOTIFY`) – on every other instance of the deployment within moments.
struct CatalogPurges: Service {
    enum Purge: Equatable {
        case products(Set<Int>)
        /// Replaced or deleted files: their image sizes, and every page (sizes, titles).
        case files([String])
        case all

        /// `products:1,2` · `files:uuid,uuid` · `all`.
        var text: String {
            switch self {
            case .products(let ids): "products:" + ids.sorted().map(String.init).joined(separator: ",")
            case .files(let ids): "files:" + ids.joined(separator: ",")
            case .all: "all"
            }
        }

        init?(text: String) {
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            switch parts.first {
            case "products": self = .products(Set((parts.last ?? "").split(separator: ",").compactMap { ItemID.parse($0) }))
            case "files": self = .files((parts.last ?? "").split(separator: ",").map(String.init).filter { FileID.isValid($0) })
            case "all": self = .all
            default: return nil
            }
        }
    }

    static let channel = "catalog_purge"

    let catalog: Catalog
    let assets: AssetStore
    let database: any Database
    let instance: String
    let logger: Logger

    /// Drops here, then tells the others.
    func purge(_ purge: Purge) async {
        await apply(purge)
        do {
            try await database.notify(Self.channel, payload: instance + "|" + purge.text)
        } catch {
            logger.error("could not tell other instances about a catalog change", metadata: ["error": "\(error)"])
        }
    }

    func apply(_ purge: Purge) async {
        switch purge {
        case .products:
            // Products are read from the list, so any product change reloads the list.
            catalog.invalidateProducts()
        case .files(let ids):
            for id in ids { await assets.remove(fileID: id) }
            catalog.invalidateAll()
        case .all:
            catalog.invalidateAll()
        }
    }

    /// Applies what other instances were told.
    func run() async throws {
        let (instance, logger) = (instance, logger)
        // Ends with the application (a cancelled listen is no failure of the service group).
        try? await cancelWhenGracefulShutdown {
            try await database.listen(Self.channel) { message in
                guard let bar = message.firstIndex(of: "|"), message[..<bar] != instance else { return }
                guard let purge = Purge(text: String(message[message.index(after: bar)...])) else {
                    logger.warning("unreadable catalog purge from another instance", metadata: ["message": "\(message.prefix(200))"])
                    return
                }
                await self.apply(purge)
            }
        }
    }
}
