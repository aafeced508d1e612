import Basics
import Foundation
import Testing
import TestSupport

@testable import Web

@Suite("Client addresses, rate limits, form tokens")
struct SecurityTests {
    @Test("CIDRs match IPv4 and IPv6 networks")
    func cidr() throws {
        let private10 = try #require(CIDR("10.0.0.0/8"))
        #expect(private10.contains("10.20.30.40"))
        #expect(!private10.contains("11.0.0.1"))
        #expect(try #require(CIDR("127.0.0.1")).contains("127.0.0.1"))
        #expect(try #require(CIDR("fd00::/8")).contains("fd12::1"))
        #expect(!(try #require(CIDR("fd00::/8")).contains("10.0.0.1")))
        #expect(CIDR("10.0.0.0/33") == nil)
        #expect(CIDR("not-an-ip") == nil)
    }

    @Test("X-Forwarded-For is believed only from trusted proxies")
    func forwarded() throws {
        let trusted = [try #require(CIDR("10.0.0.0/8"))]
        #expect(ClientAddress.resolve(peer: "203.0.113.9", forwardedFor: "1.2.3.4", trusted: trusted) == "203.0.113.9")
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: "1.2.3.4", trusted: trusted) == "1.2.3.4")
        // A client can prepend anything; the proxy appends what it saw.
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: "6.6.6.6, 1.2.3.4, 10.0.0.7", trusted: trusted) == "1.2.3.4")
        #expect(ClientAddress.resolve(peer: nil, forwardedFor: "1.2.3.4", trusted: trusted) == "unknown")
    }

    @Test("an X-Forwarded-For entry that is no address never resolves to the trusted proxy; ports are dropped")
    func forwardedOddities() throws {
        let trusted = [try #require(CIDR("10.0.0.0/8"))]
        for hop in ["unknown", "unix:", "_hidden"] {
            #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: "1.2.3.4, \(hop)", trusted: trusted) == ClientAddress.unparsable)
        }
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: "1.2.3.4:5678", trusted: trusted) == "1.2.3.4")
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: "[2001:db8::1]:443", trusted: trusted) == "2001:db8::1")
        // A dual-stack listener sees IPv4 loopback as ::ffff:127.0.0.1.
        #expect(try #require(CIDR("127.0.0.0/8")).contains("::ffff:127.0.0.1"))
        // Failures of one IPv6 subscriber count together, whatever address of its /64 it uses.
        #expect(ClientAddress.rateKey("2001:db8:1:2::1") == ClientAddress.rateKey("2001:db8:1:2:ffff:ffff:ffff:fffe"))
        #expect(ClientAddress.rateKey("2001:db8:1:3::1") != ClientAddress.rateKey("2001:db8:1:2::1"))
        #expect(ClientAddress.rateKey("203.0.113.9") == "203.0.113.9")
    }

    @Test("numbers in URLs have one spelling", arguments: ["01", "+2", " 2", "2 ", "0x10", "1e3", "١٢", ""])
    func numberSpelling(text: String) {
        #expect(RequestNumber.integer(text, in: 0...100_000) == nil)
    }

    @Test("ORDER_RATE_LIMIT syntax", arguments: [("20/min", 20, 60), ("5/s", 5, 1), ("100/h", 100, 3600)])
    func rateLimitSyntax(text: String, count: Int, seconds: Int64) {
        #expect(RateLimit.parse(text) == RateLimit(count: count, period: .seconds(seconds)))
    }

    @Test("a token bucket allows bursts up to the limit, then refills")
    func bucket() {
        let limiter = RateLimiter(RateLimit(count: 2, period: .seconds(10)))
        let start = ContinuousClock.now
        #expect(limiter.check("ip", now: start) == nil)
        #expect(limiter.check("ip", now: start) == nil)
        #expect(limiter.check("ip", now: start) == 5)
        #expect(limiter.check("other", now: start) == nil)
        #expect(limiter.check("ip", now: start + .seconds(5)) == nil)
    }

    @Test("a limiter remembers a bounded number of clients, however many addresses come")
    func limiterBudget() {
        let limiter = RateLimiter(RateLimit(count: 1, period: .seconds(3600)))
        let start = ContinuousClock.now
        for client in 0..<(RateLimiter.maxClients + 10_000) {
            _ = limiter.check("198.51.\(client >> 8).\(client & 255)", now: start + .milliseconds(client))
        }
        #expect(limiter.clientCount <= RateLimiter.maxClients)
        // The most recent client is still limited.
        #expect(limiter.check("198.51.\((RateLimiter.maxClients + 9_999) >> 8).\((RateLimiter.maxClients + 9_999) & 255)", now: start + .seconds(70)) != nil)
    }

    @Test("form tokens are valid in their window and the next, then expire")
    func tokens() {
        let clock = TestWallClock(start: Date(timeIntervalSince1970: 1_800_000_000))
        let tokens = FormTokens(secret: "s3cret", windowSeconds: 3600, clock: clock)
        let token = tokens.token()
        #expect(tokens.isValid(token))
        #expect(!FormTokens(secret: "other", windowSeconds: 3600, clock: clock).isValid(token))
        #expect(!tokens.isValid(token, purpose: "admin"))
        clock.advance(by: .seconds(3600))
        #expect(tokens.isValid(token))  // the next window still takes it
        clock.advance(by: .seconds(3600))
        #expect(!tokens.isValid(token))
    }

    @Test("mail settings: SMTP needs MAIL_TO; a bad SMTP_SECURITY names the variable")
    func mailSettings() throws {
        #expect(throws: ConfigurationError.self) { try AppConfiguration(environment: ["SMTP_HOST": "mail.example.ru", "SMTP_USER": "a@example.ru"]) }
        #expect {
            try AppConfiguration(environment: ["SMTP_HOST": "h", "SMTP_SECURITY": "tls", "MAIL_TO": "a@b.ru", "MAIL_FROM": "c@d.ru"])
        } throws: { error in
            (error as? ConfigurationError)?.variable == "SMTP_SECURITY"
        }
        let configuration = try AppConfiguration(environment: [
            "SMTP_HOST": "mail.nic.ru", "SMTP_SECURITY": "starttls", "SMTP_USER": "orders@example.ru", "SMTP_PASSWORD": "p",
            "MAIL_TO": "sales@example.ru, boss@example.ru",
        ])
        #expect(configuration.mail.smtp?.port == 587)
        #expect(configuration.mail.from.address == "orders@example.ru")
        #expect(configuration.mail.to.map(\.address) == ["sales@example.ru", "boss@example.ru"])
        #expect(try AppConfiguration(environment: [:]).mail.to.map(\.address) == ["orders@localhost"])
        #expect(try AppConfiguration(environment: ["ORDER_RATE_LIMIT": "off"]).orderRateLimit == nil)
        #expect(throws: ConfigurationError.self) { try AppConfiguration(environment: ["DATABASE_URL": "mysql://x"]) }
        #expect(throws: ConfigurationError.self) { try AppConfiguration(environment: ["INGEST_KEYS": "telegram"]) }
    }
}
