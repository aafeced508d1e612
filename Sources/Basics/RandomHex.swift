/// Unguessable values – lead ids, OAuth states, secrets kept in the database – as lower-case
/// hex from the system's cryptographic random source (`getrandom` on Linux).
public enum RandomHex {
    /// `bytes` random bytes: 16 make a 32-character id, 32 a 64-character secret.
    public static func make(bytes: Int = 16) -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        text.reserveCapacity(bytes * 2)
        for _ in 0..<bytes {
            let byte = UInt8.random(in: 0...255, using: &generator)
            text += byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }
        return text
    }
}
