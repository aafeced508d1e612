import Foundation
import Logging
import ServiceLifecycle

/// How the instances of a deployment tell each other of a purge: the database's
/// `LISTEN/NOTIFY` on PostgreSQL; on SQLite there is one instance and nothing to tell.
public protocol PurgeBroadcast: Sendable {
    func notify(_ channel: String, payload: String) async throws
    /// Calls `receive` with every payload sent on `channel` until the task is cancelled.
    func listen(_ channel: String, receive: @escaping @Sendable (String) async -> Void) async throws
}

/// What a Directus event drops from the caches, on this instance and – through the
/// broadcast – on every other instance of the deployment within moments.
public struct CatalogPurges: Service {
    public enum Purge: Equatable, Sendable {
        case products(Set<Int>)
        /// Replaced or deleted files: their image sizes, and every page (sizes, titles).
        case files([String])
        case all

        /// `products:1,2` · `files:uuid,uuid` · `all`.
        public var text: String {
            switch self {
            case .products(let ids): "products:" + ids.sorted().map(String.init).joined(separator: ",")
            case .files(let ids): "files:" + ids.joined(separator: ",")
            case .all: "all"
            }
        }

        public init?(text: String) {
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
    /// Drops the cached sizes of replaced or deleted image files.
    let dropImages: @Sendable ([String]) async -> Void
    let broadcast: any PurgeBroadcast
    let instance: String
    let logger: Logger

    public init(
        catalog: Catalog, dropImages: @escaping @Sendable ([String]) async -> Void, broadcast: any PurgeBroadcast, instance: String,
        logger: Logger
    ) {
        self.catalog = catalog
        self.dropImages = dropImages
        self.broadcast = broadcast
        self.instance = instance
        self.logger = logger
    }

    /// Drops here, then tells the others.
    public func purge(_ purge: Purge) async {
        await apply(purge)
        do {
            try await broadcast.notify(Self.channel, payload: instance + "|" + purge.text)
        } catch {
            logger.error("could not tell other instances about a catalog change", metadata: ["error": "\(error)"])
        }
    }

    public func apply(_ purge: Purge) async {
        switch purge {
        case .products:
            // Products are read from the list, so any product change reloads the list.
            catalog.invalidateProducts()
        case .files(let ids):
            await dropImages(ids)
            catalog.invalidateAll()
        case .all:
            catalog.invalidateAll()
        }
    }

    /// Applies what other instances were told.
    public func run() async throws {
        let (instance, logger) = (instance, logger)
        // Ends with the application (a cancelled listen is no failure of the service group).
        try? await cancelWhenGracefulShutdown {
            try await broadcast.listen(Self.channel) { message in
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
