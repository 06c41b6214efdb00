import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KeywayMCP
@testable import KeywayMCPHTTP
import KeywayRuntime
import Testing

/// A test identity provider: a loopback server publishing its OpenID configuration and
/// JWKS, and tokens signed by PyJWT (Tests/Fixtures/mcp/issuer.py), the reference Python
/// implementation, forgeries included.
final class TestIssuer: @unchecked Sendable {
    let server: StubNango
    private(set) var tokens: [String: String] = [:]
    private var all: JSON = .null
    private let lock = NSLock()
    private var published: JSON = .obj(["keys": .array([])])
    private var keyFetches = 0
    var url: String { server.baseURL.absoluteString }

    init(keys: [JSON], tokens plans: [JSON], in dir: TempDir) throws {
        server = try StubNango()
        server.onRequest { [unowned self] request in
            switch request.path {
            case "/.well-known/openid-configuration":
                return .init(body: String(decoding: JSON.obj(["issuer": self.url.json, "jwks_uri": (self.url + "/jwks").json]).jsonData, as: UTF8.self))
            case "/jwks":
                return self.lock.withLock {
                    self.keyFetches += 1
                    if self.down { return .init(status: 503, body: "{}") }
                    return .init(body: String(decoding: self.published.jsonData, as: UTF8.self))
                }
            default:
                return .init(status: 404, body: "{}")
            }
        }
        let name = UUID().uuidString + ".issuer.json"
        dir.write(name, JSON.obj(["issuer": url.json, "keys": .array(keys), "tokens": .array(plans)]).jsonData)
        let run = Python.run([packageRoot.appendingPathComponent("Tests/Fixtures/mcp/issuer.py").path, dir.path + "/" + name])
        guard run.status == 0, let made = try? JSON(json: Data(run.output.utf8)), case .object(let signed)? = made["tokens"],
              let jwks = made["jwks"], let all = made["all"] else {
            throw ChildError("issuer.py failed: \(run.output)")
        }
        tokens = signed.compactMapValues(\.string)
        self.all = all
        published = jwks
    }

    /// Publishes these of the keys made (a rotation: the new key appears beside the old).
    func publish(_ kids: [String]) {
        lock.withLock { published = .obj(["keys": .array((all["keys"]?.array ?? []).filter { kids.contains($0["kid"]?.string ?? "") })]) }
    }
    /// Whether the JWKS answers 503 (the issuer unreachable).
    func failing(_ on: Bool) { lock.withLock { down = on } }
    var fetches: Int { lock.withLock { keyFetches } }
    private var down = false

    static func token(_ name: String, kid: String = "k1", forge: String? = nil, audience: String = MCPSignInTests.resource, _ extra: [String: JSON] = [:]) -> JSON {
        let claims: [String: JSON] = ["iss": "$issuer".json, "aud": audience.json, "sub": "user-a".json, "exp": .obj(["now+": .number(300)]), "iat": .obj(["now+": .number(0)])]
        return .obj(["name": name.json, "kid": kid.json, "forge": forge.map(JSON.string) ?? .null, "claims": .object(claims.merging(extra) { $1 })])
    }
}

@Suite("MCP sign-in: JWTs of an identity provider, RFC 9728 metadata, WWW-Authenticate", .serialized)
struct MCPSignInTests {
    static let resource = "https://mcp.keyway.test/mcp"
    static let metadataURL = "https://mcp.keyway.test/.well-known/oauth-protected-resource/mcp"
    static let keys: [JSON] = [.obj(["kid": "k1".json, "kty": "RSA".json]), .obj(["kid": "k2".json, "kty": "EC".json]),
                               .obj(["kid": "k3".json, "kty": "RSA".json, "publish": .bool(false)])]
    static let scoped: [String: JSON] = ["scope": "openid mcp:tools".json]

