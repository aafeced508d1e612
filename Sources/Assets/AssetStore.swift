import Caching
import Catalog
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Transformed images from the catalog source, kept on disk under a size cap.
///
/// - One file per image, size and format (`{fileID}.{preset}.{format}`), written to a
///   temporary name and renamed, so a reader never sees half a file; its first line holds
///   the media type and the ETag.
/// - Concurrent misses for one image make one upstream request, and at most
///   `maxConcurrentFetches` transforms run in Directus at a time, with at most
///   `maxWaitingFetches` more in line, and `maxFetchesPerClient` new ones per client;
///   beyond that `Busy` is thrown (the visitor gets a 503).
/// - Over `maxBytes`, the least recently used files go.
/// - A missing file is remembered for a minute only (it may be uploaded a minute later), so
///   requests for made-up ids do not each cost a Directus request.
/// - A fetch that was under way when its file was purged (Directus replaced it) neither
///   writes its old bytes to disk nor serves a request that came after the purge.
public final class AssetStore: Sendable {
    /// Too many images are being fetched already.
    public struct Busy: Error {}

    public struct Key: Hashable, Sendable {
        public var fileID: String
        public var preset: ImagePreset
        public var format: ImageFormat

        public init(fileID: String, preset: ImagePreset, format: ImageFormat) {
            self.fileID = fileID
            self.preset = preset
            self.format = format
        }

        var fileName: String { "\(fileID).\(preset.rawValue).\(format.rawValue)" }

    }

    public struct Stored: Sendable {
        public var body: ByteBuffer
        public var contentType: String
        public var etag: String
    }

    private struct Entry {
        var size: Int
        /// Known once the file was written or read by this process.
        var etag: String?
    }

    private struct State {
        /// Files on disk by name, least recently used out first.
        var entries: LRUCache<String, Entry>
        var inflight: [Key: (task: Task<Stored?, any Error>, generation: UInt64)] = [:]
        /// File ids the source did not have, and when that was learned.
        var missing = LRUCache<String, ContinuousClock.Instant>(maxEntries: 10_000)
        /// Counts purges; a fetch remembers the count it started at.
        var generation: UInt64 = 0
        /// The generation at which each recently purged file was purged.
        var purged = LRUCache<String, UInt64>(maxEntries: 10_000)
        /// Whether `fileID` was purged after a fetch that started at `generation`.
        func isPurged(_ fileID: String, after generation: UInt64) -> Bool {
            (purged.peek(fileID) ?? 0) > generation
        }

        /// New fetches each client started that are not done yet (only clients with some).
        var fetchesByClient: [String: Int] = [:]
    }

    public static var missingFor: Duration { .seconds(60) }

    public let directory: URL
    public let maxBytes: Int
    private let source: any CatalogSource
    private let fetches: AsyncSemaphore
    private let logger: Logger
    private let state: Mutex<State>

    /// Reads what an earlier run left in `directory` (oldest first in line for eviction).
    /// New fetches one client may have under way: more than a page's images (a category page
    /// shows 24), far fewer than the line, so one client cannot fill it for everyone.
    public let maxFetchesPerClient: Int

    public init(
        source: any CatalogSource, directory: String, maxBytes: Int, maxConcurrentFetches: Int = 4, maxWaitingFetches: Int = 256,
        maxFetchesPerClient: Int = 48, logger: Logger
    ) throws {
        self.maxFetchesPerClient = maxFetchesPerClient
        self.source = source
        self.directory = URL(fileURLWithPath: directory, isDirectory: true)
        self.maxBytes = maxBytes
        self.fetches = AsyncSemaphore(maxConcurrentFetches, maxWaiting: maxWaitingFetches)
        self.logger = logger
        state = Mutex(State(entries: LRUCache(maxEntries: .max, maxCost: max(1, maxBytes))))
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        let files = try FileManager.default.contentsOfDirectory(
            at: self.directory, includingPropertiesForKeys: [.fileSizeKey, .contentModificationDateKey])
        var found: [(name: String, size: Int, modified: Date)] = []
        for file in files {
            let name = file.lastPathComponent
            if name.hasPrefix(".") {
                try? FileManager.default.removeItem(at: file)  // a write interrupted by a crash
                continue
            }
            let values = try? file.resourceValues(forKeys: [.fileSizeKey, .contentModificationDateKey])
            found.append((name, values?.fileSize ?? 0, values?.contentModificationDate ?? .distantPast))
        }
        let overflow = state.withLock { state in
            found.sorted(by: { $0.modified < $1.modified }).flatMap { file in
                state.entries.set(Entry(size: file.size), forKey: file.name, cost: file.size).map(\.key)
            }
        }
        for name in overflow { try? FileManager.default.removeItem(at: self.directory.appendingPathComponent(name)) }
    }

