import Crypto
import Foundation
import KeywayConnections
import KeywayCore
import KeywayEmit
import KeywayReferenceTools
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayRuntime
import KeywayValidate
import KeywayFiles
import Logging
import PostgresNIO
import Testing

/// The loop the connection tables serve, end to end, with nothing mocked but Nango's API
/// (the loopback stand-in): connect session → signed webhook → row written as the
/// server → a tool call resolves the tenant's connection as that tenant under RLS →
/// Nango's proxy. Then re-auth, disconnect, a scope added by a later migration, and
/// every kind of bad webhook.
@Suite("Connection lifecycle on a real PostgreSQL", .serialized)
struct ConnectionLifecycleTests {
    static let signingKey = "whsec-test-signing-key"
    static let readonly = "https://www.googleapis.com/auth/gmail.readonly", send = "https://www.googleapis.com/auth/gmail.send"

    /// Nango's API as the store and the executor use it: connect sessions, connections
    /// (with the tags and scopes Nango keeps), deletions, the proxy.
    final class Nango: @unchecked Sendable {
        let stub: StubNango
        private let lock = NSLock()
        private var connections: [String: String] = [:]   // connection id → JSON
        init() throws {
            stub = try StubNango()
            stub.onRequest { [unowned self] request in self.answer(request) }
        }
        func add(_ id: String, scopes: String, tags: [String: String]) {
            let tagJSON = KeywayRuntime.JSONValue.object(tags.mapValues { .string($0) })
            lock.withLock {
                connections[id] = #"{"connection_id": "\#(id)", "provider_config_key": "x", "tags": \#(String(decoding: tagJSON.jsonData, as: UTF8.self)), "credentials": {"type": "OAUTH2", "access_token": "ya29.secret", "expires_at": "2030-01-01T00:00:00.000Z", "raw": {"scope": "\#(scopes)"}}}"#
            }
        }
        func answer(_ request: StubNango.Recorded) -> StubNango.Reply {
            if request.path == "/connect/sessions" {
                return .init(body: #"{"data": {"token": "nango_connect_session_1", "expires_at": "2030-01-01T00:00:00Z", "connect_link": "https://connect.nango.dev?session_token=nango_connect_session_1"}}"#)
            }
            if request.path == "/connect/sessions/reconnect" {
                return .init(status: 201, body: #"{"data": {"token": "nango_connect_session_2", "expires_at": "2030-01-01T00:00:00Z", "connect_link": "https://connect.nango.dev?session_token=nango_connect_session_2"}}"#)
            }
            if request.path.hasPrefix("/connections/") {
                let id = String(request.path.dropFirst("/connections/".count))
                return lock.withLock {
                    if request.method == "DELETE" {
                        guard connections.removeValue(forKey: id) != nil else { return .init(status: 400, body: #"{"error": {"code": "unknown_connection"}}"#) }
                        return .init(body: #"{"success": true}"#)
                    }
                    guard let json = connections[id] else { return .init(status: 404, body: #"{"error": {"code": "not_found", "message": "Failed to find connection"}}"#) }
                    return .init(body: json)
                }
            }
            if request.path == "/proxy/conversations.list" { return .init(body: #"{"ok": true, "channels": []}"#) }
            return .init(body: #"{"messages": []}"#)
        }
    }

    static func signed(_ json: String) -> (Data, [String: String]) {
        let body = Data(json.utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(signingKey.utf8)))
        return (body, ["Content-Type": "application/json", "X-Nango-Hmac-Sha256": Data(mac).map { String(format: "%02x", $0) }.joined()])
    }

    static func creation(_ id: String, _ key: String, tags: [String: String]) -> String {
        let tagJSON = String(decoding: KeywayRuntime.JSONValue.object(tags.mapValues { .string($0) }).jsonData, as: UTF8.self)
        return #"{"from": "nango", "type": "auth", "operation": "creation", "success": true, "connectionId": "\#(id)", "providerConfigKey": "\#(key)", "authMode": "OAUTH2", "provider": "google-mail", "environment": "dev", "tags": \#(tagJSON)}"#
    }

    @Test("connect → webhook → row → tool call under RLS → proxy; reauth, disconnect, new scope; bad webhooks write nothing")
    func lifecycle() async throws {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        try await applyPostgres(MigrationsFolder.files(in: PostgresTests.shippedMigrations), server, db)
        let nango = try Nango()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let client = PostgresClient(configuration: .init(host: "127.0.0.1", port: server.port, username: "postgres", password: nil, database: db, tls: .disable), backgroundLogger: logger)
        let running = Task { await client.run() }
        defer { running.cancel() }
        let api = NangoClient(secretKey: "nango-secret", baseURL: nango.stub.baseURL)
        let store = ConnectionStore(database: client, nango: api, webhookSigningKey: Self.signingKey, logger: logger)
        let executor = ToolExecutor(client: api, resolver: store.resolver, registry: AllTools.registry, retry: RetryPolicy(maxRetries: 0))
        let a1 = Tenant(user: "user-a1", organization: "org-a"), a2 = Tenant(user: "user-a2", organization: "org-a"), b = Tenant(user: "user-b")
        let search = KeywayRuntime.JSONValue.object(["q": .string("from:ada")]).jsonData
        func rows() -> String {
            server.psql(db, "select 'c:' || owner_id || ':' || user_id || ':' || connector_slug || ':' || instance_id || ':' || connection_id || ':' || status || ':' || array_to_string(granted_scopes, ' ') from public.connector_connections union all select 'i:' || owner_id || ':' || connected_by || ':' || provider_config_key || ':' || connection_id || ':' || status from public.integrations order by 1").output
        }

        // 1. The app starts a connect session for member A1 and Gmail: the tags say whose.
        _ = try await api.createConnectSession(for: a1, connector: "gmail", allowedIntegrations: ["gmail"])
        let session = try #require(nango.stub.requests.last)
        #expect(session.method == "POST" && session.path == "/connect/sessions")
        #expect(session.json as? NSDictionary == ["tags": ["end_user_id": "user-a1", "organization_id": "org-a", "keyway_connector": "gmail"], "allowed_integrations": ["gmail"]] as NSDictionary)

        // 2. The user connects at Nango; Nango signs a creation webhook.
        let tagsA1 = ["end_user_id": "user-a1", "organization_id": "org-a", "keyway_connector": "gmail"]
        nango.add("conn-a1", scopes: "\(Self.send) \(Self.readonly)", tags: tagsA1)
        let (body, headers) = Self.signed(Self.creation("conn-a1", "gmail", tags: tagsA1))
        let outcome = try await store.ingest(body: body, headers: headers)
        #expect(outcome == .connected(.init(table: .connectorConnections, owner: "org-a", user: "user-a1", connector: "gmail", instance: "default",
                                            connectionID: "conn-a1", grantedScopes: [Self.readonly, Self.send], replaced: nil)))
        #expect(rows() == "c:org-a:user-a1:gmail:default:conn-a1:active:\(Self.readonly) \(Self.send)\n")
        // A replayed delivery changes nothing.
        #expect(try await store.ingest(body: body, headers: headers) == outcome)
        #expect(rows() == "c:org-a:user-a1:gmail:default:conn-a1:active:\(Self.readonly) \(Self.send)\n")

        // 3. A1's tool call: the connection is looked up as A1 (RLS), and reaches the proxy.
        let before = nango.stub.requests.count
        #expect(await executor.execute(tool: "gmail_search_emails", arguments: search, tenant: a1) == .success(.object(["messages": .array([])])))
        let proxied = try #require(nango.stub.requests.last)
        #expect(nango.stub.requests.count == before + 1)
        #expect(proxied.method == "GET" && proxied.path == "/proxy/gmail/v1/users/me/messages" && proxied.query.map { "\($0.0)=\($0.1)" } == ["maxResults=10", "q=from:ada"])
        #expect(proxied.header("Connection-Id") == "conn-a1" && proxied.header("Provider-Config-Key") == "gmail" && proxied.header("Authorization") == "Bearer nango-secret")
        // 4. Another member of the same organisation, and another tenant, cannot use it.
        #expect(await executor.execute(tool: "gmail_search_emails", arguments: search, tenant: a2) == .failure(.notConnected(providerConfigKey: "gmail")))
        #expect(await executor.execute(tool: "gmail_search_emails", arguments: search, tenant: b) == .failure(.notConnected(providerConfigKey: "gmail")))
        #expect(nango.stub.requests.count == before + 1, "no request left for A2 or B")

        // 5. An organisation-wide connection (no connector tag): every member uses it, B does not.
        let tagsOrg = ["end_user_id": "user-a2", "organization_id": "org-a"]
        nango.add("conn-org-slack", scopes: "channels:read,chat:write,users:read", tags: tagsOrg)
        let (orgBody, orgHeaders) = Self.signed(Self.creation("conn-org-slack", "slack", tags: tagsOrg))
        _ = try await store.ingest(body: orgBody, headers: orgHeaders)
        #expect(await executor.execute(tool: "slack_list_channels", arguments: Data("{}".utf8), tenant: a1) == .success(.object(["ok": .bool(true), "channels": .array([])])))
        #expect(nango.stub.requests.last?.header("Connection-Id") == "conn-org-slack")
        #expect(await executor.execute(tool: "slack_list_channels", arguments: Data("{}".utf8), tenant: b) == .failure(.notConnected(providerConfigKey: "slack")))

        // 6. Nango cannot refresh the token: needs re-auth, before any request.
        let (refresh, refreshHeaders) = Self.signed(#"{"from": "nango", "type": "auth", "operation": "refresh", "success": false, "connectionId": "conn-a1", "providerConfigKey": "gmail", "error": {"type": "refresh_token_external_error", "description": "invalid_grant"}}"#)
        #expect(try await store.ingest(body: refresh, headers: refreshHeaders) == .markedNeedsReauth(1))
        #expect(await executor.execute(tool: "gmail_search_emails", arguments: search, tenant: a1)
                == .failure(.needsReauth(providerConfigKey: "gmail", reason: "the user must connect again (the provider refused a refresh, or a scope was added since)")))
        // The user re-authorises; the server syncs the connection from Nango: active again.
        _ = try await store.sync(connectionID: "conn-a1", providerConfigKey: "gmail")
        #expect(await executor.execute(tool: "gmail_search_emails", arguments: search, tenant: a1) == .success(.object(["messages": .array([])])))

        // 7. A scope added by a later migration: connections without it need re-auth.
        let manifests = TempDir(), out = TempDir()
        try FileManager.default.copyItem(atPath: packageRoot.appendingPathComponent("Manifests").path, toPath: manifests.path + "/m")
        try FileManager.default.copyItem(atPath: packageRoot.appendingPathComponent("Generated").path, toPath: out.path + "/g")
        let gmail = manifests.path + "/m/integrations/gmail.yaml"
        try String(contentsOfFile: gmail, encoding: .utf8).replacingOccurrences(of: "  redirect_uris:", with: "    - scope: https://www.googleapis.com/auth/gmail.labels\n      reason: Agents label email\n  redirect_uris:")
            .write(toFile: gmail, atomically: true, encoding: .utf8)
        _ = try migrateDiffWriting(manifests: manifests.path + "/m", output: out.path + "/g", name: "gmail_labels", allowDestructive: false, templates: Pipeline.templates(overrides: nil))
        try await applyPostgres(MigrationsFolder.files(in: out.path + "/g/Migrations/postgres"), server, db)
        #expect(await executor.execute(tool: "gmail_search_emails", arguments: search, tenant: a1)
                == .failure(.needsReauth(providerConfigKey: "gmail", reason: "the user must connect again (the provider refused a refresh, or a scope was added since)")))
        _ = try await store.sync(connectionID: "conn-a1", providerConfigKey: "gmail")

        // 7b. A1 reconnects Gmail (a new Nango connection for the same row): the old one is
        //     deleted at Nango, so its grant does not outlive the row.
        nango.add("conn-a1-new", scopes: "\(Self.send) \(Self.readonly) https://www.googleapis.com/auth/gmail.labels", tags: tagsA1)
        let (again, againHeaders) = Self.signed(Self.creation("conn-a1-new", "gmail", tags: tagsA1))
        #expect(try await store.ingest(body: again, headers: againHeaders) == .connected(.init(
            table: .connectorConnections, owner: "org-a", user: "user-a1", connector: "gmail", instance: "default", connectionID: "conn-a1-new",
            grantedScopes: ["https://www.googleapis.com/auth/gmail.labels", Self.readonly, Self.send], replaced: "conn-a1")))
        #expect(nango.stub.requests.last.map { "\($0.method) \($0.path)" } == "DELETE /connections/conn-a1")
        #expect(try await store.ingest(body: body, headers: headers) == .revoked(0), "a late replay of the old creation finds it gone")
        #expect(await executor.execute(tool: "gmail_search_emails", arguments: search, tenant: a1) == .success(.object(["messages": .array([])])))
        #expect(nango.stub.requests.last?.header("Connection-Id") == "conn-a1-new")

        // 8. Disconnect through the server: deleted at Nango, revoked here; a late replay
        //    of the creation does not bring it back.
        #expect(try await store.disconnect(connectionID: "conn-a1-new", providerConfigKey: "gmail") == 1)
        #expect(nango.stub.requests.last.map { "\($0.method) \($0.path) \($0.query.map { "\($0.0)=\($0.1)" })" } == "DELETE /connections/conn-a1-new [\"provider_config_key=gmail\"]")
        #expect(await executor.execute(tool: "gmail_search_emails", arguments: search, tenant: a1) == .failure(.notConnected(providerConfigKey: "gmail")))
        let (latest, latestHeaders) = Self.signed(Self.creation("conn-a1-new", "gmail", tags: tagsA1))
        #expect(try await store.ingest(body: latest, headers: latestHeaders) == .revoked(0))
        #expect(rows() == "c:org-a:user-a1:gmail:default:conn-a1-new:revoked:https://www.googleapis.com/auth/gmail.labels \(Self.readonly) \(Self.send)\ni:org-a:user-a2:slack:conn-org-slack:active\n")

        // 9. Bad webhooks: refused with a typed error, nothing written.
        let snapshot = rows()
        let tagsB = ["end_user_id": "user-b", "keyway_connector": "hubspot"]
        nango.add("conn-b-hubspot", scopes: "oauth", tags: tagsB)
        nango.add("conn-b-hubspot-2", scopes: "oauth", tags: tagsB.merging(["keyway_instance": "second"]) { $1 })
        nango.add("conn-x", scopes: "", tags: [:])
        let creation = Self.creation("conn-a1-new", "gmail", tags: tagsA1)
        var rejections: [String] = []
        let unsigned: [(String, Data, [String: String])] = [
            ("unsigned", Data(creation.utf8), ["Content-Type": "application/json"]),
            ("signed with another key", Data(creation.utf8), ["X-Nango-Hmac-Sha256": String(repeating: "0", count: 64)]),
        ]
        let signedBodies: [(String, String)] = [
            ("not JSON", "{not json"),
            ("no connection id", #"{"type": "auth", "operation": "creation", "success": true, "providerConfigKey": "gmail"}"#),
            ("unknown integration", Self.creation("conn-x", "dropbox", tags: tagsA1)),
            ("no tenant tags", Self.creation("conn-x", "gmail", tags: [:])),
            ("unknown connector", Self.creation("conn-x", "gmail", tags: ["end_user_id": "u", "keyway_connector": "nope"])),
            ("connector of another integration", Self.creation("conn-x", "gmail", tags: ["end_user_id": "u", "keyway_connector": "slack"])),
        ]
        let signed = signedBodies.map { label, json -> (String, Data, [String: String]) in
            let (body, headers) = Self.signed(json)
            return (label, body, headers)
        }
        for (label, payload, headers) in unsigned + signed {
            do {
                let outcome = try await store.ingest(body: payload, headers: headers)
                rejections.append("\(label): accepted (\(outcome))")
            } catch {
                rejections.append("\(label): \(error)")
            }
        }
        #expect(rows() == snapshot, "the refused deliveries wrote nothing")
        // HubSpot allows one connection per user: the first is filed, a second instance is refused by the database.
        let (firstHubSpot, firstHeaders) = Self.signed(Self.creation("conn-b-hubspot", "hubspot", tags: tagsB))
        _ = try await store.ingest(body: firstHubSpot, headers: firstHeaders)
        let (second, secondHeaders) = Self.signed(Self.creation("conn-b-hubspot-2", "hubspot", tags: tagsB.merging(["keyway_instance": "second"]) { $1 }))
        do {
            _ = try await store.ingest(body: second, headers: secondHeaders)
            rejections.append("second hubspot connection: accepted")
        } catch {
            rejections.append("second hubspot connection: \(error)")
        }
        #expect(rejections == [
            "unsigned: the signature is missing or wrong",
            "signed with another key: the signature is missing or wrong",
            "not JSON: not a Nango webhook: the body is not JSON",
            "no connection id: not a Nango webhook: no 'connectionId'",
            "unknown integration: no integration 'dropbox' in the catalog; add Manifests/integrations/dropbox.yaml and migrate",
            "no tenant tags: the connection has no 'end_user_id' tag; create connect sessions with NangoClient.createConnectSession(for:)",
            "unknown connector: connector 'nope' is not in the catalog; it must name a connector manifest",
            "connector of another integration: connector 'slack' is built on 'slack', not on 'gmail'",
            "second hubspot connection: the database refused the connection: keyway: connector hubspot allows one connection per user (multiple_connections: false in its manifest); use instance_id 'default' to replace the connection",
        ])
        #expect(rows() == "c:org-a:user-a1:gmail:default:conn-a1-new:revoked:https://www.googleapis.com/auth/gmail.labels \(Self.readonly) \(Self.send)\nc:user-b:user-b:hubspot:default:conn-b-hubspot:active:oauth\ni:org-a:user-a2:slack:conn-org-slack:active\n")
        #expect(!rejections.joined().contains("ya29.secret") && !rejections.joined().contains(Self.signingKey), "no secret in an error")
    }

