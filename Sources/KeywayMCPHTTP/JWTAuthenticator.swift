import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import JWTKit
import KeywayContract
import KeywayMCP
import KeywayRuntime

/// Bearer tokens that are JWTs of the team's identity provider (Clerk, Supabase Auth, any
/// OIDC issuer): the signature checked by JWTKit against the issuer's published keys (its
/// JWKS, fetched, cached, and fetched again when a token names a key it does not hold, as
/// after a rotation), then `iss`, `aud` (this server's resource URI, or the audiences
/// given), `exp` and `nbf` with a small leeway, and the scopes the server requires. The
/// tenant is read at keyway.yaml's `tenancy:` claim paths, as the database reads them.
///
/// Only asymmetric signatures are accepted (RS*, PS*, ES*, EdDSA): `alg: none` and
/// HMAC (which would take a public key for a shared secret) never are, and a token's
/// `alg` must be its key's when the key names one.
public actor JWTAuthenticator: MCPAuthenticator {
    public struct Configuration: Sendable {
        /// The issuer, exactly as tokens carry it in `iss`.
        public var issuer: String
        /// Where the issuer publishes its keys.
        public var jwksURL: URL
        /// Accepted `aud` values (a token must name one): the server's resource URI, and any
        /// the identity provider puts there instead (Supabase Auth: `authenticated`).
        public var audiences: [String]
        /// Scopes every token must carry (`scope`, space-separated, or `scp`).
        public var requiredScopes: [String]
        /// Clock skew allowed on `exp` and `nbf`.
        public var leeway: TimeInterval
        /// How long fetched keys are used before they are fetched again.
        public var keysLifetime: TimeInterval
        /// The least time between two fetches caused by an unknown key id (a flood of
        /// forged key ids cannot make the server hammer the issuer).
        public var refetchInterval: TimeInterval
        /// keyway.yaml's `tenancy:` claim paths.
        public var userClaims: [[String]]
        public var organizationClaims: [[String]]

        public init(issuer: String, jwksURL: URL, audiences: [String], requiredScopes: [String] = [], leeway: TimeInterval = 60,
                    keysLifetime: TimeInterval = 600, refetchInterval: TimeInterval = 30,
                    userClaims: [[String]] = ClaimPaths.defaultUser, organizationClaims: [[String]] = ClaimPaths.defaultOrganization) {
            self.issuer = issuer
            self.jwksURL = jwksURL
            self.audiences = audiences
            self.requiredScopes = requiredScopes
            self.leeway = leeway
            self.keysLifetime = keysLifetime
            self.refetchInterval = refetchInterval
            self.userClaims = userClaims
            self.organizationClaims = organizationClaims
        }
    }

    public let configuration: Configuration
    let transport: any HTTPTransport
    var keys: (collection: JWTKeyCollection, algorithms: [String: String?])?
    var fetched: Date?
    var attempted: Date?

    static let algorithms: Set<String> = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]

    public init(_ configuration: Configuration, transport: any HTTPTransport = URLSessionTransport(timeout: 10, maximumResponseBytes: 1 << 20)) {
        self.configuration = configuration
        self.transport = transport
    }

    /// The issuer's JWKS address from its OpenID configuration
    /// (`ISSUER/.well-known/openid-configuration`), which must name the same issuer.
    public static func discoverKeys(issuer: String, transport: any HTTPTransport = URLSessionTransport(timeout: 10, maximumResponseBytes: 1 << 20)) async throws -> URL {
        let trimmed = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        guard let url = URL(string: trimmed + "/.well-known/openid-configuration") else { throw MCPConfigurationError("the issuer '\(issuer)' is not a URL") }
        let response: KeywayRuntime.HTTPResponse
        do {
            response = try await transport.send(HTTPRequest(method: "GET", url: url, headers: [("Accept", "application/json")], body: nil))
        } catch {
            let reason = (error as NSError).userInfo[NSLocalizedDescriptionKey] as? String ?? "\(error)"
            throw MCPConfigurationError("cannot read \(url.absoluteString) (\(reason)); check --issuer, or give the keys' address with --jwks-url")
        }
        guard response.status == 200, let document = try? JSONValue(json: response.body) else {
            throw MCPConfigurationError("\(url.absoluteString) answered HTTP \(response.status) without an OpenID configuration; check --issuer, or give the keys' address with --jwks-url")
        }
        guard document["issuer"] == .string(issuer) else {
            throw MCPConfigurationError("\(url.absoluteString) names issuer \(document["issuer"].map { "\($0)" } ?? "none"), not '\(issuer)'; pass --issuer exactly as the tokens' iss claim")
        }
        guard case .string(let jwks)? = document["jwks_uri"], let jwksURL = URL(string: jwks), ["https", "http"].contains(jwksURL.scheme) else {
            throw MCPConfigurationError("\(url.absoluteString) names no jwks_uri; give the keys' address with --jwks-url")
        }
        return jwksURL
    }

    public func tenant(forBearerToken token: String) async throws -> Tenant? {
        if case .tenant(let tenant) = await check(bearerToken: token) { return tenant }
        return nil
    }

    public func check(bearerToken token: String) async -> BearerCheck {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count <= 16 * 1024, let headerBytes = Self.base64URL(parts[0]),
              let header = try? JSONValue(json: headerBytes), case .string(let alg)? = header["alg"] else {
            return .invalid("the bearer token is not a JWT")
        }
        guard Self.algorithms.contains(alg) else {
            return .invalid("tokens signed with \(alg == "none" ? "no signature" : "'\(alg.prefix(16))'") are not accepted; the issuer's keys sign with RS256, ES256 or another public-key algorithm")
        }
        var kid: String?
        if case .string(let named)? = header["kid"] { kid = named }
        guard let set = await keySet(for: kid) else {
            return .invalid("the issuer's keys could not be fetched; try again in a moment")
        }
        if let kid {
            guard let keyAlgorithm = set.algorithms[kid] else { return .invalid("the token names a key the issuer does not publish") }
            if let keyAlgorithm, keyAlgorithm != alg { return .invalid("the token's algorithm is not its key's") }
        } else if set.algorithms.count != 1 {
            return .invalid("the token names no key (kid) and the issuer publishes several")
        }
        let payload: VerifiedClaims
        do {
            payload = try await set.collection.verify(token, as: VerifiedClaims.self)
        } catch {
            return .invalid("the token's signature is not valid")
        }
        return judge(payload.claims, now: Date())
    }

    /// The checks after the signature: issuer, audience, lifetime, scopes, tenant.
    func judge(_ claims: JSONValue, now: Date) -> BearerCheck {
        let c = configuration
        guard claims["iss"] == .string(c.issuer) else { return .invalid("the token is from another issuer") }
        let audiences: [String] = switch claims["aud"] {
        case .string(let one)?: [one]
        case .array(let many)?: many.compactMap { if case .string(let s) = $0 { s } else { nil } }
        default: []
        }
        guard audiences.contains(where: c.audiences.contains) else { return .invalid("the token is for another audience, not this server") }
        guard case .number(let exp)? = claims["exp"] else { return .invalid("the token has no expiry (exp)") }
        guard now.timeIntervalSince1970 < exp + c.leeway else { return .invalid("the token has expired; get a new one") }
        if case .number(let nbf)? = claims["nbf"], now.timeIntervalSince1970 + c.leeway < nbf { return .invalid("the token is not valid yet (nbf)") }
        var granted: Set<String> = []
        if case .string(let scope)? = claims["scope"] { granted.formUnion(scope.split(separator: " ").map(String.init)) }
        switch claims["scp"] {
        case .string(let scope)?: granted.formUnion(scope.split(separator: " ").map(String.init))
        case .array(let items)?: granted.formUnion(items.compactMap { if case .string(let s) = $0 { s } else { nil } })
        default: break
        }
        guard let tenant = Tenant(claims: claims, user: c.userClaims, organization: c.organizationClaims) else {
            return .invalid("the token names no user at the claims keyway.yaml's tenancy names")
        }
        if !c.requiredScopes.allSatisfy(granted.contains) { return .insufficientScope(required: c.requiredScopes) }
        return .tenant(tenant)
    }

    /// The keys, fetched when there are none, when they are older than their lifetime,
    /// or when the token names a key they lack; never more than once per
    /// `refetchInterval` (once a second while there are none), so forged key ids cannot
    /// make the server hammer the issuer. Old keys serve while the issuer cannot be reached.
    func keySet(for kid: String?) async -> (collection: JWTKeyCollection, algorithms: [String: String?])? {
        let now = Date()
        let sinceAttempt = attempted.map { now.timeIntervalSince($0) } ?? .infinity
        let sinceFetch = fetched.map { now.timeIntervalSince($0) } ?? .infinity
        let unknown = kid.map { keys?.algorithms[$0] == nil } ?? false
        let wanted = keys == nil || sinceFetch > configuration.keysLifetime || unknown
        if wanted, sinceAttempt > (keys == nil ? 1 : configuration.refetchInterval) {
            attempted = now
            if let fresh = await fetchKeys() {
                keys = fresh
                fetched = now
            }
        }
        return keys
    }

    /// Fetches the keys now: false when the issuer gave none (a server checks this
    /// before it starts).
    public func loadKeys() async -> Bool {
        attempted = Date()
        guard let fresh = await fetchKeys() else { return false }
        keys = fresh
        fetched = attempted
        return true
    }

    func fetchKeys() async -> (collection: JWTKeyCollection, algorithms: [String: String?])? {
        guard let response = try? await transport.send(HTTPRequest(method: "GET", url: configuration.jwksURL, headers: [("Accept", "application/json")], body: nil)),
              response.status == 200, case .array(let listed)? = (try? JSONValue(json: response.body))?["keys"] else { return nil }
        let collection = JWTKeyCollection()
        var algorithms: [String: String?] = [:]
        for entry in listed {
            // Public keys only, each with an id; a symmetric ("oct") key is never taken.
            guard case .string(let kid)? = entry["kid"], case .string(let kty)? = entry["kty"], ["RSA", "EC", "OKP"].contains(kty),
                  entry["d"] == nil, let data = try? JSONEncoder().encode(entry), let jwk = try? JSONDecoder().decode(JWK.self, from: data),
                  (try? await collection.add(jwk: jwk)) != nil else { continue }
            if case .string(let alg)? = entry["alg"] { algorithms[kid] = alg } else { algorithms[kid] = .some(nil) }
        }
        return algorithms.isEmpty ? nil : (collection, algorithms)
    }

    static func base64URL(_ text: Substring) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }
}

