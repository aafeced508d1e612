import Foundation
import Hummingbird
import Synchronization

/// A loopback IndexNow endpoint following `Fixtures/../indexnow.md`: `POST /indexnow` with a
/// JSON body of `host`, `key`, `keyLocation` and `urlList`; it answers 422 for a body that is
/// not one, else 200 – or what the test queued (a 429 with `Retry-After`, a 503).
public final class FakeIndexNow: Sendable {
    public struct Submission: Sendable, Decodable {
        public var host: String
        public var key: String
        public var keyLocation: String?
        public var urlList: [String]
    }

    public struct Answer: Sendable {
        public var status: Int
        public var retryAfter: String?

        public init(status: Int, retryAfter: String? = nil) {
            self.status = status
            self.retryAfter = retryAfter
        }
    }

    struct State {
        var accepted: [Submission] = []
        /// Every POST, answered or refused, in order.
        var posts = 0
        var answers: [Answer] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// The next POSTs get these answers, one each, in order.
    public func answer(_ answers: Answer...) {
        state.withLock { $0.answers.append(contentsOf: answers) }
    }

    /// The batches answered 200.
    public var accepted: [Submission] { state.withLock { $0.accepted } }
    public var posts: Int { state.withLock { $0.posts } }

    public func run<Value: Sendable>(_ body: @Sendable (_ endpoint: String) async throws -> Value) async throws -> Value {
        let router = Router()
        router.post("/indexnow") { request, context -> Response in
            let bytes = try await request.body.collect(upTo: 4 << 20)
            let submission = try? JSONDecoder().decode(Submission.self, from: Data(buffer: bytes))
            let answer = self.state.withLock { state -> Answer in
                state.posts += 1
                if !state.answers.isEmpty { return state.answers.removeFirst() }
                guard let submission, !submission.urlList.isEmpty, submission.urlList.count <= 10_000,
                    submission.urlList.allSatisfy({ URL(string: $0)?.host == submission.host })
                else { return Answer(status: 422) }
                state.accepted.append(submission)
                return Answer(status: 200)
            }
            var headers: HTTPFields = [:]
            if let retryAfter = answer.retryAfter { headers[.retryAfter] = retryAfter }
            return Response(status: .init(code: answer.status), headers: headers)
        }
        return try await LoopbackServer.run(router, label: "fake-indexnow") { url in try await body(url + "/indexnow") }
    }
}