    @Test("keyway mcp --database: each call's connection is read from keyway's tables as its tenant, under RLS; a wrong database stops it at start")
    func mcpFromTables() async throws {
        try #require(Python.require(["mcp"]))
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        try await applyPostgres(MigrationsFolder.files(in: PostgresTests.shippedMigrations), server, db)
        let nango = try Nango()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let client = PostgresClient(configuration: .init(host: "127.0.0.1", port: server.port, username: "postgres", password: nil, database: db, tls: .disable), backgroundLogger: logger)
        let running = Task { await client.run() }
        defer { running.cancel() }
        let store = ConnectionStore(database: client, nango: NangoClient(secretKey: "nango-secret", baseURL: nango.stub.baseURL), webhookSigningKey: Self.signingKey, logger: logger)
        // User A connects Gmail through the webhook path; user B connects nothing.
        let tagsA = ["end_user_id": "user-a", "keyway_connector": "gmail"]
        nango.add("conn-a", scopes: "\(Self.send) \(Self.readonly)", tags: tagsA)
        let (body, headers) = Self.signed(Self.creation("conn-a", "gmail", tags: tagsA))
        _ = try await store.ingest(body: body, headers: headers)

        let dir = TempDir()
        let tokenA = "token-a-0123456789abcdef", tokenB = "token-b-0123456789abcdef"
        let url = "postgres://postgres@127.0.0.1:\(server.port)/\(db)?sslmode=disable"
        // Without connect links (--no-connect-links): the plain answers; links are connectFromTheAgent's.
        let mcp = try Child.start([KeywayRun.binary.path, "mcp", "--manifests", MCPFixture.manifests, "--database", url, "--http", "0", "--no-connect-links"],
                                  environment: ["NANGO_SECRET_KEY": "nango-secret", "KEYWAY_NANGO_URL": nango.stub.baseURL.absoluteString,
                                                "KEYWAY_MCP_TOKENS": #"{"\#(tokenA)": "user-a", "\#(tokenB)": "user-b"}"#],
                                  stdout: dir.path + "/server.out", stderr: dir.path + "/server.err")
        let started = await mcp.waitForError(containing: "/mcp\n")
        let lines = started.components(separatedBy: "\n")
        let endpoint = try #require(lines.first { $0.hasPrefix("keyway mcp: serving 14 tools on ") }?.replacingOccurrences(of: "keyway mcp: serving 14 tools on ", with: ""), "\(started)")
        #expect(lines.contains("keyway mcp: connections from \(url), looked up as each call's tenant"))
        func calls(_ token: String) async throws -> KeywayRuntime.JSONValue? {
            try await MCPClient.run(.obj(["transport": "http".json, "url": endpoint.json, "token": token.json, "steps": .array([
                MCPFixture.call("gmail_search_emails", .obj(["q": "from:ada".json])),
            ])]), in: dir)["steps"]
        }
        let found = KeywayRuntime.JSONValue.obj(["content": .array([.obj(["type": "text".json, "text": #"{"messages":[]}"#.json])]),
                                                 "structuredContent": .obj(["messages": .array([])])])
        #expect(try await calls(tokenA) == .array([found]))
        #expect(nango.stub.requests.last.map { "\($0.method) \($0.path) \($0.query.map { "\($0.0)=\($0.1)" }) \($0.header("Connection-Id") ?? "-")" }
                == #"GET /proxy/gmail/v1/users/me/messages ["maxResults=10", "q=from:ada"] conn-a"#)
        let sent = nango.stub.requests.count
        #expect(try await calls(tokenB) == .array([MCPFixture.notConnectedGmail]))
        // Nango could not refresh A's token: the row says so, and the next call refuses before any request.
        #expect(try await store.markNeedsReauth(connectionID: "conn-a", providerConfigKey: "gmail") == 1)
        #expect(try await calls(tokenA) == .array([MCPFixture.failure(
            "The gmail connection must be authorised again: the user must connect again (the provider refused a refresh, or a scope was added since). Ask the user to reconnect gmail, then call the tool again.",
            ["kind": "needs_reauth".json, "integration": "gmail".json])]))
        #expect(nango.stub.requests.count == sent, "neither B's call nor A's refused one reached Nango, nor asked it for a link")
        #expect(await mcp.stop() == 0)

        // A database without keyway's tables: refused at start, naming it without its password.
        let empty = try server.createDatabase()
        let bare = try KeywayRun.run(["mcp", "--manifests", MCPFixture.manifests, "--database", "postgres://postgres:hunter2@127.0.0.1:\(server.port)/\(empty)?sslmode=disable", "--owner", "user-a"],
                                           environment: ["NANGO_SECRET_KEY": "nango-secret"])
        #expect(bare.status == 1)
        #expect(bare.stderr == """
            keyway mcp: not serving gmail_send_email: its request is built by hand-written Swift (request: custom), which only an app compiling the generated Swift beside that builder can serve (KeywayMCP)
            <command line>:1:1: error: cannot read keyway's connection tables in postgres://postgres@127.0.0.1:\(server.port)/\(empty)?sslmode=disable (relation "public.connector_connections" does not exist); check the URL, and run keyway migrate apply there first
            1 error, 0 warnings

            """)
        #expect(!bare.stderr.contains("hunter2"))
    }

    @Test("connect your account from the agent: keyway mcp --database answers a call without a connection with a Nango connect link (URL elicitation, -32042, or the error text); after the user connects and the webhook lands, the same call succeeds; a connection to authorise again gets a reconnect link")
    func connectFromTheAgent() async throws {
        try #require(Python.require(["mcp"]))
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        try await applyPostgres(MigrationsFolder.files(in: PostgresTests.shippedMigrations), server, db)
        let nango = try Nango()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let client = PostgresClient(configuration: .init(host: "127.0.0.1", port: server.port, username: "postgres", password: nil, database: db, tls: .disable), backgroundLogger: logger)
        let running = Task { await client.run() }
        defer { running.cancel() }
        let store = ConnectionStore(database: client, nango: NangoClient(secretKey: "nango-secret", baseURL: nango.stub.baseURL), webhookSigningKey: Self.signingKey, logger: logger)
        let dir = TempDir()
        let token = "token-a-0123456789abcdef"
        let mcp = try Child.start([KeywayRun.binary.path, "mcp", "--manifests", MCPFixture.manifests, "--database", "postgres://postgres@127.0.0.1:\(server.port)/\(db)?sslmode=disable", "--http", "0"],
                                  environment: ["NANGO_SECRET_KEY": "nango-secret", "KEYWAY_NANGO_URL": nango.stub.baseURL.absoluteString, "KEYWAY_MCP_TOKENS": #"{"\#(token)": "user-a"}"#],
                                  stdout: dir.path + "/server.out", stderr: dir.path + "/server.err")
        let started = await mcp.waitForError(containing: "/mcp\n")
        let endpoint = try #require(started.components(separatedBy: "\n").first { $0.hasPrefix("keyway mcp: serving 14 tools on ") }?
            .replacingOccurrences(of: "keyway mcp: serving 14 tools on ", with: ""), "\(started)")
        func call(elicitation: Bool) async throws -> KeywayRuntime.JSONValue? {
            let output = try await MCPClient.run(.obj(["transport": "http".json, "url": endpoint.json, "token": token.json, "elicitation": .bool(elicitation),
                                                       "steps": .array([MCPFixture.call("gmail_search_emails", .obj(["q": "from:ada".json]))])]), in: dir)
            return output["steps"]?.array?.first
        }
        /// The elicitation's id is the server's to choose (a fresh UUID): shown as "<id>".
        func withoutID(_ answer: KeywayRuntime.JSONValue?) -> KeywayRuntime.JSONValue? {
            guard case .object(var top)? = answer, case .object(var error)? = top["error"], case .object(var data)? = error["data"],
                  case .array(let items)? = data["elicitations"] else { return answer }
            data["elicitations"] = .array(items.map { item in
                guard case .object(var fields) = item, case .string(let id)? = fields["elicitationId"], UUID(uuidString: id) != nil else { return item }
                fields["elicitationId"] = "<id>".json
                return .object(fields)
            })
            error["data"] = .object(data)
            top["error"] = .object(error)
            return .object(top)
        }
        let link1 = "https://connect.nango.dev?session_token=nango_connect_session_1"
        let notConnected = "This user has not connected gmail. Ask them to open \(link1) to connect gmail, then call the tool again."

        // A client that can send its user to a link: -32042 with the link (MCP 2025-11-25).
        #expect(withoutID(try await call(elicitation: true)) == .obj(["error": .obj([
            "code": .number(-32042), "message": notConnected.json,
            "data": .obj(["elicitations": .array([.obj(["mode": "url".json, "elicitationId": "<id>".json, "url": link1.json, "message": notConnected.json])])]),
        ])]))
        // The connect session was made for this tenant, tagged as the webhook path files it.
        let session = try #require(nango.stub.requests.last)
        #expect(session.method == "POST" && session.path == "/connect/sessions")
        #expect(session.json as? NSDictionary == ["tags": ["end_user_id": "user-a", "keyway_connector": "gmail"], "allowed_integrations": ["gmail"]] as NSDictionary)
        // A client without elicitation: today's error result, with the link in its text.
        #expect(try await call(elicitation: false) == MCPFixture.failure(notConnected, ["kind": "not_connected".json, "integration": "gmail".json, "connect_url": link1.json]))

        // The user opens the link and connects; Nango's webhook lands; the same call succeeds.
        let tags = ["end_user_id": "user-a", "keyway_connector": "gmail"]
        nango.add("conn-a", scopes: "\(Self.send) \(Self.readonly)", tags: tags)
        let (body, headers) = Self.signed(Self.creation("conn-a", "gmail", tags: tags))
        _ = try await store.ingest(body: body, headers: headers)
        #expect(try await call(elicitation: true) == .obj(["content": .array([.obj(["type": "text".json, "text": #"{"messages":[]}"#.json])]),
                                                         "structuredContent": .obj(["messages": .array([])])]))
        #expect(nango.stub.requests.last.map { "\($0.method) \($0.path) \($0.header("Connection-Id") ?? "-")" } == "GET /proxy/gmail/v1/users/me/messages conn-a")

        // Nango can no longer refresh the token: a reconnect link for that connection.
        #expect(try await store.markNeedsReauth(connectionID: "conn-a", providerConfigKey: "gmail") == 1)
        let link2 = "https://connect.nango.dev?session_token=nango_connect_session_2"
        let reauth = "The gmail connection must be authorised again: the user must connect again (the provider refused a refresh, or a scope was added since). Ask the user to open \(link2) to reconnect gmail, then call the tool again."
        #expect(withoutID(try await call(elicitation: true)) == .obj(["error": .obj([
            "code": .number(-32042), "message": reauth.json,
            "data": .obj(["elicitations": .array([.obj(["mode": "url".json, "elicitationId": "<id>".json, "url": link2.json, "message": reauth.json])])]),
        ])]))
        let reconnect = try #require(nango.stub.requests.last)
        #expect(reconnect.method == "POST" && reconnect.path == "/connect/sessions/reconnect")
        #expect(reconnect.json as? NSDictionary == ["connection_id": "conn-a", "integration_id": "gmail"] as NSDictionary)
        #expect(await mcp.stop() == 0)
        let log = mcp.errors().components(separatedBy: "\n").filter { $0.contains("user-a gmail_search_emails") }
        #expect(log == ["keyway mcp: user-a gmail_search_emails: not_connected", "keyway mcp: user-a gmail_search_emails: not_connected",
                        "keyway mcp: user-a gmail_search_emails: ok", "keyway mcp: user-a gmail_search_emails: needs_reauth"])
    }

    @Test("MCP 2026-07-28: two keyway mcp --http replicas on one database behind a round-robin proxy serve one client (the Python SDK, modern mode) request by request; connect your account is an input_required result, and after the webhook the retried call succeeds")
    func statelessReplicas() async throws {
        try #require(Python.require(["mcp"]))
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        try await applyPostgres(MigrationsFolder.files(in: PostgresTests.shippedMigrations), server, db)
        let nango = try Nango()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let client = PostgresClient(configuration: .init(host: "127.0.0.1", port: server.port, username: "postgres", password: nil, database: db, tls: .disable), backgroundLogger: logger)
        let running = Task { await client.run() }
        defer { running.cancel() }
        let store = ConnectionStore(database: client, nango: NangoClient(secretKey: "nango-secret", baseURL: nango.stub.baseURL), webhookSigningKey: Self.signingKey, logger: logger)
        let dir = TempDir()
        let token = "token-a-0123456789abcdef"
        var replicas: [(Child, String)] = []
        for n in 0..<2 {
            let child = try Child.start([KeywayRun.binary.path, "mcp", "--manifests", MCPFixture.manifests, "--database", "postgres://postgres@127.0.0.1:\(server.port)/\(db)?sslmode=disable", "--http", "0"],
                                        environment: ["NANGO_SECRET_KEY": "nango-secret", "KEYWAY_NANGO_URL": nango.stub.baseURL.absoluteString, "KEYWAY_MCP_TOKENS": #"{"\#(token)": "user-a"}"#],
                                        stdout: dir.path + "/r\(n).out", stderr: dir.path + "/r\(n).err")
            let started = await child.waitForError(containing: "/mcp\n")
            let url = try #require(started.components(separatedBy: "\n").first { $0.hasPrefix("keyway mcp: serving 14 tools on ") }?
                .replacingOccurrences(of: "keyway mcp: serving 14 tools on ", with: ""), "\(started)")
            replicas.append((child, url))
        }
        let proxy = try Child.start(Python.command + [packageRoot.appendingPathComponent("Tests/Fixtures/mcp/round_robin.py").path, dir.path + "/port"] + replicas.map(\.1),
                                    stdout: dir.path + "/proxy.out", stderr: dir.path + "/proxy.err")
        let portFile = dir.path + "/port"
        try await waitUntil { !((try? String(contentsOfFile: portFile, encoding: .utf8)) ?? "").isEmpty }
        let port = try String(contentsOfFile: portFile, encoding: .utf8)
        // The user connects while the client waits at the link: the webhook lands, then the client accepts.
        let signal = dir.path + "/at-the-link", resume = dir.path + "/connected"
        let connecting = Task {
            try await waitUntil { FileManager.default.fileExists(atPath: signal) }
            let tags = ["end_user_id": "user-a", "keyway_connector": "gmail"]
            nango.add("conn-a", scopes: "\(Self.send) \(Self.readonly)", tags: tags)
            let (body, headers) = Self.signed(Self.creation("conn-a", "gmail", tags: tags))
            _ = try await store.ingest(body: body, headers: headers)
            _ = FileManager.default.createFile(atPath: resume, contents: Data())
        }
        dir.write("modern.plan.json", JSON.obj(["url": "http://127.0.0.1:\(port)/mcp".json, "token": token.json, "mode": "auto".json,
                                                "elicit": .obj(["signal": signal.json, "resume": resume.json]),
                                                "steps": .array([.obj(["op": "list".json]), MCPFixture.call("gmail_search_emails", .obj(["q": "from:ada".json])),
                                                                 MCPFixture.call("gmail_search_emails", .obj(["q": "from:bob".json]))])]).jsonData)
        let run = Python.run([packageRoot.appendingPathComponent("Tests/Fixtures/mcp/modern_client.py").path, dir.path + "/modern.plan.json"])
        try await connecting.value
        let seen = try #require(try? JSON(json: Data(run.output.utf8)), "\(run.output)")
        // tools/list: every tool of the manifests keyway mcp serves (custom ones need compiled Swift).
        let names = MCPFixture.catalog.connectors.flatMap { c in c.tools.map { c.slug + "_" + $0.name } }.filter { !MCPFixture.custom.contains($0) }.sorted()
        let link = "https://connect.nango.dev?session_token=nango_connect_session_1"
        let ask = "This user has not connected gmail. Ask them to open \(link) to connect gmail, then call the tool again."
        let found: JSON = .obj(["content": .array([.obj(["type": "text".json, "text": #"{"messages":[]}"#.json])]),
                                "structuredContent": .obj(["messages": .array([])]), "resultType": "complete".json])
        let listed: JSON = .array(names.map(JSON.string))
        let expected: JSON = .obj(["protocol_version": "2026-07-28".json, "elicitations": .array([.obj(["mode": "url".json, "url": link.json, "message": ask.json])]),
                                   "steps": .array([listed, found, found])])
        #expect(seen == expected)
        // Request by request, alternately: both replicas answered, neither holds a session.
        let forwarded = (try? String(contentsOfFile: dir.path + "/proxy.out", encoding: .utf8)) ?? ""
        #expect(forwarded == "0 POST /mcp\n1 POST /mcp\n0 POST /mcp\n1 POST /mcp\n0 POST /mcp\n", "discover, list, call, the call again, another call")
        kill(proxy.pid, SIGTERM)
        _ = await proxy.wait()
        var calls: [String] = []
        for (child, _) in replicas {
            #expect(await child.stop() == 0)
            calls.append(child.errors().components(separatedBy: "\n").filter { $0.contains("gmail_search_emails") }.joined(separator: "; "))
        }
        #expect(calls == ["keyway mcp: user-a gmail_search_emails: not_connected; keyway mcp: user-a gmail_search_emails: ok", "keyway mcp: user-a gmail_search_emails: ok"])
    }
}
