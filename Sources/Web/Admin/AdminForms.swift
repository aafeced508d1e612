import Crypto
import Foundation
import Hummingbird

/// Admin forms carry a token bound to the admin's credential (a per-session token: Basic
/// auth has no other session), so another site cannot make the browser post them.
struct AdminForms: Sendable {
    let tokens: FormTokens

    func purpose(_ request: Request) -> String {
        let credential = AdminGuard.credential(request.headers[.authorization]) ?? ""
        let digest = SHA256.hash(data: Data(("admin|" + credential).utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        return "admin:" + digest
    }

    func token(_ request: Request) -> String {
        tokens.token(purpose: purpose(request))
    }

    /// Whether the posted `fields` carry this admin's token.
    func isValid(_ fields: [String: String], _ request: Request) -> Bool {
        tokens.isValid(fields["csrf"], purpose: purpose(request))
    }

    /// Reads the posted form: whether it carries this admin's token.
    func isValidPost(_ request: Request, context: AppRequestContext) async throws -> Bool {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        return isValid(FormURLEncoded.decode(String(buffer: body)), request)
    }
}