    /// Fetches waiting for a turn now (tests).
    public var waitingFetches: Int { fetches.waiting }

    /// Bytes on disk now (for metrics and tests).
    public var totalBytes: Int { state.withLock { $0.entries.totalCost } }

    public func contains(_ key: Key) -> Bool { state.withLock { $0.entries.contains(key.fileName) } }

    /// The ETag of a cached image, without reading it (If-None-Match → 304).
    public func etag(_ key: Key) -> String? {
        state.withLock { state in state.entries.value(forKey: key.fileName)?.etag }
    }

    /// The image, from disk or from the source; nil when the source has no such file.
    /// `client` (an address) may have at most `maxFetchesPerClient` new fetches under way;
    /// joining a fetch already under way costs nothing.
    public func asset(_ key: Key, client: String? = nil) async throws -> Stored? {
        let knownMissing = state.withLock { state in
            state.missing.peek(key.fileID).map { $0.duration(to: .now) < Self.missingFor } ?? false
        }
        if knownMissing { return nil }
        if touch(key) {
            if let stored = try? await read(key) {
                state.withLock { _ = $0.entries.modify(key.fileName) { $0.etag = stored.etag } }
                return stored
            }
            // Deleted or damaged behind our back: forget it and fetch again.
            state.withLock { _ = $0.entries.removeValue(forKey: key.fileName) }
        }
        let task = try state.withLock { state throws(Busy) in
            if let running = state.inflight[key] { return running.task }
            if let client {
                guard state.fetchesByClient[client, default: 0] < maxFetchesPerClient else { throw Busy() }
                state.fetchesByClient[client, default: 0] += 1
            }
            let generation = state.generation
            let task = Task {
                defer { if let client { self.fetchDone(for: client) } }
                return try await self.fetch(key, generation: generation)
            }
            state.inflight[key] = (task, generation)
            return task
        }
        return try await task.value
    }

    /// Drops every size of a file (Directus said it was replaced or deleted); fetches of it
    /// under way now will not store what they get.
    public func remove(fileID: String) async {
        let names = state.withLock { state in
            state.missing.removeValue(forKey: fileID)
            state.generation += 1
            state.purged.set(state.generation, forKey: fileID)
            for key in state.inflight.keys where key.fileID == fileID { state.inflight[key] = nil }
            let names = ImagePreset.allCases.flatMap { preset in
                ImageFormat.allCases.map { Key(fileID: fileID, preset: preset, format: $0).fileName }
            }
            return names.filter { state.entries.removeValue(forKey: $0) != nil }
        }
        await delete(names)
    }

    private func fetchDone(for client: String) {
        state.withLock { state in
            let left = state.fetchesByClient[client, default: 1] - 1
            state.fetchesByClient[client] = left > 0 ? left : nil
        }
    }

    private func touch(_ key: Key) -> Bool {
        state.withLock { state in state.entries.value(forKey: key.fileName) != nil }
    }

    /// True when the file was purged after a fetch that started at `generation`.
    private func purged(_ fileID: String, since generation: UInt64) -> Bool {
        state.withLock { $0.isPurged(fileID, after: generation) }
    }

