/// Folding for search: case-insensitive, and `ё` matches `е` as Russian readers expect.
public enum SearchText {
    public static func fold(_ text: String) -> String {
        text.lowercased().replacingOccurrences(of: "ё", with: "е")
    }
}
