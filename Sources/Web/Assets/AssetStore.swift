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
///   `maxConcurrentFetches` transforms run in Directus at a time.
/// - Over `maxBytes`, the least recently used files go.
/// - A missing file is remembered for a minute only (it may be uploaded a minute later), so
///   requests for made-up ids do not each cost a Directus request.
final class AssetStore: Sendable {
    struct Key: Hashable, Sendable {
        var fileID: String
        var preset: ImagePreset
        var format: ImageFormat

        var fileName: String { "\(fileID).\(preset.rawValue).\(format.rawValue)" }

    }

    struct Stored: Sendable {
        var body: ByteBuffer
        var contentType: String
        var etag: String
    }

    private struct Entry {
        var size: Int
        var lastUse: UInt64
        /// Known once the file was written or read by this process.
        var etag: String?
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var total = 0
        var tick: UInt64 = 0
        var inflight: [Key: Task<Stored?, any Error>] = [:]
        /// File ids the source did not have, and when that was learned.
        var missing: [String: ContinuousClock.Instant] = [:]
    }

    static var missingFor: Duration { .seconds(60) }

    let directory: URL
    let maxBytes: Int
    private let source: any CatalogSource
    private let fetches: AsyncSemaphore
    private let logger: Logger
    private let state = Mutex(State())

    /// Reads what an earlier run left in `directory` (oldest first in line for eviction).
    init(source: any CatalogSource, directory: String, maxBytes: Int, maxConcurrentFetches: Int = 4, logger: Logger) throws {
        self.source = source
        self.directory = URL(fileURLWithPath: directory, isDirectory: true)
        self.maxBytes = maxBytes
        self.fetches = AsyncSemaphore(maxConcurrentFetches)
        self.logger = logger
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
        state.withLock { state in
            for file in found.sorted(by: { $0.modified < $1.modified }) {
                state.tick += 1
                state.entries[file.name] = Entry(size: file.size, lastUse: state.tick)
                state.total += file.size
            }
        }
    }

    /// Bytes on disk now (for metrics and tests).
    var totalBytes: Int { state.withLock { $0.total } }

    func contains(_ key: Key) -> Bool { state.withLock { $0.entries[key.fileName] != nil } }

    /// The ETag of a cached image, without reading it (If-None-Match → 304).
    func etag(_ key: Key) -> String? {
        state.withLock { state in
            guard state.entries[key.fileName]?.etag != nil else { return nil }
            state.tick += 1
            state.entries[key.fileName]?.lastUse = state.tick
            return state.entries[key.fileName]?.etag
        }
    }

    /// The image, from disk or from the source; nil when the source has no such file.
    func asset(_ key: Key) async throws -> Stored? {
        let knownMissing = state.withLock { state in
            state.missing[key.fileID].map { $0.duration(to: .now) < Self.missingFor } ?? false
        }
        if knownMissing { return nil }
        if touch(key) {
            if let stored = try? await read(key) {
                state.withLock { $0.entries[key.fileName]?.etag = stored.etag }
                return stored
            }
            // Deleted or damaged behind our back: forget it and fetch again.
            state.withLock { state in state.total -= state.entries.removeValue(forKey: key.fileName)?.size ?? 0 }
        }
        let task = state.withLock { state in
            if let running = state.inflight[key] { return running }
            let task = Task { try await self.fetch(key) }
            state.inflight[key] = task
            return task
        }
        return try await task.value
    }

    /// Drops every size of a file (Directus said it was replaced or deleted).
    func remove(fileID: String) async {
        let names = state.withLock { state in
            state.missing.removeValue(forKey: fileID)
            let names = state.entries.keys.filter { $0.hasPrefix(fileID + ".") }
            for name in names {
                state.total -= state.entries.removeValue(forKey: name)?.size ?? 0
            }
            return names
        }
        await delete(names)
    }

    private func touch(_ key: Key) -> Bool {
        state.withLock { state in
            guard state.entries[key.fileName] != nil else { return false }
            state.tick += 1
            state.entries[key.fileName]?.lastUse = state.tick
            return true
        }
    }

    private func fetch(_ key: Key) async throws -> Stored? {
        defer { _ = state.withLock { $0.inflight.removeValue(forKey: key) } }
        let asset = try await fetches.withPermit {
            try await source.asset(fileID: key.fileID, preset: key.preset, format: key.format)
        }
        guard let asset else {
            state.withLock { state in
                if state.missing.count >= 10_000 { state.missing.removeAll(keepingCapacity: true) }
                state.missing[key.fileID] = .now
            }
            return nil
        }
        let stored = Stored(
            body: ByteBuffer(bytes: asset.bytes), contentType: asset.contentType,
            etag: RenderedResponse.etag(of: asset.bytes))
        if asset.worthCaching, asset.bytes.count <= maxBytes {
            do {
                try await write(asset, etag: stored.etag, key: key)
            } catch {
                // The visitor still gets the image; the next request tries again.
                logger.warning("could not cache an image on disk", metadata: ["file": "\(key.fileName)", "error": "\(error)"])
            }
        }
        return stored
    }

    private func write(_ asset: Asset, etag: String, key: Key) async throws {
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
            state.tick += 1
            state.total += file.count - (state.entries[name]?.size ?? 0)
            state.entries[name] = Entry(size: file.count, lastUse: state.tick, etag: etag)
            var evicted: [String] = []
            while state.total > maxBytes, let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                state.entries.removeValue(forKey: oldest.key)
                state.total -= oldest.value.size
                evicted.append(oldest.key)
            }
            return evicted
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

/// At most `limit` holders at a time; the others wait in line.
final class AsyncSemaphore: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(_ limit: Int) {
        state = Mutex(State(available: max(1, limit)))
    }

    private func wait() async {
        if state.withLock({ state in
            guard state.available > 0 else { return false }
            state.available -= 1
            return true
        }) {
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state in
                if state.available > 0 {
                    state.available -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func withPermit<T>(_ body: () async throws -> T) async rethrows -> T {
        await wait()
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
