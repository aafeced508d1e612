import AsyncHTTPClient
import Catalog
import Indexing
import ServiceLifecycle

/// What changed on the site's pages, and – with `INDEXNOW_KEY` – telling search engines.
struct IndexingFeature {
    let changes: PageChanges
    let sender: IndexNowSender?
    let queue: IndexNowQueue?

    init(_ ground: Groundwork, catalog: Catalog) {
        let configuration = ground.configuration
        let queue = configuration.indexNow.key == nil ? nil : IndexNowQueue(database: ground.database)
        self.queue = queue
        let sender = queue.flatMap { queue in
            configuration.indexNow.key.map { key in
                IndexNowSender(
                    settings: configuration.indexNow, key: key, siteURL: configuration.publicBaseURL, queue: queue, instances: ground.instances,
                    instance: ground.instance, httpClient: HTTPClient.shared, clock: ground.clock, metrics: ground.metrics, logger: ground.logger)
            }
        }
        self.sender = sender
        changes = PageChanges(
            catalog: catalog, database: ground.database, clock: ground.clock, queue: queue, onQueued: { sender?.wake() }, logger: ground.logger,
            pages: PageStates.pages(of:))
    }

    var services: [any Service] { [changes] + (sender.map { [$0] } ?? []) }
}