    @Test("keyway mcp --http --issuer: a JWT signed by the issuer's published key runs as its tenant; every forgery and misfit is a 401 saying why; a missing scope is a 403; the metadata leads to the issuer's keys")
    func issuerTokens() async throws {
        try #require(Python.require(["mcp", "jwt", "cryptography"]))
        let dir = TempDir()
        let stub = try MCPFixture.stub(held: dir.path + "/held")
        func token(_ name: String, kid: String = "k1", forge: String? = nil, audience: String = MCPSignInTests.resource, _ extra: [String: JSON] = [:]) -> JSON {
            TestIssuer.token(name, kid: kid, forge: forge, audience: audience, extra)
        }
        let issuer = try TestIssuer(keys: Self.keys, tokens: [
            token("valid", Self.scoped),
            token("valid-ec", kid: "k2", Self.scoped),
            token("supabase-audience", audience: "authenticated", Self.scoped),
            token("in-an-organisation", Self.scoped.merging(["o": .obj(["id": "org-1".json])]) { $1 }),
            token("no-scope"),
            token("expired", Self.scoped.merging(["exp": .obj(["now+": .number(-3600)])]) { $1 }),
            token("not-yet", Self.scoped.merging(["nbf": .obj(["now+": .number(3600)])]) { $1 }),
            token("no-expiry", Self.scoped.merging(["exp": .null]) { $1 }),
            token("wrong-audience", audience: "https://other.example/mcp", Self.scoped),
            token("wrong-issuer", Self.scoped.merging(["iss": "https://evil.example".json]) { $1 }),
            token("unknown-key", kid: "k3", Self.scoped),
            token("alg-none", forge: "none", Self.scoped),
            token("hs256-public-key", forge: "hs256-public-key", Self.scoped),
            token("no-user", Self.scoped.merging(["sub": "".json]) { $1 }),
        ], in: dir)
        dir.write("connections.json", JSON.obj(["user-a": .obj(["slack": "conn-a-slack".json]), "org-1": .obj(["slack": "conn-org-slack".json])]).jsonData)
        let server = try Child.start([KeywayRun.binary.path, "mcp", "--manifests", MCPFixture.manifests, "--connections", dir.path + "/connections.json", "--http", "0",
                                      "--issuer", issuer.url, "--resource", Self.resource, "--audience", "authenticated", "--required-scope", "mcp:tools"],
                                     environment: ["NANGO_SECRET_KEY": MCPFixture.secret, "KEYWAY_NANGO_URL": stub.baseURL.absoluteString],
                                     stdout: dir.path + "/server.out", stderr: dir.path + "/server.err")
        let started = await server.waitForError(containing: "/mcp\n")
        let port = try #require(started.components(separatedBy: "\n").first { $0.hasPrefix("keyway mcp: serving 14 tools on http://127.0.0.1:") }?
            .replacingOccurrences(of: "keyway mcp: serving 14 tools on http://127.0.0.1:", with: "").replacingOccurrences(of: "/mcp", with: ""), "\(started)")
        #expect(started.contains("keyway mcp: accepting JWTs of \(issuer.url) for \(Self.resource) (keys: \(issuer.url)/jwks)\n"))
        let url = "http://127.0.0.1:\(port)/mcp"

