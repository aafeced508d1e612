/// Folding for search: case-insensitive, and `ё` matches `е` as Russian readers expect.
public enum SearchText {
    public static func fold(_ text: String) -> String {
        text.lowercased().replacingOccurrences(of: "ё", with: "е")
    }

    /// The words of a query, folded; every word must occur for a match.
    public static func terms(_ query: String) -> [String] {
        fold(query).split(whereSeparator: { $0.isWhitespace || $0 == "," }).map(String.init)
    }
}
