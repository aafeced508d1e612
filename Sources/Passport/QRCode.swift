import SafeText
import CQREncode
import Catalog

/// A QR code (libqrencode) and its SVG drawing.
public struct QRCode: Sendable, Equatable {
    /// Modules per side, without the quiet zone.
    public let width: Int
    /// Row by row, true for a dark module.
    let modules: [Bool]

    /// The light border the standard asks for around the symbol, in modules.
    public static let quietZone = 4

    /// Encodes `text` as bytes (8-bit mode) with error correction level M (15 % of the symbol
    /// may be lost: a printed passport gets scuffed). Nil only if the text is too long for a
    /// QR code (about 2,300 bytes at this level) or libqrencode runs out of memory.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, let code = QRcode_encodeData(Int32(bytes.count), bytes, 0, QR_ECLEVEL_M) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        // The lowest bit of each byte is the module's colour; the others say what it is for.
        modules = (0..<width * width).map { code.pointee.data[$0] & 1 == 1 }
        self.width = width
    }

    public func isDark(x: Int, y: Int) -> Bool { modules[y * width + x] }

    /// A scalable drawing: one path of horizontal runs on a white square, sized by the page
    /// (`viewBox` in modules), with crisp edges so scanners see sharp modules at any size.
    public func svg(title: String) -> String {
        let side = width + 2 * Self.quietZone
        var path = ""
        path.reserveCapacity(width * width)
        for y in 0..<width {
            var x = 0
            while x < width {
                guard isDark(x: x, y: y) else { x += 1; continue }
                let start = x
                while x < width && isDark(x: x, y: y) { x += 1 }
                path += "M\(start + Self.quietZone) \(y + Self.quietZone)h\(x - start)v1h-\(x - start)z"
            }
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" width="\(side * 4)" height="\(side * 4)" \
            shape-rendering="crispEdges" role="img" aria-label="\(HTMLEscaping.escape(title))">
            <title>\(HTMLEscaping.escape(title))</title>
            <rect width="\(side)" height="\(side)" fill="#fff"/>
            <path fill="#000" d="\(path)"/>
            </svg>

            """
    }
}
