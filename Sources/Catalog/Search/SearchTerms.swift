/// How text becomes search keys, the same way for the catalog and for what visitors type.
///
/// - lower case, `ё` = `е`; words are runs of letters and digits (anything else separates);
/// - a word with a digit is a model code: Cyrillic letters that look Latin become Latin, so
///   «СК6150» and «CK6150», «6Т12» and «6T12» are one key;
/// - other words are stemmed (Russian or English Snowball), so word forms are one key.
enum SearchTerms {
    /// Cyrillic letters a model code may be typed with, and the Latin ones they stand for.
    static let lookalikes: [Character: Character] = [
        "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "х": "x", "у": "y",
    ]

    /// The words of `text`, folded (not stemmed). Works on Unicode scalars: a catalog of ten
    /// thousand products is tens of megabytes of text to go through at each index build.
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.lowercased().unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                // ё is е.
                current.append(scalar.value == 0x0451 ? "е" : scalar)
            } else if !current.isEmpty {
                words.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    /// The key a folded word is found by.
    static func key(_ word: String) -> String {
        if word.contains(where: \.isNumber) { return code(word) }
        return Stemmers.shared.stem(word)
    }

    /// A model code with Cyrillic lookalikes made Latin.
    static func code(_ word: String) -> String {
        String(word.map { lookalikes[$0] ?? $0 })
    }

    static func keys(_ text: String) -> [String] { words(text).map(key) }

    /// A SKU or a whole query as one code: its words joined («CK6150-1000» → «ck61501000»).
    static func wholeCode(_ text: String) -> String {
        words(text).map(code).joined()
    }

    // MARK: - The wrong keyboard layout

    private static let latin = Array("qwertyuiop[]asdfghjkl;'zxcvbnm,.`")
    private static let cyrillic = Array("йцукенгшщзхъфывапролджэячсмитьбюё")
    private static let toCyrillic = Dictionary(uniqueKeysWithValues: zip(latin, cyrillic))
    private static let toLatin = Dictionary(uniqueKeysWithValues: zip(cyrillic, latin))

    /// The query as it would read typed in the other layout (ЙЦУКЕН ↔ QWERTY): «njrfhysq» →
    /// «токарный»; nil when nothing would change.
    static func otherLayout(_ query: String) -> String? {
        let lowered = query.lowercased()
        let latinLetters = lowered.filter { toCyrillic[$0] != nil && $0.isLetter }.count
        let cyrillicLetters = lowered.filter { toLatin[$0] != nil }.count
        guard latinLetters + cyrillicLetters > 0 else { return nil }
        let table = latinLetters >= cyrillicLetters ? toCyrillic : toLatin
        let converted = String(lowered.map { table[$0] ?? $0 })
        return converted == lowered ? nil : converted
    }

    // MARK: - Typos

    /// How many edits a word of this length may be off by: none below 4 letters, one up to 7,
    /// two from 8.
    static func allowedEdits(_ length: Int) -> Int {
        length < 4 ? 0 : length < 8 ? 1 : 2
    }

    /// Levenshtein distance, giving up (nil) once it must exceed `limit`.
    static func distance(_ a: [Character], _ b: [Character], limit: Int) -> Int? {
        guard abs(a.count - b.count) <= limit else { return nil }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...max(1, a.count) where !a.isEmpty {
            current[0] = i
            var rowMinimum = current[0]
            for j in 1...max(1, b.count) where !b.isEmpty {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                rowMinimum = min(rowMinimum, current[j])
            }
            if rowMinimum > limit { return nil }
            swap(&previous, &current)
        }
        let result = a.isEmpty ? b.count : previous[b.count]
        return result <= limit ? result : nil
    }
}
