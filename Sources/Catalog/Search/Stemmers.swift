import CStemmer
import Synchronization

/// Snowball's Russian and English stemmers (libstemmer): «токарные», «токарный», «токарного»
/// all become «токарн». A stemmer keeps state between calls, so the pair sits behind a lock;
/// a word takes a microsecond or so.
final class Stemmers: Sendable {
    static let shared = Stemmers()

    private struct Pair: @unchecked Sendable {
        // Owned here for the process's life; only used under the lock.
        let russian: OpaquePointer?
        let english: OpaquePointer?
    }

    private let pair: Mutex<Pair>

    private init() {
        pair = Mutex(Pair(russian: sb_stemmer_new("russian", "UTF_8"), english: sb_stemmer_new("english", "UTF_8")))
    }

    /// The stem of one lower-case word: Russian for Cyrillic, English for Latin letters; other
    /// words (numbers, mixed codes) as they are.
    func stem(_ word: String) -> String {
        let cyrillic = word.unicodeScalars.contains { (0x0400...0x04FF).contains($0.value) }
        let latin = !cyrillic && word.unicodeScalars.contains { ("a"..."z").contains($0) }
        guard cyrillic || latin, !word.unicodeScalars.contains(where: { ("0"..."9").contains($0) }) else { return word }
        return pair.withLock { pair in
            guard let stemmer = cyrillic ? pair.russian : pair.english else { return word }
            let bytes = Array(word.utf8)
            guard let stemmed = bytes.withUnsafeBufferPointer({ sb_stemmer_stem(stemmer, $0.baseAddress, Int32($0.count)) }) else {
                return word
            }
            let length = Int(sb_stemmer_length(stemmer))
            return String(decoding: UnsafeBufferPointer(start: stemmed, count: length), as: UTF8.self)
        }
    }
}