/// A verified token's claims, whole: keyway reads the standard ones itself, and the
/// tenant's at the configured paths.
struct VerifiedClaims: JWTPayload {
    var claims: JSONValue
    init(from decoder: any Decoder) throws { claims = try JSONValue(from: decoder) }
    func encode(to encoder: any Encoder) throws { try claims.encode(to: encoder) }
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// RFC 9728's protected resource metadata: what a client fetches to learn which
/// authorization server issues tokens for this server.
public struct ProtectedResource: Sendable, Equatable {
    /// The server's resource URI (its MCP endpoint, e.g. `https://mcp.example.com/mcp`).
    public var resource: URL
    /// The issuers whose tokens are accepted.
    public var authorizationServers: [String]
    /// The scopes the server requires.
    public var scopes: [String]

    public init(resource: URL, authorizationServers: [String], scopes: [String] = []) {
        self.resource = resource
        self.authorizationServers = authorizationServers
        self.scopes = scopes
    }

    /// Where the metadata is served: `/.well-known/oauth-protected-resource` followed by
    /// the resource's path (RFC 9728 §3.1).
    public var metadataPath: String {
        let path = resource.path
        return "/.well-known/oauth-protected-resource" + (path == "/" ? "" : path)
    }

    /// The metadata's absolute URL, as `WWW-Authenticate` names it.
    public var metadataURL: String {
        var components = URLComponents(url: resource, resolvingAgainstBaseURL: false)!
        components.path = metadataPath
        components.query = nil
        components.fragment = nil
        return components.string!
    }

    /// The metadata document.
    public var document: JSONValue {
        var fields: [String: JSONValue] = [
            "resource": .string(resource.absoluteString),
            "authorization_servers": .array(authorizationServers.map(JSONValue.string)),
            "bearer_methods_supported": .array([.string("header")]),
            "resource_name": .string("keyway MCP server"),
        ]
        if !scopes.isEmpty { fields["scopes_supported"] = .array(scopes.map(JSONValue.string)) }
        return .object(fields)
    }
}
