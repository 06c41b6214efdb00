import ArgumentParser
import Foundation
import KeywayCommandLine
import KeywayConnections
import KeywayCore
import KeywayDatabase
import KeywayMCP
import KeywayMCPHTTP
import KeywayManifestTools
import KeywayModel
import KeywayRuntime
import Logging
import PostgresNIO

/// `keyway mcp`: the tools of a manifests folder, served over MCP for local use. The CLI
/// cannot compile the generated Swift, so it builds each tool from the validated
/// manifests (the same schemas and checks) and sends its requests through Nango's proxy.
struct ServeMCP: KeywayCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serves the manifests' tools to an MCP client: on stdio (the default), or Streamable HTTP on 127.0.0.1 with --http.",
        discussion: """
            Needs NANGO_SECRET_KEY in the environment. Connections come from keyway's tables \
            (--database postgres://…: each call's connection is looked up as its tenant, under \
            row-level security, as the webhook path wrote them) or, for local use, from a JSON \
            file of owner → provider config key → Nango connection id (--connections, e.g. \
            {"user-1": {"gmail": "4f1c…"}}). On stdio every call runs as --owner; over HTTP as \
            the tenant of the request's bearer token: a JWT of the team's identity provider \
            (--issuer, checked against its published keys, for --resource as audience; the \
            tenant read at keyway.yaml's tenancy claims), or for local use a fixed token \
            (--tokens FILE or KEYWAY_MCP_TOKENS: a JSON object of token → owner).
            """)

    @OptionGroup var options: CommonOptions

    var servesUntilStopped: Bool { true }

    @Option(name: .long, help: "A JSON file: owner → provider config key → Nango connection id (local use).")
    var connections: String?

    @Option(name: .long, help: "keyway's PostgreSQL (postgres://…): each call's connection is looked up there as its tenant, under row-level security.")
    var database: String?

    @Option(name: .long, help: "The owner whose connections the tools use (stdio).")
    var owner: String?

    @Option(name: .long, help: "Serve Streamable HTTP on 127.0.0.1:PORT at /mcp instead of stdio (0: any free port, printed on stderr).")
    var http: Int?

    @Option(name: .long, help: "A JSON file of bearer token → owner for --http (default: $KEYWAY_MCP_TOKENS, the same JSON).")
    var tokens: String?

    @Option(name: .long, help: "For --http: accept JWTs of this issuer (its iss claim, e.g. https://clerk.example.com or https://PROJECT.supabase.co/auth/v1), checked against its published keys.")
    var issuer: String?

    @Option(name: .long, help: "The issuer's JWKS (default: the jwks_uri of ISSUER/.well-known/openid-configuration).")
    var jwksURL: String?

    @Option(name: .long, help: "This server's public URL, its MCP endpoint (e.g. https://mcp.example.com/mcp): the tokens' audience, and the resource of its RFC 9728 metadata.")
    var resource: String?

    @Option(name: .long, help: "Another accepted aud value, when the identity provider does not put the resource there (Supabase Auth: authenticated). Repeatable.")
    var audience: [String] = []

    @Option(name: .long, help: "A scope every token must carry (else 403 insufficient_scope). Repeatable.")
    var requiredScope: [String] = []

    @Flag(name: .long, help: "With --database: do not write each call to tool_calls (the call log).")
    var noCallLog = false
    @Flag(name: .long, help: "With --database: answer a call the user has no connection for (or must authorise again) with the error only, not a Nango connect link.")
    var noConnectLinks = false

    @Option(name: .long, help: "The address --http listens on (default 127.0.0.1; 0.0.0.0 behind a load balancer).")
    var bind = "127.0.0.1"

    @Option(name: .long, help: "A Host (and Origin) accepted over --http, against DNS rebinding (default: loopback names, and --resource's host). Repeatable.")
    var allowedHost: [String] = []

    @Option(name: .long, help: "Nango's API (default: $KEYWAY_NANGO_URL, else https://api.nango.dev).")
    var nangoURL: String?

    @Option(name: .long, help: "The largest arguments a call may send, in bytes.")
    var maxArgumentBytes = MCPLimits().maxArgumentBytes

    @Option(name: .long, help: "Calls one owner may have running at once.")
    var maxConcurrentCalls = MCPLimits().maxConcurrentCallsPerTenant

    @Option(name: .long, help: "Seconds a call may run before it is stopped.")
    var timeout = 60

    func validate() throws {
        if (connections == nil) == (database == nil) {
            throw ValidationError("pass one source of connections: --database postgres://… (keyway's tables) or --connections FILE (a JSON map, for local use)")
        }
        if let database { _ = try ConnectionsDatabase.url(database) }
        if noConnectLinks && database == nil { throw ValidationError("--no-connect-links goes with --database: with --connections there are no links") }
        if noCallLog && database == nil { throw ValidationError("--no-call-log goes with --database: with --connections there is no call log") }
        if http == nil && owner == nil { throw ValidationError("--owner is required on stdio: the owner (as in --connections) whose connections the tools use") }
        if http != nil && owner != nil { throw ValidationError("--owner is for stdio; over --http each request's bearer token names its owner (--tokens)") }
        if issuer != nil {
            if http == nil { throw ValidationError("--issuer is for --http: on stdio the caller is --owner") }
            if tokens != nil { throw ValidationError("pass --issuer (JWTs) or --tokens (fixed tokens), not both") }
            guard let resource, let url = URL(string: resource), ["https", "http"].contains(url.scheme), url.host != nil, url.query == nil, url.fragment == nil else {
                throw ValidationError("--issuer needs --resource, this server's public URL (e.g. https://mcp.example.com/mcp): tokens must be meant for it")
            }
        } else if resource != nil || jwksURL != nil || !audience.isEmpty || !requiredScope.isEmpty {
            throw ValidationError("--resource, --jwks-url, --audience and --required-scope go with --issuer")
        }
        // RFC 6749's scope characters: no space, quote or backslash (they go into WWW-Authenticate).
        for scope in requiredScope where scope.isEmpty || !scope.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value <= 0x7E && $0 != "\"" && $0 != "\\" }) {
            throw ValidationError("--required-scope '\(scope)' is not a scope: printable ASCII without spaces, quotes or backslashes")
        }
        if let http, !(0...65535).contains(http) { throw ValidationError("--http takes a port from 0 to 65535") }
        if maxArgumentBytes < 1 || maxConcurrentCalls < 1 || timeout < 1 { throw ValidationError("--max-argument-bytes, --max-concurrent-calls and --timeout must be at least 1") }
    }

    var diagnosticsFormat: OutputFormat { options.format }

    func run(_ run: CommandRun) async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let secret = environment["NANGO_SECRET_KEY"], !secret.isEmpty else {
            throw fail("NANGO_SECRET_KEY is not set: export your Nango environment's secret key (Nango dashboard → Environment Settings)")
        }
        let urlText = nangoURL ?? environment["KEYWAY_NANGO_URL"] ?? "https://api.nango.dev"
        guard let nango = URL(string: urlText), let scheme = nango.scheme, ["http", "https"].contains(scheme), nango.host != nil else {
            throw fail("the Nango URL '\(urlText)' is not an http(s) URL; pass --nango-url like https://api.nango.dev")
        }
        let config = try options.projectConfig()
        let result = Pipeline.validate(manifests: config.manifestsFolder, config: config)
        guard let catalog = result.catalog else { throw DiagnosticsError(result.diagnostics) }
        let described = ManifestTools.describe(catalog)
        for name in described.custom {
            say("not serving \(name): its request is built by hand-written Swift (request: custom), which only an app compiling the generated Swift beside that builder can serve (KeywayMCP)")
        }
        let resolver: any ConnectionResolver
        var pool: Task<Void, Never>?
        defer { pool?.cancel() }
        var callLog: PostgresCallRecorder?
        if let connections {
            resolver = try await loadConnections(connections, keys: Set(catalog.integrations.map(\.key)))
        } else {
            let (client, running, url) = try await openDatabase()
            pool = running
            resolver = PostgresConnectionResolver(database: client)
            say("connections from \(url.redacted), looked up as each call's tenant")
            if !noCallLog {
                var logger = Logger(label: "keyway.calls")
                logger.logLevel = .critical
                callLog = ConnectionStore(database: client, nango: NangoClient(secretKey: secret, baseURL: nango), webhookSigningKey: "", logger: logger).callRecorder()
                say("calls logged to tool_calls in \(url.redacted)")
            }
        }
        let writer = callLog.map { log in Task { await log.run() } }
        /// Writes what the call log still holds, and says what became of its records.
        func closeCallLog() async {
            guard let callLog, let writer else { return }
            callLog.finish()
            await writer.value
            let counts = callLog.counts
            say("call log: \(counts.written) written, \(counts.dropped) dropped (the queue was full), \(counts.failed) refused by the database")
        }
        let executor = ToolExecutor(client: NangoClient(secretKey: secret, baseURL: nango), resolver: resolver, registry: ToolRegistry([], described: described.tools),
                                    recorder: callLog)
        let limits = MCPLimits(maxArgumentBytes: maxArgumentBytes, maxConcurrentCallsPerTenant: maxConcurrentCalls, callTimeout: .seconds(timeout))
        // Connect links with keyway's tables: the webhook path files the connection the user
        // makes, so the same call then succeeds. A JSON map would not learn of it.
        let server = MCPToolServer(executor: executor, limits: limits, connectLinks: self.database != nil && !noConnectLinks, onCall: { say($0.line) })
        do {
            try await serve(server, catalog: catalog, environment: environment)
        } catch {
            await closeCallLog()
            throw error
        }
        await closeCallLog()
    }

    /// Serves on HTTP or stdio until the server stops.
    func serve(_ server: MCPToolServer, catalog: Catalog, environment: [String: String]) async throws {
        if let port = http {
            let authenticator: any MCPAuthenticator
            var protected: ProtectedResource?
            var hosts = allowedHost
            if let issuer, let resource = resource.flatMap(URL.init(string:)) {
                let jwt = try await jwtAuthenticator(issuer: issuer, resource: resource, tenancy: catalog.tenancy)
                authenticator = jwt
                protected = ProtectedResource(resource: resource, authorizationServers: [issuer], scopes: requiredScope)
                if hosts.isEmpty, let host = resource.host { hosts = [resource.port.map { "\(host):\($0)" } ?? host] + ["localhost:*", "127.0.0.1:*", "[::1]:*"] }
            } else {
                authenticator = try loadTokens(environment)
            }
            let count = server.tools.count
            let address = bind
            try await MCPHTTPServer(tools: server, authenticator: authenticator, allowedHosts: hosts.isEmpty ? nil : hosts, protectedResource: protected)
                .run(host: bind, port: port) { bound in
                    say("serving \(count) tools on http://\(address):\(bound)/mcp")
                }
        } else if let owner {
            say("serving \(server.tools.count) tools to \(owner) on stdio")
            try await server.serveStdio(tenant: Tenant(user: owner))
        }
    }

    /// keyway's PostgreSQL, running, once it has shown it holds keyway's tables.
    func openDatabase() async throws -> (PostgresClient, Task<Void, Never>, DatabaseURL) {
        let url = try ConnectionsDatabase.url(database!)
        let (client, running) = ConnectionsDatabase.open(url)
        do {
            _ = try await client.query("select 1 from public.connector_connections, public.integrations limit 0").collect()
        } catch {
            running.cancel()
            throw fail("cannot read keyway's connection tables in \(url.redacted) (\(PostgresMigrationDatabase.describe(error))); check the URL, and run keyway migrate apply there first")
        }
        return (client, running, url)
    }

    /// Owner → provider config key → connection id, every key an integration of the manifests.
    func loadConnections(_ connections: String, keys: Set<String>) async throws -> InMemoryConnectionResolver {
        guard let data = FileManager.default.contents(atPath: connections) else {
            throw fail(at: connections, "cannot read the connections file; create it as {\"OWNER\": {\"PROVIDER_CONFIG_KEY\": \"NANGO_CONNECTION_ID\"}}")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw fail(at: connections, "expected a JSON object like {\"OWNER\": {\"PROVIDER_CONFIG_KEY\": \"NANGO_CONNECTION_ID\"}}")
        }
        let resolver = InMemoryConnectionResolver()
        for (owner, value) in object.sorted(by: { $0.key < $1.key }) {
            guard let map = value as? [String: Any] else { throw fail(at: connections, "the value of owner '\(owner.forDiagnostic)' must be an object of provider config key → connection id") }
            for (key, id) in map.sorted(by: { $0.key < $1.key }) {
                guard keys.contains(key) else {
                    throw fail(at: connections, "owner '\(owner.forDiagnostic)' names '\(key.forDiagnostic)', which is no integration of the manifests; use one of \(keys.sorted().joined(separator: ", "))")
                }
                guard let id = id as? String, !id.isEmpty else { throw fail(at: connections, "the connection id of '\(owner.forDiagnostic)'/'\(key.forDiagnostic)' must be a non-empty string") }
                await resolver.set(owner: owner, providerConfigKey: key, ResolvedConnection(connectionID: id))
            }
        }
        return resolver
    }

    /// JWTs of `issuer` for `resource`, its keys fetched once before serving.
    func jwtAuthenticator(issuer: String, resource: URL, tenancy: TenantClaims) async throws -> JWTAuthenticator {
        let keys: URL
        if let jwksURL {
            guard let url = URL(string: jwksURL), ["https", "http"].contains(url.scheme), url.host != nil else {
                throw fail("--jwks-url '\(jwksURL)' is not an http(s) URL")
            }
            keys = url
        } else {
            do { keys = try await JWTAuthenticator.discoverKeys(issuer: issuer) } catch { throw fail("\(error)") }
        }
        let configuration = JWTAuthenticator.Configuration(
            issuer: issuer, jwksURL: keys, audiences: [resource.absoluteString] + audience, requiredScopes: requiredScope,
            userClaims: tenancy.user.map(\.keys), organizationClaims: tenancy.organization.map(\.keys))
        let authenticator = JWTAuthenticator(configuration)
        guard await authenticator.loadKeys() else {
            throw fail("the issuer's keys at \(keys.absoluteString) could not be read (no answer, not a JWKS, or no public key with a kid); check --issuer or --jwks-url")
        }
        say("accepting JWTs of \(issuer) for \(resource.absoluteString) (keys: \(keys.absoluteString))")
        return authenticator
    }

    func loadTokens(_ environment: [String: String]) throws -> StaticTokenAuthenticator {
        let data: Data
        let source: String
        if let tokens {
            guard let contents = FileManager.default.contents(atPath: tokens) else { throw fail(at: tokens, "cannot read the tokens file; create it as {\"TOKEN\": \"OWNER\"}") }
            (data, source) = (contents, tokens)
        } else if let value = environment["KEYWAY_MCP_TOKENS"] {
            (data, source) = (Data(value.utf8), "KEYWAY_MCP_TOKENS")
        } else {
            throw fail("--http needs bearer tokens: pass --tokens FILE or set KEYWAY_MCP_TOKENS to a JSON object of token → owner")
        }
        do {
            return try StaticTokenAuthenticator.parse(data, source: source)
        } catch {
            throw fail(at: tokens ?? "<command line>", "\(error)")
        }
    }

    /// A problem that stops the server before it starts: at the file it is about, else
    /// at the command line (an option, the environment).
    func fail(at file: String = "<command line>", _ message: String) -> DiagnosticsError {
        DiagnosticsError([.error(.start(of: file), message)])
    }
}

/// A line on standard error (standard output belongs to the protocol on stdio).
private func say(_ line: String) {
    FileHandle.standardError.write(Data(("keyway mcp: " + line + "\n").utf8))
}
