import Foundation
import KeywayRuntime

/// Who a request is for, from its `Authorization: Bearer` token. An app gives its own
/// check (verify the JWT, then `Tenant(claims:)`); `StaticTokenAuthenticator` is for local
/// use. No tool call runs without the tenant this returns, and it is the only source of
/// the tenant: arguments cannot name one, nor a connection.
public protocol MCPAuthenticator: Sendable {
    /// The tenant of a bearer token; nil when the token is not valid (the request is
    /// refused with 401). A thrown error refuses it too.
    func tenant(forBearerToken token: String) async throws -> Tenant?

    /// The token's tenant, or why it is refused: an invalid token is a 401, a valid one
    /// without a scope the server requires a 403 (RFC 6750). The default asks
    /// `tenant(forBearerToken:)`.
    func check(bearerToken token: String) async -> BearerCheck
}

extension MCPAuthenticator {
    public func check(bearerToken token: String) async -> BearerCheck {
        guard let tenant = try? await tenant(forBearerToken: token) else {
            return .invalid("the bearer token is not valid here; use a token this server knows (a new one if it expired)")
        }
        return .tenant(tenant)
    }
}

/// What a bearer token is worth to the server.
public enum BearerCheck: Sendable, Equatable {
    /// Valid: the request runs as this tenant.
    case tenant(Tenant)
    /// Not valid (401 `invalid_token`), and why, in words safe to show the client.
    case invalid(String)
    /// Valid, but it lacks scopes the server requires (403 `insufficient_scope`).
    case insufficientScope(required: [String])
}

/// Fixed tokens, each standing for one owner (a user on their own): for local use and
/// tests, never for production, where tokens expire and are signed.
public struct StaticTokenAuthenticator: MCPAuthenticator {
    let tokens: [(token: [UInt8], owner: String)]

    /// - Parameter tokens: token → owner.
    public init(tokens: [String: String]) {
        self.tokens = tokens.map { (Array($0.key.utf8), $0.value) }
    }

    public func tenant(forBearerToken token: String) async throws -> Tenant? {
        let presented = Array(token.utf8)
        var match: String?
        // Every token is compared in full, so the time taken tells nothing of how much of
        // one matched.
        for entry in tokens where Self.equal(entry.token, presented) && !presented.isEmpty { match = entry.owner }
        return match.map { Tenant(user: $0) }
    }

    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }

    /// Reads token → owner from a JSON object (`{"TOKEN": "OWNER", …}`), refusing empty
    /// tokens and owners with a message that says what to fix.
    public static func parse(_ data: Data, source: String) throws -> StaticTokenAuthenticator {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw MCPConfigurationError("\(source): expected a JSON object of token → owner, like {\"a-long-random-token\": \"user-1\"}")
        }
        var tokens: [String: String] = [:]
        for (token, value) in object {
            guard let owner = value as? String, !owner.isEmpty else { throw MCPConfigurationError("\(source): the owner of a token must be a non-empty string") }
            guard token.count >= 16 else { throw MCPConfigurationError("\(source): the token of owner '\(owner)' is shorter than 16 characters; use a long random one (openssl rand -hex 32)") }
            tokens[token] = owner
        }
        if tokens.isEmpty { throw MCPConfigurationError("\(source): no tokens; add one per user, like {\"a-long-random-token\": \"user-1\"}") }
        return StaticTokenAuthenticator(tokens: tokens)
    }
}

/// A configuration that cannot be used, with what to fix.
public struct MCPConfigurationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
