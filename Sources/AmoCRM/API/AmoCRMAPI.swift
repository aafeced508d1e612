import AsyncHTTPClient
import CoreMetrics
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// amoCRM API v4 over HTTP: Bearer tokens from the token manager (one retry after a 401
/// with a fresh token), the shared pace, and errors mapped to what the outbox needs.
public struct AmoCRMAPI: Sendable {
    public struct Reply: Sendable {
        public var status: Int
        public var body: ByteBuffer

        public var json: Any? {
            body.readableBytes == 0 ? nil : try? JSONSerialization.jsonObject(with: Data(buffer: body))
        }
    }

    let configuration: AmoCRMConfiguration
    let httpClient: HTTPClient
    let tokens: TokenManager
    let pacer: RequestPacer<ContinuousClock>
    let timeout: TimeAmount
    private let metrics: any MetricsFactory
    private let rateLimited: Counter

    public init(
        configuration: AmoCRMConfiguration, httpClient: HTTPClient, tokens: TokenManager, pacer: RequestPacer<ContinuousClock> = RequestPacer(),
        timeout: TimeAmount = .seconds(20), metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.tokens = tokens
        self.pacer = pacer
        self.timeout = timeout
        self.metrics = metrics
        rateLimited = Counter(label: "amocrm_rate_limited_total", factory: metrics)
    }

    /// One request by its status class (`2xx`…`5xx`, or `error` when there was no answer).
    private func count(status: Int?) {
        let statusClass = status.map { "\(min(max($0 / 100, 1), 5))xx" } ?? "error"
        Counter(label: "amocrm_requests_total", dimensions: [("status", statusClass)], factory: metrics).increment()
        if status == 429 { rateLimited.increment() }
    }

    public func get(_ path: String, query: [String: String] = [:], priority: RequestPacer<ContinuousClock>.Priority = .leads) async throws(AmoCRMError) -> Reply {
        var components = URLComponents()
        components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        // `+` in a phone number must not turn into a space on the server.
        let encoded = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        return try await send(.GET, path + (encoded.isEmpty ? "" : "?" + encoded), body: nil, priority: priority)
    }

    public func post(_ path: String, json: Any, priority: RequestPacer<ContinuousClock>.Priority = .leads) async throws(AmoCRMError) -> Reply {
        guard let body = try? JSONSerialization.data(withJSONObject: json, options: [.withoutEscapingSlashes]) else {
            throw .invalidResponse("request body is not JSON")
        }
        return try await send(.POST, path, body: body, priority: priority)
    }

    public func delete(_ path: String, json: Any, priority: RequestPacer<ContinuousClock>.Priority = .leads) async throws(AmoCRMError) -> Reply {
        guard let body = try? JSONSerialization.data(withJSONObject: json, options: [.withoutEscapingSlashes]) else {
            throw .invalidResponse("request body is not JSON")
        }
        return try await send(.DELETE, path, body: body, priority: priority)
    }

    private func send(
        _ method: HTTPMethod, _ path: String, body: Data?, priority: RequestPacer<ContinuousClock>.Priority
    ) async throws(AmoCRMError) -> Reply {
        var token: String
        do {
            token = try await tokens.accessToken()
        } catch let error as AmoCRMError {
            throw error
        } catch {
            throw .unavailable("tokens: \(error)")
        }
        for attempt in 0..<2 {
            await pacer.start(priority: priority)
            defer { pacer.end() }
            var request = HTTPClientRequest(url: configuration.baseURL + path)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Accept", value: "application/hal+json, application/json")
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            let reply: Reply
            do {
                let response = try await httpClient.execute(request, timeout: timeout)
                reply = Reply(status: Int(response.status.code), body: try await response.body.collect(upTo: 8 << 20))
                count(status: reply.status)
            } catch {
                count(status: nil)
                // The request may have reached amoCRM: the outcome is unknown.
                throw .unavailable("\(method) \(path.split(separator: "?")[0]): \(type(of: error))")
            }
            switch reply.status {
            case 401 where attempt == 0:
                do {
                    token = try await tokens.tokenRejected(token)
                } catch let error as AmoCRMError {
                    throw error
                } catch {
                    throw .unavailable("tokens: \(error)")
                }
            case 401:
                throw .needsReauthorization("amoCRM отклоняет и обновлённый токен")
            case 429:
                throw .rateLimited
            case 500...599:
                throw .unavailable("\(method) \(path.split(separator: "?")[0]) answered \(reply.status)")
            default:
                return reply
            }
        }
        throw .needsReauthorization("amoCRM отклоняет токен")
    }
}