        let initialize: JSON = .obj(["jsonrpc": "2.0".json, "id": .number(1), "method": "initialize".json,
                                     "params": .obj(["protocolVersion": "2025-06-18".json, "capabilities": .obj([:]), "clientInfo": .obj(["name": "raw".json, "version": "0".json])])])
        func raw(_ token: String?, host: String? = nil) -> JSON {
            var headers: [String: JSON] = ["Accept": "application/json, text/event-stream".json, "MCP-Protocol-Version": "2025-06-18".json]
            if let token { headers["Authorization"] = ("Bearer " + token).json }
            if let host { headers["Host"] = host.json }
            return .obj(["op": "raw".json, "headers": .object(headers), "body": initialize, "show": .array(["www-authenticate".json])])
        }
        let names = ["valid", "valid-ec", "supabase-audience", "no-scope", "expired", "not-yet", "no-expiry", "wrong-audience", "wrong-issuer",
                     "unknown-key", "alg-none", "hs256-public-key", "no-user"]
        let steps = [raw(nil), raw("not.a.jwt")] + names.map { raw(issuer.tokens[$0]!) } + [raw(issuer.tokens["valid"]!, host: "evil.example"), raw(issuer.tokens["valid"]!, host: "mcp.keyway.test")]
        let answers = try #require(try await MCPClient.run(.obj(["transport": "http".json, "url": url.json, "steps": .array(steps)]), in: dir)["raw"]?.array)
        let challenge = #"Bearer realm="keyway", resource_metadata="\#(Self.metadataURL)", scope="mcp:tools""#
        func refused(_ status: Int, _ message: String, _ header: String?) -> String {
            "\(status) \(header ?? "-") \(message)"
        }
        func seen(_ answer: JSON) -> String {
            guard case .number(let code)? = answer["status"] else { return "\(answer)" }
            let status = Int(code)
            if status == 200 { return "200 session \(answer["session"]?.string != nil)" }
            return "\(status) \(answer["headers"]?["www-authenticate"]?.string ?? "-") \(answer["body"]?["error"]?["message"]?.string ?? "\(answer)")"
        }
        let invalid = challenge + #", error="invalid_token""#
        #expect(answers.map(seen) == [
            refused(401, "Invalid Request: Unauthorized: send 'Authorization: Bearer <token>' with a token this server knows", challenge),
            refused(401, "Invalid Request: Unauthorized: the bearer token is not a JWT", invalid),
            "200 session true",
            "200 session true",
            "200 session true",
            refused(403, "Invalid Request: Forbidden: the token lacks the scopes this server requires (mcp:tools); sign in again granting them",
                    #"Bearer realm="keyway", error="insufficient_scope", scope="mcp:tools", resource_metadata="\#(Self.metadataURL)""#),
            refused(401, "Invalid Request: Unauthorized: the token has expired; get a new one", invalid),
            refused(401, "Invalid Request: Unauthorized: the token is not valid yet (nbf)", invalid),
            refused(401, "Invalid Request: Unauthorized: the token has no expiry (exp)", invalid),
            refused(401, "Invalid Request: Unauthorized: the token is for another audience, not this server", invalid),
            refused(401, "Invalid Request: Unauthorized: the token is from another issuer", invalid),
            refused(401, "Invalid Request: Unauthorized: the token names a key the issuer does not publish", invalid),
            refused(401, "Invalid Request: Unauthorized: tokens signed with no signature are not accepted; the issuer's keys sign with RS256, ES256 or another public-key algorithm", invalid),
            refused(401, "Invalid Request: Unauthorized: tokens signed with 'HS256' are not accepted; the issuer's keys sign with RS256, ES256 or another public-key algorithm", invalid),
            refused(401, "Invalid Request: Unauthorized: the token names no user at the claims keyway.yaml's tenancy names", invalid),
            // DNS rebinding: a Host this server is not.
            "421 - Invalid Request: Misdirected Request: Host header not allowed",
            "200 session true",
        ])
        #expect(stub.requests.isEmpty, "no request reached Nango")

        // The SDK's own session with a valid token: the tools run as the token's tenant;
        // in an organisation (Clerk's o.id), as the organisation.
        for (name, connection) in [("valid", "conn-a-slack"), ("in-an-organisation", "conn-org-slack")] {
            let output = try await MCPClient.run(.obj(["transport": "http".json, "url": url.json, "token": issuer.tokens[name]!.json,
                                                       "steps": .array([MCPFixture.call("slack_list_users", .obj([:]))])]), in: dir)
            #expect(output["steps"] == .array([MCPFixture.success("slack_list_users")]), "\(name): \(output)")
            #expect(stub.requests.last.map { "\($0.target) \($0.header("Connection-Id") ?? "-")" } == "/proxy/users.list?limit=100 \(connection)")
        }

        // RFC 9728: the metadata the challenge names, served at the resource's well-known
        // path, leads to the issuer, whose configuration leads to the keys.
        let (metadata, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/.well-known/oauth-protected-resource/mcp")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(try JSON(json: metadata) == .obj(["resource": Self.resource.json, "authorization_servers": .array([issuer.url.json]),
                                                  "bearer_methods_supported": .array(["header".json]), "resource_name": "keyway MCP server".json,
                                                  "scopes_supported": .array(["mcp:tools".json])]))
        let server0 = try #require(try JSON(json: metadata)["authorization_servers"]?.array?.first?.string)
        let (configuration, _) = try await URLSession.shared.data(from: URL(string: server0 + "/.well-known/openid-configuration")!)
        #expect(try JSON(json: configuration)["jwks_uri"]?.string == issuer.url + "/jwks")
        #expect(await server.stop() == 0)
    }

    @Test("JWTAuthenticator: exp and nbf hold with 60 s of leeway for clock skew, and not beyond")
    func leeway() async {
        let authenticator = JWTAuthenticator(.init(issuer: "https://id.example", jwksURL: URL(string: "https://id.example/jwks")!, audiences: [Self.resource]))
        let now = Date(timeIntervalSince1970: 2_000_000_000)
        func judged(_ extra: [String: JSON]) async -> String {
            let claims = JSON.object(["iss": "https://id.example".json, "aud": Self.resource.json, "sub": "user-a".json, "exp": .number(now.timeIntervalSince1970 + 300)].merging(extra) { $1 })
            switch await authenticator.judge(claims, now: now) {
            case .tenant(let tenant): return "tenant \(tenant.user)"
            case .invalid(let why): return why
            case .insufficientScope: return "scope"
            }
        }
        let t = now.timeIntervalSince1970
        #expect(await judged(["exp": .number(t - 59)]) == "tenant user-a")
        #expect(await judged(["exp": .number(t - 61)]) == "the token has expired; get a new one")
        #expect(await judged(["nbf": .number(t + 59)]) == "tenant user-a")
        #expect(await judged(["nbf": .number(t + 61)]) == "the token is not valid yet (nbf)")
    }

    @Test("JWTAuthenticator: a rotated key is fetched when a token names it, at most once per interval however many forged key ids arrive; an unreachable issuer leaves the old keys serving")
    func keyRotation() async throws {
        try #require(Python.require(["jwt", "cryptography"]))
        let dir = TempDir()
        func token(_ name: String, kid: String = "k1", forge: String? = nil, audience: String = MCPSignInTests.resource, _ extra: [String: JSON] = [:]) -> JSON {
            TestIssuer.token(name, kid: kid, forge: forge, audience: audience, extra)
        }
        let keys: [JSON] = [.obj(["kid": "k1".json, "kty": "RSA".json]), .obj(["kid": "k2".json, "kty": "EC".json, "publish": .bool(false)]),
                            .obj(["kid": "k3".json, "kty": "RSA".json, "publish": .bool(false)])]
        let issuer = try TestIssuer(keys: keys, tokens: [token("old", Self.scoped), token("rotated", kid: "k2", Self.scoped), token("forged", kid: "k3", Self.scoped)], in: dir)
        let authenticator = JWTAuthenticator(.init(issuer: issuer.url, jwksURL: URL(string: issuer.url + "/jwks")!, audiences: [Self.resource],
                                                   keysLifetime: 1.5, refetchInterval: 0.5))
        func check(_ name: String) async -> String {
            switch await authenticator.check(bearerToken: issuer.tokens[name]!) {
            case .tenant(let tenant): "tenant \(tenant.owner)/\(tenant.user)"
            case .invalid(let why): why
            case .insufficientScope(let scopes): "scopes \(scopes)"
            }
        }
        let unknown = "the token names a key the issuer does not publish"
        let loaded = Date()
        #expect(await authenticator.loadKeys())
        #expect(await check("old") == "tenant user-a/user-a")
        // k2 is not published yet, and the keys were fetched a moment ago: no fetch (unless
        // a loaded machine took longer than the interval to get here: then one).
        #expect(await check("rotated") == unknown)
        let withinInterval = Date().timeIntervalSince(loaded) < 0.5
        let beforeRotation = issuer.fetches
        #expect(withinInterval ? beforeRotation == 1 : (1...2).contains(beforeRotation), "\(beforeRotation) fetches")
        // The issuer rotates: k2 appears; the next token naming it, past the interval, fetches.
        issuer.publish(["k1", "k2"])
        try await Task.sleep(for: .milliseconds(600))
        #expect(await check("rotated") == "tenant user-a/user-a")
        #expect(issuer.fetches == beforeRotation + 1)
        // A flood of tokens naming a key that does not exist: one fetch per interval at most
        // (counted against the time the flood took, which a loaded machine stretches).
        let floodStart = Date(), fetchesBefore = issuer.fetches
        var floods: Set<String> = []
        for _ in 0..<50 { floods.insert(await check("forged")) }
        try await Task.sleep(for: .milliseconds(600))
        for _ in 0..<50 { floods.insert(await check("forged")) }
        let intervals = Int(Date().timeIntervalSince(floodStart) / 0.5)
        #expect(floods == [unknown])
        #expect((1...intervals + 1).contains(issuer.fetches - fetchesBefore), "\(issuer.fetches - fetchesBefore) fetches in \(intervals) intervals")
        // The issuer is unreachable past the keys' lifetime: the keys held keep serving,
        // though the server asked again.
        issuer.failing(true)
        try await Task.sleep(for: .milliseconds(1600))
        let asked = issuer.fetches
        #expect(await check("old") == "tenant user-a/user-a")
        #expect(await check("rotated") == "tenant user-a/user-a")
        #expect(issuer.fetches > asked, "the keys, past their lifetime, were asked for again")
    }
}