    private func fetch(_ key: Key, generation: UInt64) async throws -> Stored? {
        defer {
            state.withLock { state in
                if state.inflight[key]?.generation == generation { state.inflight[key] = nil }
            }
        }
        let asset = try await fetches.withPermit {
            try await source.asset(fileID: key.fileID, preset: key.preset, format: key.format)
        }
        guard let asset else {
            state.withLock { state in
                if !state.isPurged(key.fileID, after: generation) { state.missing.set(.now, forKey: key.fileID) }
            }
            return nil
        }
        let stored = Stored(
            body: ByteBuffer(bytes: asset.bytes), contentType: asset.contentType,
            etag: FNV1a.etag(of: asset.bytes))
        if asset.worthCaching, asset.bytes.count <= maxBytes, !purged(key.fileID, since: generation) {
            do {
                try await write(asset, etag: stored.etag, key: key, generation: generation)
            } catch {
                // The visitor still gets the image; the next request tries again.
                logger.warning("could not cache an image on disk", metadata: ["file": "\(key.fileName)", "error": "\(error)"])
            }
        }
        return stored
    }

    private func write(_ asset: Asset, etag: String, key: Key, generation: UInt64) async throws {
        let name = key.fileName
        let target = directory.appendingPathComponent(name)
        let temporary = directory.appendingPathComponent(".\(name).\(UUID().uuidString)")
        var data = Data("\(asset.contentType)\t\(etag)\n".utf8)
        data.append(contentsOf: asset.bytes)
        let file = data
        try await NIOThreadPool.singleton.runIfActive {
            try file.write(to: temporary)
            if rename(temporary.path, target.path) != 0 {
                try? FileManager.default.removeItem(at: temporary)
                throw CocoaError(.fileWriteUnknown)
            }
        }
        let evicted = state.withLock { state -> [String] in
            // Purged while the file was being written: the old bytes must not stay.
            guard !state.isPurged(key.fileID, after: generation) else { return [name] }
            return state.entries.set(Entry(size: file.count, etag: etag), forKey: name, cost: file.count).map(\.key)
        }
        await delete(evicted)
    }

    private func read(_ key: Key) async throws -> Stored {
        let url = directory.appendingPathComponent(key.fileName)
        let data = try await NIOThreadPool.singleton.runIfActive { try Data(contentsOf: url) }
        guard let newline = data.firstIndex(of: 0x0A), let header = String(data: data[..<newline], encoding: .utf8) else {
            throw CocoaError(.fileReadCorruptFile)
        }
        let parts = header.split(separator: "\t", maxSplits: 1)
        guard parts.count == 2 else { throw CocoaError(.fileReadCorruptFile) }
        return Stored(body: ByteBuffer(bytes: data[(newline + 1)...]), contentType: String(parts[0]), etag: String(parts[1]))
    }

    private func delete(_ names: [String]) async {
        guard !names.isEmpty else { return }
        let urls = names.map { directory.appendingPathComponent($0) }
        _ = try? await NIOThreadPool.singleton.runIfActive {
            for url in urls { try? FileManager.default.removeItem(at: url) }
        }
    }
}

/// At most `limit` holders at a time; at most `maxWaiting` others wait in line, and any
/// more are turned away at once (`AssetStore.Busy`).
final class AsyncSemaphore: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>
    private let maxWaiting: Int

    init(_ limit: Int, maxWaiting: Int = .max) {
        state = Mutex(State(available: max(1, limit)))
        self.maxWaiting = max(0, maxWaiting)
    }

    /// Callers waiting in line now.
    var waiting: Int { state.withLock { $0.waiters.count } }

    private func wait() async throws(AssetStore.Busy) {
        enum Turn { case now, queued, full }
        // Decided and queued under one lock: no permit is released in between.
        var turn = Turn.full
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            turn = state.withLock { state -> Turn in
                if state.available > 0 {
                    state.available -= 1
                    return .now
                }
                guard state.waiters.count < maxWaiting else { return .full }
                state.waiters.append(continuation)
                return .queued
            }
            if turn != .queued { continuation.resume() }
        }
        if turn == .full { throw AssetStore.Busy() }
    }

    func withPermit<T>(_ body: () async throws -> T) async throws -> T {
        try await wait()
        defer { signal() }
        return try await body()
    }

    private func signal() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
