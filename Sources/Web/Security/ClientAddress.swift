import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An IPv4 or IPv6 network: `10.0.0.0/8`, `::1/128`, or a single address.
public struct CIDR: Sendable, Equatable {
    let network: [UInt8]
    let prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let address = CIDR.bytes(String(parts[0])) else { return nil }
        let maxPrefix = address.count * 8
        let prefix = parts.count == 2 ? Int(parts[1]) : maxPrefix
        guard let prefix, (0...maxPrefix).contains(prefix) else { return nil }
        network = address
        self.prefix = prefix
    }

    public func contains(_ address: String) -> Bool {
        guard let bytes = CIDR.bytes(address), bytes.count == network.count else { return false }
        var remaining = prefix
        for (a, b) in zip(bytes, network) where remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if a & mask != b & mask { return false }
            remaining -= bits
        }
        return true
    }

    static func bytes(_ text: String) -> [UInt8]? {
        guard let address = try? SocketAddress(ipAddress: text, port: 0) else { return nil }
        switch address {
        case .v4(let v4):
            return withUnsafeBytes(of: v4.address.sin_addr.s_addr) { Array($0) }
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            // An IPv4 client of a dual-stack listener (`::ffff:127.0.0.1`) is that IPv4 address.
            if bytes.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] { return Array(bytes.suffix(4)) }
            return bytes
        default:
            return nil
        }
    }
}

/// The client's address: the socket peer, or – when the peer is a trusted proxy – the
/// last untrusted address of `X-Forwarded-For` (the one the proxy saw).
enum ClientAddress {
    /// The client address of a request.
    static func of(_ request: Request, context: AppRequestContext, trusted: [CIDR]) -> String {
        resolve(peer: context.peerAddress, forwardedFor: request.headers[HTTPField.Name("X-Forwarded-For")!], trusted: trusted)
    }

    static func resolve(peer: String?, forwardedFor: String?, trusted: [CIDR]) -> String {
        guard let peer else { return "unknown" }
        guard let forwardedFor, trusted.contains(where: { $0.contains(peer) }) else { return peer }
        let chain = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for hop in chain.reversed() where !trusted.contains(where: { $0.contains(hop) }) {
            // Not an address (`unknown`, `unix:`): someone we cannot name, never the proxy
            // itself – the proxy's address may be allowed more (METRICS_ALLOW).
            return address(hop) ?? unparsable
        }
        return chain.first ?? peer
    }

    /// What an `X-Forwarded-For` entry that names no address resolves to: it matches no
    /// network, and all such clients share one rate-limit bucket.
    static let unparsable = "unparsable"

    /// `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]:80` → the address; anything else nil.
    static func address(_ hop: String) -> String? {
        if CIDR.bytes(hop) != nil { return hop }
        var host = hop
        if host.hasPrefix("["), let end = host.firstIndex(of: "]") {
            host = String(host[host.index(after: host.startIndex)..<end])
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            host = String(host[..<colon])
        }
        return CIDR.bytes(host) != nil ? host : nil
    }

    /// The key a client's failures are counted under: the address, or for IPv6 its /64 –
    /// one subscriber usually holds a whole /64, and could otherwise change address per guess.
    static func rateKey(of request: Request, context: AppRequestContext, trusted: [CIDR]) -> String {
        rateKey(of(request, context: context, trusted: trusted))
    }

    static func rateKey(_ address: String) -> String {
        guard let bytes = CIDR.bytes(address), bytes.count == 16 else { return address }
        return bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }
}
