import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KeywayCore
import KeywayReferenceTools
import KeywayHostileFixture
import KeywayManifestTools
import KeywayMCP
import KeywayMCPHTTP
import KeywayRuntime
import MCP
import Testing

/// What every MCP test starts from: the shipped manifests, `keyway tools --format json`,
/// and a stand-in for Nango that answers as the arguments ask (429, 500, or never).
enum MCPFixture {
    static let manifests = packageRoot.appendingPathComponent("Manifests").path
    static let catalog = Pipeline.validate(manifests: manifests).catalog!
    static let secret = "nango-secret-key-mcp-0123"
    /// What a tool without a recorded answer (`RecordedAnswers`) gets.
    static let reply = #"{"id": "42", "items": [1, 2]}"#
    /// The answer the stand-in gives a tool: its recording, else `reply`.
    static func answer(_ tool: String) -> JSON { RecordedAnswers.json(tool) ?? (try! JSON(json: Data(reply.utf8))) }
    /// A tool's answer as a tool result: the text, and the object as structured content.
    static func success(_ tool: String) -> JSON {
        .obj(["content": .array([.obj(["type": "text".json, "text": .string(String(decoding: answer(tool).jsonData, as: UTF8.self))])]),
              "structuredContent": answer(tool)])
    }
    /// Tools with `request: custom`: served by a compiled registry only.
    static let custom = catalog.connectors.flatMap { c in c.tools.filter { $0.request == .custom }.map { c.slug + "_" + $0.name } }
    static let methods = Dictionary(uniqueKeysWithValues: catalog.connectors.flatMap { c in c.tools.map { (c.slug + "_" + $0.name, $0.method.rawValue) } })

    /// `keyway tools --format json`, whole.
    static func printedTools() throws -> [JSON] {
        let run = try KeywayRun.run(["tools", "--format", "json", "--manifests", manifests])
        #expect(run.status == 0, "\(run.stderr)")
        return try #require(try JSON(json: Data(run.stdout.utf8)).array)
    }

    /// The tools/list answer MCP owes for `keyway tools`' entries: the same name,
    /// description and schemas (input, and output where declared), with hints from each
    /// tool's method.
    static func listAnswer(_ printed: [JSON], excluding: [String]) -> JSON {
        .obj(["tools": .array(printed.filter { !excluding.contains($0["name"]!.string!) }.map { entry in
            let method = methods[entry["name"]!.string!]!
            var tool: [String: JSON] = ["name": entry["name"]!, "description": entry["description"]!, "inputSchema": entry["input_schema"]!,
                         "annotations": .obj(["readOnlyHint": .bool(method == "GET"), "destructiveHint": .bool(["DELETE", "PUT", "PATCH"].contains(method)),
                                              "idempotentHint": .bool(["GET", "PUT", "DELETE"].contains(method)), "openWorldHint": .bool(true)])]
            if let output = entry["output_schema"] { tool["outputSchema"] = output }
            return .object(tool)
        })])
    }

    /// A stand-in for Nango: `limit=429` answers 429 (Retry-After: 30), a body holding
    /// `force-500` answers 500, `limit=777` is never answered (the file `held` is created
    /// when it arrives); anything else gets `reply`.
    static func stub(held: String) throws -> StubNango {
        let stub = try StubNango()
        stub.onRequest { request in
            if request.query.contains(where: { $0 == ("limit", "429") }) {
                return StubNango.Reply(status: 429, headers: [("Content-Type", "application/json"), ("Retry-After", "30")], body: #"{"error": "ratelimited"}"#)
            }
            if String(decoding: request.body, as: UTF8.self).contains("force-500") {
                return StubNango.Reply(status: 500, body: #"{"error": "boom"}"#)
            }
            if request.query.contains(where: { $0 == ("limit", "777") }) {
                _ = FileManager.default.createFile(atPath: held, contents: Data())
                return StubNango.Reply(hold: true)
            }
            return StubNango.Reply(body: RecordedAnswers.body(for: request, fallback: reply))
        }
        return stub
    }

    /// What reached Nango, header by header as the provider and Nango read them.
    static func upstream(_ request: StubNango.Recorded) -> String {
        let kept = request.headers.filter { ["connection-id", "provider-config-key", "content-type"].contains($0.0.lowercased()) || $0.0.lowercased().hasPrefix("nango-proxy-") }
            .map { "\($0.0.lowercased()): \($0.1)" }.sorted()
        return "\(request.method) \(request.target)\n" + kept.joined(separator: "\n") + "\n\n" + String(decoding: request.body, as: UTF8.self)
    }

    /// Every shipped tool the CLI serves, with valid arguments from its schema.
    static func standardCalls() -> [(String, JSON)] {
        KeywayReferenceTools.AllTools.registry.tools.keys.sorted().filter { !custom.contains($0) }.map { ($0, sampleArguments(KeywayReferenceTools.AllTools.registry.tools[$0]!.inputSchema)) }
    }

    /// What the compiled tools send for the same calls (the reference for the served ones).
    static func compiledRequests(_ calls: [(String, JSON)], connections: [String: String]) async throws -> [String] {
        let stub = try StubNango()
        stub.onRequest { StubNango.Reply(body: RecordedAnswers.body(for: $0, fallback: reply)) }
        let resolver = InMemoryConnectionResolver()
        for (key, id) in connections { await resolver.set(owner: "tenant-a", providerConfigKey: key, ResolvedConnection(connectionID: id)) }
        let executor = ToolExecutor(client: NangoClient(secretKey: secret, baseURL: stub.baseURL), resolver: resolver, registry: KeywayReferenceTools.AllTools.registry)
        for (name, arguments) in calls {
            #expect(await executor.execute(tool: name, arguments: arguments.jsonData, owner: "tenant-a") == .success(answer(name)), "\(name)")
        }
        return stub.requests.map(upstream)
    }

    static let connectionsA = Dictionary(uniqueKeysWithValues: catalog.integrations.map { ($0.key, "conn-a-\($0.key)") })

    static func call(_ name: String, _ arguments: JSON) -> JSON { .obj(["op": "call".json, "name": name.json, "arguments": arguments]) }

    /// An error result as a model reads it.
    static func failure(_ message: String, _ error: KeyValuePairs<String, JSON>) -> JSON {
        var fields = Dictionary(error.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        fields["message"] = message.json
        return .obj(["content": .array([.obj(["type": "text".json, "text": message.json])]), "isError": .bool(true),
                     "_meta": .obj(["keyway/error": .object(fields)])])
    }

    static let notConnectedGmail = failure("This user has not connected gmail. Ask them to connect gmail, then call the tool again.",
                                           ["kind": "not_connected".json, "integration": "gmail".json])
}

@Suite("MCP: the tools served to a real client (the Python SDK)", .serialized)
struct MCPTests {
    @Test("keyway mcp on stdio: tools/list is keyway tools' list, every shipped tool runs, failures are results a model can act on, a cancelled call stops upstream")
    func stdio() async throws {
        try #require(Python.require(["mcp"]))
        let dir = TempDir()
        let held = dir.path + "/held"
        let stub = try MCPFixture.stub(held: held)
        dir.write("connections.json", JSON.obj(["tenant-a": .object(MCPFixture.connectionsA.mapValues(JSON.string)), "tenant-b": .obj(["slack": "conn-b-slack".json])]).jsonData)
        let calls = MCPFixture.standardCalls()
        let expectedUpstream = try await MCPFixture.compiledRequests(calls, connections: MCPFixture.connectionsA)
        let printed = try MCPFixture.printedTools()

        let steps: [JSON] = [.obj(["op": "list".json])] + calls.map { MCPFixture.call($0.0, $0.1) } + [
            MCPFixture.call("gmail_send_email", .obj(["to": "ada@example.com".json, "subject": "s".json, "body": "b".json])),
            MCPFixture.call("gmail_search_emails", .obj(["q": "x".json, "maxResults": .number(501)])),
            MCPFixture.call("gmail_search_emails", .obj(["q": "x".json, "maxResults": .number(2.5)])),
            MCPFixture.call("slack_send_message", .obj(["channel": "C1".json])),
            MCPFixture.call("slack_send_message", .obj(["channel": "C1".json, "text": JSON.string(String(repeating: "x", count: 5000))])),
            MCPFixture.call("slack_list_users", .obj(["limit": .number(429)])),
            MCPFixture.call("slack_send_message", .obj(["channel": "C1".json, "text": "force-500".json])),
            .obj(["op": "cancel".json, "name": "slack_list_channels".json, "arguments": .obj(["limit": .number(777)]), "when_file": held.json]),
            .obj(["op": "wait_log".json, "text": "tenant-a slack_list_channels: cancelled".json]),
        ]
        let output = try await MCPClient.run(.obj([
            "transport": "stdio".json, "errlog": (dir.path + "/server.err").json,
            "command": .array([KeywayRun.binary.path, "mcp", "--manifests", MCPFixture.manifests, "--connections", dir.path + "/connections.json",
                               "--owner", "tenant-a", "--max-argument-bytes", "4096"].map(JSON.string)),
            "env": .obj(["NANGO_SECRET_KEY": MCPFixture.secret.json, "KEYWAY_NANGO_URL": stub.baseURL.absoluteString.json]),
            "steps": .array(steps),
        ]), in: dir)
        let seen = try #require(output["steps"]?.array)
        try #require(seen.count == steps.count, "\(output)")

        // tools/list: keyway tools' list, whole, less the custom tool, with hints.
        #expect(MCPFixture.custom == ["gmail_send_email"])
        #expect(seen[0] == MCPFixture.listAnswer(printed, excluding: MCPFixture.custom))
        #expect(seen[0]["tools"]?.array?.count == 14)
        // Every shipped tool: the provider's answer, and the request the compiled tool sends.
        for (i, call) in calls.enumerated() { #expect(seen[1 + i] == MCPFixture.success(call.0), "\(call.0)") }
        let upstream = stub.requests.map(MCPFixture.upstream)
        #expect(Array(upstream.prefix(calls.count)) == expectedUpstream)
        var rest = Array(seen.dropFirst(1 + calls.count))
        #expect(rest.removeFirst() == .obj(["error": .obj(["code": .number(-32602), "message": "Invalid params: Unknown tool 'gmail_send_email': tools/list names the tools this server offers".json])]))
        #expect(rest.removeFirst() == MCPFixture.failure("The argument 'maxResults' must be at most 500. Fix it as the tool's input schema says, then call again.",
                                                         ["kind": "invalid_input".json, "field": "maxResults".json, "reason": "must be at most 500".json]))
        #expect(rest.removeFirst() == MCPFixture.failure("The argument 'maxResults' must be an integer. Fix it as the tool's input schema says, then call again.",
                                                         ["kind": "invalid_input".json, "field": "maxResults".json, "reason": "must be an integer".json]))
        #expect(rest.removeFirst() == MCPFixture.failure("The argument 'text' is required. Fix it as the tool's input schema says, then call again.",
                                                         ["kind": "invalid_input".json, "field": "text".json, "reason": "is required".json]))
        #expect(rest.removeFirst() == MCPFixture.failure("The arguments are 5026 bytes; this server accepts at most 4096. Send less: shorter text, fewer items.",
                                                         ["kind": "too_large".json, "limit": .number(4096)]))
        #expect(rest.removeFirst() == MCPFixture.failure("The provider is rate limiting these calls. Wait 30 s, then call again.",
                                                         ["kind": "rate_limited".json, "retry_after_seconds": .number(30)]))
        #expect(rest.removeFirst() == MCPFixture.failure(#"The provider answered HTTP 500: {"error": "boom"}. The provider failed; the call may succeed if you try again in a moment."#,
                                                         ["kind": "upstream_error".json, "status": .number(500)]))
        #expect(rest.removeFirst() == .obj(["cancelled": .bool(true)]))
        #expect(rest.removeFirst() == .obj(["logged": "tenant-a slack_list_channels: cancelled".json]))
        // Upstream: 429, 500 and the held request, each once; the held one hung up on.
        #expect(upstream.dropFirst(calls.count).map { $0.components(separatedBy: "\n")[0] } == [
            "GET /proxy/users.list?limit=429", "POST /proxy/chat.postMessage", "GET /proxy/conversations.list?exclude_archived=true&limit=777",
        ])
        try await waitUntil { stub.abandoned == ["/proxy/conversations.list?exclude_archived=true&limit=777"] }
        #expect(output["stderr"] == .string("""
            keyway mcp: not serving gmail_send_email: its request is built by hand-written Swift (request: custom), which only an app compiling the generated Swift beside that builder can serve (KeywayMCP)
            keyway mcp: serving 14 tools to tenant-a on stdio

            """ + calls.map { "keyway mcp: tenant-a \($0.0): ok\n" }.joined() + """
            keyway mcp: tenant-a gmail_search_emails: invalid_input
            keyway mcp: tenant-a gmail_search_emails: invalid_input
            keyway mcp: tenant-a slack_send_message: invalid_input
            keyway mcp: tenant-a slack_send_message: too_large
            keyway mcp: tenant-a slack_list_users: rate_limited
            keyway mcp: tenant-a slack_send_message: upstream_error 500
            keyway mcp: tenant-a slack_list_channels: cancelled

            """))
    }

    @Test("keyway mcp --http: 401 without or with a wrong token; a tenant never reaches another's connection or session; tools/list, calls and cancellation over Streamable HTTP")
    func http() async throws {
        try #require(Python.require(["mcp"]))
        let dir = TempDir()
        let held = dir.path + "/held"
        let stub = try MCPFixture.stub(held: held)
        let tokenA = "token-a-0123456789abcdef", tokenB = "token-b-0123456789abcdef"
        dir.write("connections.json", JSON.obj(["tenant-a": .object(MCPFixture.connectionsA.mapValues(JSON.string)), "tenant-b": .obj(["slack": "conn-b-slack".json])]).jsonData)
        let server = try Child.start([KeywayRun.binary.path, "mcp", "--manifests", MCPFixture.manifests, "--connections", dir.path + "/connections.json", "--http", "0"],
                                     environment: ["NANGO_SECRET_KEY": MCPFixture.secret, "KEYWAY_NANGO_URL": stub.baseURL.absoluteString,
                                                   "KEYWAY_MCP_TOKENS": String(decoding: JSON.obj([tokenA: "tenant-a".json, tokenB: "tenant-b".json]).jsonData, as: UTF8.self)],
                                     stdout: dir.path + "/server.out", stderr: dir.path + "/server.err")
        let started = await server.waitForError(containing: "/mcp\n")
        let url = try #require(started.components(separatedBy: "\n").first { $0.hasPrefix("keyway mcp: serving 14 tools on http://127.0.0.1:") }?
            .replacingOccurrences(of: "keyway mcp: serving 14 tools on ", with: ""), "the server did not start: \(started)")
        let calls = MCPFixture.standardCalls()
        let expectedUpstream = try await MCPFixture.compiledRequests(calls, connections: MCPFixture.connectionsA)
        let printed = try MCPFixture.printedTools()

        // Bare HTTP: no token, a wrong one, tenant B's token on tenant A's session.
        let initialize: JSON = .obj(["jsonrpc": "2.0".json, "id": .number(1), "method": "initialize".json,
                                     "params": .obj(["protocolVersion": "2025-06-18".json, "capabilities": .obj([:]), "clientInfo": .obj(["name": "raw".json, "version": "0".json])])])
        let toolCall: JSON = .obj(["jsonrpc": "2.0".json, "id": .number(2), "method": "tools/call".json,
                                   "params": .obj(["name": "slack_list_users".json, "arguments": .obj([:])])])
        let accept = "application/json, text/event-stream"
        func raw(_ token: String?, _ body: JSON, session: Int? = nil) -> JSON {
            var headers: [String: JSON] = ["Accept": accept.json, "MCP-Protocol-Version": "2025-06-18".json]
            if let token { headers["Authorization"] = ("Bearer " + token).json }
            var step: [String: JSON] = ["op": "raw".json, "headers": .object(headers), "body": body, "show": .array(["www-authenticate".json, "content-type".json])]
            if let session { step["session_from"] = .number(Double(session)) }
            return .object(step)
        }
        let bare = try await MCPClient.run(.obj(["transport": "http".json, "url": url.json, "steps": .array([
            raw(nil, initialize), raw("not-a-token", initialize), raw(tokenA, initialize), raw(tokenB, toolCall, session: 2), raw(nil, toolCall, session: 2),
        ])]), in: dir)
        func refused(_ status: Int, _ message: String, challenge: String?) -> JSON {
            .obj(["status": .number(Double(status)), "session": .null,
                  "headers": .obj(["www-authenticate": challenge.map(JSON.string) ?? .null, "content-type": "application/json".json]),
                  "body": .obj(["jsonrpc": "2.0".json, "id": .null, "error": .obj(["code": .number(-32600), "message": message.json])])])
        }
        let noToken = "Invalid Request: Unauthorized: send 'Authorization: Bearer <token>' with a token this server knows"
        let badToken = "Invalid Request: Unauthorized: the bearer token is not valid here; use a token this server knows (a new one if it expired)"
        let answers = try #require(bare["raw"]?.array)
        #expect(answers.count == 5)
        #expect(answers[0] == refused(401, noToken, challenge: #"Bearer realm="keyway""#))
        #expect(answers[1] == refused(401, badToken, challenge: #"Bearer realm="keyway", error="invalid_token""#))
        #expect(answers[2]["status"] == .number(200) && answers[2]["session"]?.string != nil, "\(answers[2])")
        #expect(answers[3] == refused(404, "Invalid Request: Not Found: no such session for this token; start a new one with initialize", challenge: nil))
        #expect(answers[4] == refused(401, noToken, challenge: #"Bearer realm="keyway""#))
        #expect(stub.requests.isEmpty, "no request reached Nango")

        // The SDK's own session: refused without a token and with a wrong one.
        for token in [nil, "not-a-token"] as [String?] {
            let output = try await MCPClient.run(.obj(["transport": "http".json, "url": url.json, "token": token.map(JSON.string) ?? .null, "open_session": .bool(true), "steps": .array([])]), in: dir)
            #expect(output == .obj(["raw": .array([]), "session_error": .obj(["code": .number(-32600), "message": (token == nil ? noToken : badToken).json])]))
        }

        // Tenant A: the list, every tool, failures, a cancelled call.
        let stepsA: [JSON] = [.obj(["op": "list".json])] + calls.map { MCPFixture.call($0.0, $0.1) } + [
            MCPFixture.call("slack_list_users", .obj(["limit": .number(429)])),
            MCPFixture.call("slack_send_message", .obj(["channel": "C1".json, "text": "force-500".json])),
            MCPFixture.call("stripe_list_customers", .obj(["limit": .number(0)])),
            .obj(["op": "cancel".json, "name": "slack_list_channels".json, "arguments": .obj(["limit": .number(777)]), "when_file": held.json]),
            // Still in the session: the notification, not the session's end, stopped it.
            .obj(["op": "wait_log".json, "text": "tenant-a slack_list_channels: cancelled".json]),
        ]
        let outputA = try await MCPClient.run(.obj(["transport": "http".json, "url": url.json, "token": tokenA.json, "errlog": server.stderr.json, "steps": .array(stepsA)]), in: dir)
        let seenA = try #require(outputA["steps"]?.array, "\(outputA)")
        try #require(seenA.count == stepsA.count)
        #expect(seenA[0] == MCPFixture.listAnswer(printed, excluding: MCPFixture.custom))
        for (i, call) in calls.enumerated() { #expect(seenA[1 + i] == MCPFixture.success(call.0), "\(call.0)") }
        #expect(Array(stub.requests.prefix(calls.count).map(MCPFixture.upstream)) == expectedUpstream)
        let restA = Array(seenA.dropFirst(1 + calls.count))
        #expect(restA == [
            MCPFixture.failure("The provider is rate limiting these calls. Wait 30 s, then call again.", ["kind": "rate_limited".json, "retry_after_seconds": .number(30)]),
            MCPFixture.failure(#"The provider answered HTTP 500: {"error": "boom"}. The provider failed; the call may succeed if you try again in a moment."#,
                               ["kind": "upstream_error".json, "status": .number(500)]),
            MCPFixture.failure("The argument 'limit' must be at least 1. Fix it as the tool's input schema says, then call again.",
                               ["kind": "invalid_input".json, "field": "limit".json, "reason": "must be at least 1".json]),
            .obj(["cancelled": .bool(true)]),
            .obj(["logged": "tenant-a slack_list_channels: cancelled".json]),
        ])
        let log = server.errors()
        try await waitUntil { stub.abandoned == ["/proxy/conversations.list?exclude_archived=true&limit=777"] }

        // Tenant B: A's gmail connection is out of reach, even named in the arguments;
        // B's own Slack connection is used.
        let before = stub.requests.count
        let outputB = try await MCPClient.run(.obj(["transport": "http".json, "url": url.json, "token": tokenB.json, "steps": .array([
            MCPFixture.call("gmail_search_emails", .obj(["q": "x".json])),
            MCPFixture.call("gmail_search_emails", .obj(["q": "x".json, "connection_id": "conn-a-gmail".json, "connectionId": "conn-a-gmail".json, "owner": "tenant-a".json])),
            MCPFixture.call("slack_list_users", .obj([:])),
        ])]), in: dir)
        #expect(outputB["steps"] == .array([MCPFixture.notConnectedGmail, MCPFixture.notConnectedGmail, MCPFixture.success("slack_list_users")]))
        #expect(stub.requests.dropFirst(before).map { "\($0.target) \($0.header("Connection-Id") ?? "-")" } == ["/proxy/users.list?limit=100 conn-b-slack"])

        let finalLog = await server.waitForError(containing: "tenant-b slack_list_users: ok\n")
        #expect(await server.stop() == 0)
        #expect(log.hasPrefix("keyway mcp: not serving gmail_send_email: its request is built by hand-written Swift (request: custom), which only an app compiling the generated Swift beside that builder can serve (KeywayMCP)\nkeyway mcp: serving 14 tools on http://127.0.0.1:"))
        #expect(finalLog.components(separatedBy: "\n").dropFirst(2).joined(separator: "\n") == calls.map { "keyway mcp: tenant-a \($0.0): ok\n" }.joined() + """
            keyway mcp: tenant-a slack_list_users: rate_limited
            keyway mcp: tenant-a slack_send_message: upstream_error 500
            keyway mcp: tenant-a stripe_list_customers: invalid_input
            keyway mcp: tenant-a slack_list_channels: cancelled
            keyway mcp: tenant-b gmail_search_emails: not_connected
            keyway mcp: tenant-b gmail_search_emails: not_connected
            keyway mcp: tenant-b slack_list_users: ok

            """)
    }

    /// An app's own check: an HMAC-signed token of JWT claims (what a real app verifies
    /// with its identity provider's keys), turned into the tenant.
    struct SignedClaimsAuthenticator: MCPAuthenticator {
        let secret: Data
        var key: SymmetricKey { SymmetricKey(data: secret) }
        func sign(_ claims: JSON) -> String {
            let payload = claims.jsonData.base64EncodedString()
            return payload + "." + Data(HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: key)).base64EncodedString()
        }
        func tenant(forBearerToken token: String) async throws -> Tenant? {
            let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, let mac = Data(base64Encoded: parts[1]),
                  HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data(parts[0].utf8), using: key),
                  let payload = Data(base64Encoded: parts[0]) else { return nil }
            return Tenant(claims: try JSON(json: payload))
        }
    }

    @Test("an app embeds KeywayMCP: its compiled AllTools (custom tools too) over HTTP, tenants from its own token check")
    func embedded() async throws {
        try #require(Python.require(["mcp"]))
        let dir = TempDir()
        let stub = try StubNango()
        stub.onRequest { StubNango.Reply(body: RecordedAnswers.body(for: $0, fallback: MCPFixture.reply)) }
        let resolver = InMemoryConnectionResolver()
        await resolver.set(owner: "org-1", providerConfigKey: "gmail", ResolvedConnection(connectionID: "conn-org-gmail"))
        let executor = ToolExecutor(client: NangoClient(secretKey: MCPFixture.secret, baseURL: stub.baseURL), resolver: resolver, registry: KeywayReferenceTools.AllTools.registry)
        let authenticator = SignedClaimsAuthenticator(secret: Data((0..<32).map { _ in UInt8.random(in: 0...255) }))
        let http = MCPHTTPServer(tools: MCPToolServer(executor: executor, name: "my-app"), authenticator: authenticator)
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let serving = Task { try await http.run(port: 0, handlesSignals: false) { listening.yield($0) } }
        defer { serving.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let url = "http://127.0.0.1:\(port)/mcp"

        let member = authenticator.sign(.obj(["sub": "user-1".json, "o": .obj(["id": "org-1".json])]))
        let loner = authenticator.sign(.obj(["sub": "user-2".json]))
        let send = MCPFixture.call("gmail_send_email", .obj(["to": "ada@example.com".json, "subject": "Hi".json, "body": "<p>Hi</p>".json]))
        let output = try await MCPClient.run(.obj(["transport": "http".json, "url": url.json, "token": member.json, "steps": .array([.obj(["op": "list".json]), send])]), in: dir)
        #expect(output["steps"] == .array([MCPFixture.listAnswer(try MCPFixture.printedTools(), excluding: []), MCPFixture.success("gmail_send_email")]))
        #expect(stub.requests.map { "\($0.method) \($0.path) \($0.header("Connection-Id") ?? "-")" } == ["POST /proxy/gmail/v1/users/me/messages/send conn-org-gmail"])
        let other = try await MCPClient.run(.obj(["transport": "http".json, "url": url.json, "token": loner.json, "steps": .array([send])]), in: dir)
        #expect(other["steps"] == .array([MCPFixture.notConnectedGmail]))
        let forged = try await MCPClient.run(.obj(["transport": "http".json, "url": url.json, "token": (member.dropLast(4) + "AAA=").json, "open_session": .bool(true), "steps": .array([])]), in: dir)
        #expect(forged["session_error"]?["code"] == .number(-32600))
        #expect(stub.requests.count == 1)
    }
}

@Suite("MCP limits and hints, in process")
struct MCPLimitTests {
    func server(_ stub: StubNango, limits: MCPLimits, records: RecordList) async -> MCPToolServer {
        let resolver = InMemoryConnectionResolver()
        for owner in ["a", "b"] { await resolver.set(owner: owner, providerConfigKey: "slack", ResolvedConnection(connectionID: "conn-\(owner)")) }
        let executor = ToolExecutor(client: NangoClient(secretKey: "k", baseURL: stub.baseURL), resolver: resolver, registry: KeywayReferenceTools.AllTools.registry)
        return MCPToolServer(executor: executor, limits: limits, onCall: { records.append($0.line) })
    }

    static func text(_ result: CallTool.Result) -> String {
        if case .text(let text, _, _)? = result.content.first { return text }
        return ""
    }

    @Test("a failed call's outcome in the call record is the runtime's word for its failure (an unknown tool counts as invalid input)")
    func outcomeWords() {
        let failures: [ToolFailure] = [
            .notConnected(providerConfigKey: "slack"), .needsReauth(providerConfigKey: "slack", reason: "expired"),
            .insufficientScope(providerConfigKey: "slack", status: 403, detail: "missing_scope"), .rateLimited(retryAfter: 2),
            .invalidInput(field: "channel", reason: "is required"), .upstream(status: 500, body: ""), .unknownTool("nope"),
            .transport("reset"), .cancelled, .unexpectedResponse(field: "ok", reason: "is missing"),
        ]
        #expect(failures.map { MCPCallRecord.Outcome($0).rawValue } == [
            "not_connected", "needs_reauth", "insufficient_scope", "rate_limited", "invalid_input", "upstream_error",
            "invalid_input", "transport_error", "cancelled", "unexpected_response",
        ])
        #expect(failures.map { $0.kind } == [
            "not_connected", "needs_reauth", "insufficient_scope", "rate_limited", "invalid_input", "upstream_error",
            "unknown_tool", "transport_error", "cancelled", "unexpected_response",
        ])
    }

    @Test("malformed tools/call params answer -32602 (invalid params) saying what is wrong, through the SDK's own server")
    func malformedCallParams() async throws {
        let stub = try StubNango()
        stub.onRequest { StubNango.Reply(body: RecordedAnswers.body(for: $0, fallback: MCPFixture.reply)) }
        let tools = await server(stub, limits: MCPLimits(), records: RecordList())
        let session = await tools.makeSession(tenant: Tenant(user: "a"))
        let (client, serverSide) = await InMemoryTransport.createConnectedPair()
        try await session.server.start(transport: serverSide)
        try await client.connect()
        var replies = await client.receive().makeAsyncIterator()
        func exchange(_ json: String) async throws -> KeywayRuntime.JSONValue? {
            try await client.send(Data(json.utf8))
            guard let data = try await replies.next() else { return nil }
            return try KeywayRuntime.JSONValue(json: data)
        }
        let hello = try await exchange(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#)
        #expect(hello?["result"]?["protocolVersion"] != nil)
        try await client.send(Data(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.utf8))
        for (id, params, message) in [
            (2, #""params": {"name": 5}"#, "tools/call needs 'name': a string, the name of a tool of tools/list"),
            (3, #""params": {"name": "slack_list_users", "arguments": [1]}"#, "tools/call's 'arguments' must be an object of the tool's inputs"),
            (4, #""params": "slack_list_users""#, #"tools/call needs params: {"name": a tool of tools/list, "arguments": {…}}"#),
            (5, #""params": null"#, #"tools/call needs params: {"name": a tool of tools/list, "arguments": {…}}"#),
        ] {
            let answer = try await exchange(#"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call",\#(params)}"#)
            #expect(answer?["id"] == .number(Double(id)))
            #expect(answer?["error"]?["code"] == .number(-32602), "\(params)")
            #expect(answer?["error"]?["message"] == .string("Invalid params: " + message), "\(params)")
        }
        let fine = try await exchange(#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"slack_list_users"}}"#)
        #expect(fine?["result"]?["isError"] == nil || fine?["result"]?["isError"] == .bool(false))
        #expect(stub.requests.count == 1)
        await client.disconnect()
        await session.end()
    }

    @Test("over HTTP, a request whose id is null, an object or a fraction is a 400 (-32600), not a silent 202")
    func requestIDs() async throws {
        let stub = try StubNango()
        let http = MCPHTTPServer(tools: await server(stub, limits: MCPLimits(), records: RecordList()), authenticator: StaticTokenAuthenticator(tokens: ["tok-a": "a"]))
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let serving = Task { try await http.run(port: 0, handlesSignals: false) { listening.yield($0) } }
        defer { serving.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        func post(_ body: String, session: String? = nil) async throws -> (Int, String, String?) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/mcp")!)
            request.httpMethod = "POST"
            request.httpBody = Data(body.utf8)
            for (name, value) in [("Authorization", "Bearer tok-a"), ("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"),
                                  ("MCP-Protocol-Version", "2025-06-18")] { request.setValue(value, forHTTPHeaderField: name) }
            if let session { request.setValue(session, forHTTPHeaderField: "Mcp-Session-Id") }
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as! HTTPURLResponse
            return (http.statusCode, String(decoding: data, as: UTF8.self), http.value(forHTTPHeaderField: "Mcp-Session-Id"))
        }
        let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#
        let (status, _, session) = try await post(initialize)
        #expect(status == 200 && session != nil)
        let must = "Invalid Request: Bad Request: a request's id must be a string or an integer"
        for (id, message) in [("null", must + ", never null (a notification has no id)"), (#"{"a":1}"#, must), ("1.5", must), ("true", must)] {
            let (code, body, _) = try await post(#"{"jsonrpc":"2.0","id":\#(id),"method":"tools/list"}"#, session: session)
            #expect(code == 400, "\(id)")
            #expect(try KeywayRuntime.JSONValue(json: Data(body.utf8)) == .object(["jsonrpc": .string("2.0"), "id": .null,
                                                                               "error": .object(["code": .number(-32600), "message": .string(message)])]), "\(id)")
        }
        let (nullInit, _, _) = try await post(initialize.replacingOccurrences(of: #""id":1"#, with: #""id":null"#))
        #expect(nullInit == 400)
        #expect(stub.requests.isEmpty)
    }

    @Test("over HTTP, a session left idle ends on the server's timer, without waiting for another client's initialize")
    func idleSessionsExpire() async throws {
        let stub = try StubNango()
        let http = MCPHTTPServer(tools: await server(stub, limits: MCPLimits(), records: RecordList()), authenticator: StaticTokenAuthenticator(tokens: ["tok-a": "a"]),
                                 sessionIdleTimeout: .seconds(8))
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let serving = Task { try await http.run(port: 0, handlesSignals: false) { listening.yield($0) } }
        defer { serving.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        func post(_ body: String, session: String? = nil) async throws -> (Int, String?) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/mcp")!)
            request.httpMethod = "POST"
            request.httpBody = Data(body.utf8)
            for (name, value) in [("Authorization", "Bearer tok-a"), ("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"),
                                  ("MCP-Protocol-Version", "2025-06-18")] { request.setValue(value, forHTTPHeaderField: name) }
            if let session { request.setValue(session, forHTTPHeaderField: "Mcp-Session-Id") }
            let (_, response) = try await URLSession.shared.data(for: request)
            let http = response as! HTTPURLResponse
            return (http.statusCode, http.value(forHTTPHeaderField: "Mcp-Session-Id"))
        }
        let (status, session) = try await post(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#)
        #expect(status == 200 && session != nil)
        let list = #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#
        #expect(try await post(list, session: session).0 == 200, "in use, it stays")
        try await Task.sleep(for: .seconds(11))
        #expect(try await post(list, session: session).0 == 404, "idle past the timeout, it is gone")
    }

    @Test("over HTTP, a session that has sent its share of bytes (which the SDK keeps for replay) ends at its next request, and the client starts another")
    func sessionBytesCap() async throws {
        let stub = try StubNango()
        let http = MCPHTTPServer(tools: await server(stub, limits: MCPLimits(), records: RecordList()), authenticator: StaticTokenAuthenticator(tokens: ["tok-a-0123456789abcdef": "a"]),
                                 maxSessionBytes: 100_000)
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let serving = Task { try await http.run(port: 0, handlesSignals: false) { listening.yield($0) } }
        defer { serving.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        func post(_ body: String, session: String? = nil) async throws -> (Int, String, String?) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/mcp")!)
            request.httpMethod = "POST"
            request.httpBody = Data(body.utf8)
            for (name, value) in [("Authorization", "Bearer tok-a-0123456789abcdef"), ("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"),
                                  ("MCP-Protocol-Version", "2025-06-18")] { request.setValue(value, forHTTPHeaderField: name) }
            if let session { request.setValue(session, forHTTPHeaderField: "Mcp-Session-Id") }
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as! HTTPURLResponse
            return (http.statusCode, String(decoding: data, as: UTF8.self), http.value(forHTTPHeaderField: "Mcp-Session-Id"))
        }
        let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#
        let (_, _, session) = try await post(initialize)
        let list = #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#
        // Each listing is a message of the same size: the session serves them until what it
        // has sent passes the cap, then the next request finds it ended.
        var statuses: [Int] = []
        var last = ""
        var sizes: [Int] = []
        while statuses.last != 404 && statuses.count < 100 {
            let (status, body, _) = try await post(list, session: session)
            statuses.append(status)
            last = body
            if status == 200 { sizes.append(body.utf8.count) }
        }
        let served = statuses.filter { $0 == 200 }.count
        #expect(served >= 2 && statuses == Array(repeating: 200, count: served) + [404], "\(statuses)")
        #expect(try JSON(json: Data(last.utf8)) == .obj(["jsonrpc": "2.0".json, "id": .null, "error": .obj(["code": .number(-32600),
            "message": "Invalid Request: Not Found: this session has sent the most a session may (100000 bytes) and has ended; start a new one with initialize".json])]))
        // The cap was passed by the last listing, not before: the one before it fitted.
        let perListing = try #require(sizes.first)
        #expect(served * perListing > 100_000 - 4_000 && (served - 1) * perListing < 100_000 + 4_000, "\(served) × \(perListing)")
        let (again, _, fresh) = try await post(initialize)
        #expect(again == 200 && fresh != nil && fresh != session)
    }

    @Test("MCP 2026-07-28 over HTTP: every answer a request can get, whole (discover, list, call, errors with their statuses)")
    func statelessAnswers() async throws {
        let stub = try StubNango()
        stub.onRequest { StubNango.Reply(body: RecordedAnswers.body(for: $0, fallback: MCPFixture.reply)) }
        let tools = await server(stub, limits: MCPLimits(), records: RecordList())
        let http = MCPHTTPServer(tools: tools, authenticator: StaticTokenAuthenticator(tokens: ["tok-a-0123456789abcdef": "a"]))
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let serving = Task { try await http.run(port: 0, handlesSignals: false) { listening.yield($0) } }
        defer { serving.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let meta = #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#
        func exchange(_ body: String?, method: String = "POST") async throws -> (Int, String?, JSON?) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/mcp")!)
            request.httpMethod = method
            request.httpBody = body.map { Data($0.utf8) }
            for (name, value) in [("Authorization", "Bearer tok-a-0123456789abcdef"), ("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"),
                                  ("MCP-Protocol-Version", "2026-07-28")] { request.setValue(value, forHTTPHeaderField: name) }
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as! HTTPURLResponse
            #expect(http.value(forHTTPHeaderField: "Mcp-Session-Id") == nil, "never a session")
            return (http.statusCode, http.value(forHTTPHeaderField: "Allow"), data.isEmpty ? nil : try JSON(json: data))
        }
        func error(_ id: JSON, _ code: Int, _ message: String, data: JSON? = nil) -> JSON {
            var fields: [String: JSON] = ["code": .number(Double(code)), "message": message.json]
            if let data { fields["data"] = data }
            return .obj(["jsonrpc": "2.0".json, "id": id, "error": .object(fields)])
        }
        #expect(try await exchange(#"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{\#(meta)}}"#) == (200, nil, .obj(["jsonrpc": "2.0".json, "id": .number(1), "result": .obj([
            "supportedVersions": .array(["2026-07-28".json]), "capabilities": .obj(["tools": .obj([:])]), "resultType": "complete".json, "ttlMs": .number(0),
            "cacheScope": "private".json, "_meta": .obj(["io.modelcontextprotocol/serverInfo": .obj(["name": "keyway".json, "version": "1.0.0".json])]),
        ])])))
        let (listStatus, _, list) = try await exchange(#"{"jsonrpc":"2.0","id":"two","method":"tools/list","params":{\#(meta)}}"#)
        #expect(listStatus == 200 && list?["id"] == "two".json && list?["result"]?["tools"]?.array?.count == tools.tools.count)
        #expect(list?["result"]?["resultType"] == "complete".json && list?["result"]?["ttlMs"] == .number(0) && list?["result"]?["cacheScope"] == "private".json)
        #expect(try await exchange(#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"slack_list_users","arguments":{},\#(meta)}}"#) == (200, nil, .obj([
            "jsonrpc": "2.0".json, "id": .number(3), "result": .obj(["content": MCPFixture.success("slack_list_users")["content"]!,
                                                                   "structuredContent": MCPFixture.answer("slack_list_users"), "resultType": "complete".json]),
        ])))
        #expect(try await exchange(#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"nope",\#(meta)}}"#)
                == (400, nil, error(.number(4), -32602, "Invalid params: Unknown tool 'nope': tools/list names the tools this server offers")))
        #expect(try await exchange(#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"slack_list_users","arguments":[1],\#(meta)}}"#)
                == (400, nil, error(.number(5), -32602, "Invalid params: 'arguments' must be an object")))
        #expect(try await exchange(#"{"jsonrpc":"2.0","id":6,"method":"resources/list","params":{\#(meta)}}"#) == (404, nil, error(.number(6), -32601, "Method not found: resources/list")))
        #expect(try await exchange(#"{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2099-01-01"}}}"#)
                == (400, nil, error(.number(7), -32022, "Unsupported protocol version", data: .obj(["supported": .array(["2026-07-28".json]), "requested": "2099-01-01".json]))))
        #expect(try await exchange("{not json") == (400, nil, error(.null, -32700, "Parse error: the body is not a JSON-RPC message")))
        #expect(try await exchange(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{\#(meta)}}"#) == (202, nil, nil))
        #expect(try await exchange(nil, method: "GET") == (405, "POST", error(.null, -32600, "Invalid Request: MCP 2026-07-28 takes POST only")))
        #expect(stub.requests.map(\.target) == ["/proxy/users.list?limit=100"])
    }

    @Test("per-tenant concurrency: one more call than allowed is refused at once, another tenant is not held up; a cancelled call stops upstream")
    func concurrency() async throws {
        let stub = try StubNango()
        let arrived = AsyncStream.makeStream(of: Void.self)
        stub.onRequest { request in
            if request.query.contains(where: { $0 == ("limit", "777") }) {
                arrived.continuation.yield()
                return StubNango.Reply(hold: true)
            }
            return StubNango.Reply(body: RecordedAnswers.body(for: request, fallback: MCPFixture.reply))
        }
        let records = RecordList()
        let tools = await server(stub, limits: MCPLimits(maxConcurrentCallsPerTenant: 1), records: records)
        let first = Task { try await tools.call("slack_list_users", arguments: ["limit": .int(777)], tenant: Tenant(user: "a")) }
        var iterator = arrived.stream.makeAsyncIterator()
        await iterator.next()
        let busy = try await tools.call("slack_list_users", arguments: [:], tenant: Tenant(user: "a"))
        #expect(busy.isError == true)
        #expect(Self.text(busy) == "This user already has 1 tool call running, the most allowed at once. Wait for one to finish, then call again.")
        let other = try await tools.call("slack_list_users", arguments: [:], tenant: Tenant(user: "b"))
        #expect(other.isError == nil && Self.text(other) == String(decoding: MCPFixture.answer("slack_list_users").jsonData, as: UTF8.self))
        first.cancel()
        await #expect(throws: CancellationError.self) { try await first.value }
        let after = try await tools.call("slack_list_users", arguments: [:], tenant: Tenant(user: "a"))
        #expect(after.isError == nil, "the slot is free again")
        #expect(stub.requests.map { "\($0.target) \($0.header("Connection-Id")!)" } == [
            "/proxy/users.list?limit=777 conn-a", "/proxy/users.list?limit=100 conn-b", "/proxy/users.list?limit=100 conn-a",
        ])
        try await waitUntil { stub.abandoned == ["/proxy/users.list?limit=777"] }
        #expect(records.lines == ["a slack_list_users: busy", "b slack_list_users: ok", "a slack_list_users: cancelled", "a slack_list_users: ok"])
    }

    @Test("fair sharing: one tenant's calls hanging at the provider, as many as it may have, do not hold up another tenant's call")
    func fairSharing() async throws {
        let stub = try StubNango()
        let arrived = AsyncStream.makeStream(of: Void.self)
        stub.onRequest { request in
            if request.query.contains(where: { $0 == ("limit", "777") }) {
                arrived.continuation.yield()
                return StubNango.Reply(hold: true)
            }
            return StubNango.Reply(body: RecordedAnswers.body(for: request, fallback: MCPFixture.reply))
        }
        let limits = MCPLimits()
        let tools = await server(stub, limits: limits, records: RecordList())
        // Tenant A: every call it may have, each hanging at the provider.
        let hanging = (0..<limits.maxConcurrentCallsPerTenant).map { _ in
            Task { try await tools.call("slack_list_users", arguments: ["limit": .int(777)], tenant: Tenant(user: "a")) }
        }
        var iterator = arrived.stream.makeAsyncIterator()
        for _ in hanging { await iterator.next() }
        // Tenant B's call is answered while A's still hang: none of A's requests has been
        // given up (with URLSession's 6 connections a host, B waited until A's timed out).
        let other = try await tools.call("slack_list_users", arguments: [:], tenant: Tenant(user: "b"))
        #expect(stub.abandoned == [], "B was answered while every call of A still held its connection")
        #expect(Self.text(other) == String(decoding: MCPFixture.answer("slack_list_users").jsonData, as: UTF8.self))
        #expect(stub.requests.map(\.target) == Array(repeating: "/proxy/users.list?limit=777", count: limits.maxConcurrentCallsPerTenant) + ["/proxy/users.list?limit=100"])
        for call in hanging { call.cancel() }
    }

    @Test("over HTTP, idle and trickling connections are closed after the idle timeout, and a body that trickles gets 408")
    func slowClients() async throws {
        let stub = try StubNango()
        let tools = await server(stub, limits: MCPLimits(), records: RecordList())
        let tokens = StaticTokenAuthenticator(tokens: ["tok-a-0123456789abcdef": "a"])
        // Two servers, so that each timeout is seen alone: idle connections (2 s), a slow
        // body (1 s, with an idle timeout far beyond it).
        func start(_ server: MCPHTTPServer) async throws -> (Int, Task<Void, any Error>) {
            let (ports, listening) = AsyncStream.makeStream(of: Int.self)
            let serving = Task { try await server.run(port: 0, handlesSignals: false) { listening.yield($0) } }
            var iterator = ports.makeAsyncIterator()
            return (try #require(await iterator.next()), serving)
        }
        let (port, serving) = try await start(MCPHTTPServer(tools: tools, authenticator: tokens, connectionIdleTimeout: .seconds(2), requestBodyTimeout: .seconds(60)))
        let (slowPort, slowServing) = try await start(MCPHTTPServer(tools: tools, authenticator: tokens, connectionIdleTimeout: .seconds(60), requestBodyTimeout: .seconds(1)))
        defer { serving.cancel(); slowServing.cancel() }
        // 20 idle connections, 5 that stop in the middle of their head, one whose body trickles.
        let idle = try (0..<20).map { _ in try RawSocket(port: port) }
        let trickling = try (0..<5).map { _ in try RawSocket(port: port) }
        for socket in trickling { socket.send("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bea") }
        let slowBody = try RawSocket(port: slowPort)
        slowBody.send("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:\(slowPort)\r\nAuthorization: Bearer tok-a-0123456789abcdef\r\nContent-Type: application/json\r\n" +
                      "Accept: application/json, text/event-stream\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\"")
        // Each read waits at most 30 s: a connection the server keeps open reads as "open".
        let answers = await onThread {
            (idle + trickling).map { $0.readToClose() } + [slowBody.readResponse()]
        }
        #expect(answers.prefix(25).allSatisfy { $0 == "" }, "closed without an answer: \(answers.prefix(25).filter { $0 != "" })")
        let timedOut = try #require(answers.last?.components(separatedBy: "\r\n\r\n"))
        #expect(timedOut.first?.hasPrefix("HTTP/1.1 408 Request Timeout\r\n") == true, "\(timedOut)")
        #expect(try JSON(json: Data((timedOut.last ?? "").utf8)) == .obj(["jsonrpc": "2.0".json, "id": .null, "error": .obj([
            "code": .number(-32600), "message": "Invalid Request: Request Timeout: the body did not arrive within 1.0 seconds; send it at once".json])]))
        #expect(stub.requests.isEmpty)
    }

    @Test("keyway mcp --http stops on SIGTERM while a client holds an event stream open: sessions end, streams close, exit 0")
    func gracefulShutdown() async throws {
        let dir = TempDir()
        dir.write("connections.json", #"{"a": {"slack": "c"}}"#)
        let server = try Child.start([KeywayRun.binary.path, "mcp", "--manifests", MCPFixture.manifests, "--connections", dir.path + "/connections.json", "--http", "0"],
                                     environment: ["NANGO_SECRET_KEY": "k", "KEYWAY_MCP_TOKENS": #"{"tok-a-0123456789abcdef": "a"}"#],
                                     stdout: dir.path + "/out", stderr: dir.path + "/err")
        let started = await server.waitForError(containing: "/mcp\n")
        let port = try #require(started.components(separatedBy: "\n").first { $0.hasPrefix("keyway mcp: serving 14 tools on http://127.0.0.1:") }
            .flatMap { Int($0.replacingOccurrences(of: "keyway mcp: serving 14 tools on http://127.0.0.1:", with: "").replacingOccurrences(of: "/mcp", with: "")) })
        let headers = "Host: 127.0.0.1:\(port)\r\nAuthorization: Bearer tok-a-0123456789abcdef\r\nMCP-Protocol-Version: 2025-06-18\r\n"
        let body = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#
        let opening = try RawSocket(port: port)
        opening.send("POST /mcp HTTP/1.1\r\n\(headers)Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let opened = await onThread { opening.readToClose() }
        let session = try #require(opened.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("mcp-session-id: ") }?.dropFirst("mcp-session-id: ".count))
        // The client's event stream for server messages, held open.
        let stream = try RawSocket(port: port)
        stream.send("GET /mcp HTTP/1.1\r\n\(headers)Mcp-Session-Id: \(session)\r\nAccept: text/event-stream\r\n\r\n")
        let streamed = Task { await onThread { stream.readToClose() } }
        try await Task.sleep(for: .milliseconds(500))
        // Before: the server waited for the stream forever (here: killed after 8 s, 137).
        #expect(await server.stop(grace: 8) == 0)
        let seen = await streamed.value
        #expect(seen.hasPrefix("HTTP/1.1 200 OK\r\n") && seen != "open", "\(seen)")
    }

    @Test("keyway mcp on stdio: a 20 MB line is skipped as it arrives and answered with an error; the messages around it are served")
    func longStdioLine() async throws {
        let dir = TempDir()
        dir.write("connections.json", #"{"a": {"slack": "c"}}"#)
        let process = Process()
        process.executableURL = KeywayRun.binary
        process.arguments = ["mcp", "--manifests", MCPFixture.manifests, "--connections", dir.path + "/connections.json", "--owner", "a"]
        process.environment = ProcessInfo.processInfo.environment.merging(["NANGO_SECRET_KEY": "k"]) { $1 }
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#
        let writer = Thread {
            let handle = input.fileHandleForWriting
            handle.write(Data((initialize + "\n" + #"{"jsonrpc":"2.0","method":"notifications/initialized"}"# + "\n").utf8))
            let megabyte = Data(repeating: UInt8(ascii: "x"), count: 1 << 20)
            for _ in 0..<20 { handle.write(megabyte) }
            handle.write(Data(("\n" + #"{"jsonrpc":"2.0","id":2,"method":"ping"}"# + "\n").utf8))
        }
        writer.start()
        // Three answers: initialize, the long line's error, the ping. The old transport
        // searched its whole buffer after every 4 KB: 20 MB never finished.
        let lines = await Task.detached { () -> [String] in
            var seen = Data()
            while seen.split(separator: UInt8(ascii: "\n")).count < 3 {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                seen += chunk
            }
            return seen.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
        }.value
        try input.fileHandleForWriting.close()
        // The end of input is not waited for: a child another test spawns meanwhile may hold
        // this pipe's write end (inherited), and Foundation's waitUntilExit spins on a
        // thread of the test pool while it waits (two runs hung on it). The child is stopped
        // and polled instead.
        process.terminate()
        let deadline = Date(timeIntervalSinceNow: 30)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!process.isRunning, "keyway mcp did not stop")
        try #require(lines.count == 3, "\(lines)")
        #expect(try JSON(json: Data(lines[0].utf8))["id"] == .number(1))
        let limit = MCPLimits().maxMessageBytes
        #expect(try JSON(json: Data(lines[1].utf8)) == .obj(["jsonrpc": "2.0".json, "id": .null, "error": .obj([
            "code": .number(-32600), "message": "Invalid Request: a message may hold at most \(limit) bytes; this line had more and was skipped".json])]))
        #expect(try JSON(json: Data(lines[2].utf8)) == .obj(["jsonrpc": "2.0".json, "id": .number(2), "result": .obj([:])]))
    }

    @Test("a session that ends cancels its calls in flight, and their requests upstream")
    func sessionEnd() async throws {
        let stub = try StubNango()
        let arrived = AsyncStream.makeStream(of: Void.self)
        stub.onRequest { _ in
            arrived.continuation.yield()
            return StubNango.Reply(hold: true)
        }
        let records = RecordList()
        let tools = await server(stub, limits: MCPLimits(), records: records)
        let session = await tools.makeSession(tenant: Tenant(user: "a"))
        let call = Task { try await tools.call("slack_list_users", arguments: [:], tenant: Tenant(user: "a"), session: session) }
        var iterator = arrived.stream.makeAsyncIterator()
        await iterator.next()
        await session.end()
        await #expect(throws: CancellationError.self) { try await call.value }
        try await waitUntil { stub.abandoned == ["/proxy/users.list?limit=100"] }
        #expect(records.lines == ["a slack_list_users: cancelled"])
        await #expect(throws: CancellationError.self) { try await tools.call("slack_list_users", arguments: [:], tenant: Tenant(user: "a"), session: session) }
        #expect(stub.requests.count == 1, "nothing is sent for an ended session")
    }

    @Test("a call that outlives its timeout is stopped, upstream too, and says so; arguments over the cap never leave")
    func timeoutAndSize() async throws {
        let stub = try StubNango()
        stub.onRequest { _ in StubNango.Reply(hold: true) }
        let records = RecordList()
        let tools = await server(stub, limits: MCPLimits(maxArgumentBytes: 64, callTimeout: .milliseconds(300)), records: records)
        let slow = try await tools.call("slack_list_users", arguments: [:], tenant: Tenant(user: "a"))
        #expect(slow.isError == true)
        #expect(Self.text(slow) == "The call did not finish within 0.3 s and was stopped; the provider may still have acted on it. Check before calling again, or ask for less.")
        try await waitUntil { stub.abandoned == ["/proxy/users.list?limit=100"] }
        let big = try await tools.call("slack_send_message", arguments: ["channel": "C1", "text": .string(String(repeating: "x", count: 64))], tenant: Tenant(user: "a"))
        #expect(big.isError == true && Self.text(big) == "The arguments are 90 bytes; this server accepts at most 64. Send less: shorter text, fewer items.")
        #expect(stub.requests.count == 1)
        #expect(records.lines == ["a slack_list_users: timed_out", "a slack_send_message: too_large"])
    }

    @Test("every way a call fails reads as what happened and what to do")
    func failureTexts() async throws {
        let stub = try StubNango()
        stub.onRequest { request in
            switch request.header("Connection-Id") {
            case "c-401": StubNango.Reply(status: 401, body: #"{"error": "invalid_auth"}"#)
            case "c-403": StubNango.Reply(status: 403, body: #"{"ok": false, "error": "missing_scope", "needed": "users:read"}"#)
            case "c-404": StubNango.Reply(status: 404, body: #"{"error": {"code": "unknown_connection"}}"#)
            default: StubNango.Reply(status: 400, body: #"{"error": "channel_not_found"}"#)
            }
        }
        let closedURL = URL(string: "http://127.0.0.1:9")!   // the discard port: nothing listens there
        let resolver = InMemoryConnectionResolver()
        await resolver.set(owner: "expired", providerConfigKey: "slack", ResolvedConnection(connectionID: "c", status: .expired))
        await resolver.set(owner: "scopes", providerConfigKey: "slack", ResolvedConnection(connectionID: "c", grantedScopes: ["chat:write"]))
        for owner in ["401", "403", "404", "400"] { await resolver.set(owner: owner, providerConfigKey: "slack", ResolvedConnection(connectionID: "c-\(owner)")) }
        func text(_ owner: String, _ url: URL = stub.baseURL) async throws -> String {
            let executor = ToolExecutor(client: NangoClient(secretKey: MCPFixture.secret, baseURL: url), resolver: resolver, registry: KeywayReferenceTools.AllTools.registry,
                                        retry: RetryPolicy(maxRetries: 0))
            let result = try await MCPToolServer(executor: executor).call("slack_list_users", arguments: [:], tenant: Tenant(user: owner))
            #expect(result.isError == true)
            return Self.text(result)
        }
        #expect(try await text("nobody") == "This user has not connected slack. Ask them to connect slack, then call the tool again.")
        #expect(try await text("expired") == "The slack connection must be authorised again: the connection has expired. Ask the user to reconnect slack, then call the tool again.")
        #expect(try await text("scopes") == "The slack connection must be authorised again: the connection lacks scope users:read. Ask the user to reconnect slack, then call the tool again.")
        #expect(try await text("401") == "The slack connection must be authorised again: the provider answered 401. Ask the user to reconnect slack, then call the tool again.")
        #expect(try await text("403") == "The slack connection was not granted a permission (OAuth scope) this call needs: the provider answered HTTP 403 (missing_scope). Ask the user to reconnect slack and grant what it asks for, then call the tool again.")
        let notFound = try await text("404")
        #expect(notFound == "This user has not connected slack. Ask them to connect slack, then call the tool again.")
        #expect(try await text("400") == #"The provider answered HTTP 400: {"error": "channel_not_found"}. The provider refused the request: check the arguments against its message, then call again with corrected ones."#)
        let unreachable = try await text("400", closedURL)
        #expect(unreachable == "The request did not get an answer (the connection was refused). Try again in a moment.")
    }

    @Test("hints follow the method: GET reads, DELETE, PUT and PATCH may destroy, POST adds; every tool reaches an open world")
    func annotations() {
        let hints = [KeywayRuntime.HTTPMethod.GET, .POST, .PUT, .PATCH, .DELETE].map { method in
            let a = MCPToolServer.annotations(for: method)
            return "\(method.rawValue) readOnly=\(a.readOnlyHint!) destructive=\(a.destructiveHint!) idempotent=\(a.idempotentHint!) openWorld=\(a.openWorldHint!)"
        }
        #expect(hints == [
            "GET readOnly=true destructive=false idempotent=true openWorld=true",
            "POST readOnly=false destructive=false idempotent=false openWorld=true",
            "PUT readOnly=false destructive=true idempotent=true openWorld=true",
            "PATCH readOnly=false destructive=true idempotent=false openWorld=true",
            "DELETE readOnly=false destructive=true idempotent=true openWorld=true",
        ])
    }

    @Test("static tokens: only an exact token names its owner; a token file is checked with messages that say what to fix")
    func staticTokens() async throws {
        let auth = StaticTokenAuthenticator(tokens: ["token-a-0123456789abcdef": "a"])
        #expect(try await auth.tenant(forBearerToken: "token-a-0123456789abcdef") == Tenant(user: "a"))
        for wrong in ["", "token-a-0123456789abcde", "token-a-0123456789abcdefX", "TOKEN-A-0123456789ABCDEF"] {
            #expect(try await auth.tenant(forBearerToken: wrong) == nil, "\(wrong)")
        }
        func problem(_ json: String) -> String {
            do {
                _ = try StaticTokenAuthenticator.parse(Data(json.utf8), source: "tokens.json")
                return "accepted"
            } catch { return "\(error)" }
        }
        #expect(problem("[]") == #"tokens.json: expected a JSON object of token → owner, like {"a-long-random-token": "user-1"}"#)
        #expect(problem(#"{"short": "a"}"#) == "tokens.json: the token of owner 'a' is shorter than 16 characters; use a long random one (openssl rand -hex 32)")
        #expect(problem(#"{"token-a-0123456789abcdef": ""}"#) == "tokens.json: the owner of a token must be a non-empty string")
        #expect(problem("{}") == #"tokens.json: no tokens; add one per user, like {"a-long-random-token": "user-1"}"#)
    }

    @Test("keyway mcp refuses to start without what it needs, and says what to do")
    func cliErrors() async throws {
        let dir = TempDir()
        dir.write("connections.json", #"{"a": {"gmial": "c"}}"#)
        func run(_ arguments: [String], _ environment: [String: String]) async throws -> (Int32, String) {
            let child = try Child.start([KeywayRun.binary.path, "mcp", "--manifests", MCPFixture.manifests] + arguments, environment: environment,
                                        stdout: dir.path + "/out", stderr: dir.path + "/err")
            return (await child.wait(), child.errors())
        }
        let connections = ["--connections", dir.path + "/connections.json"]
        let secret = ["NANGO_SECRET_KEY": "k"]
        func usage(_ message: String) -> (Int32, String) {
            (2, "Error: \(message)\n" +
                "Usage: keyway mcp <options>\n" +
                "  See 'keyway mcp --help' for more information.\n")
        }
        #expect(try await run(connections, secret) == usage("--owner is required on stdio: the owner (as in --connections) whose connections the tools use"))
        let oneSource = usage("pass one source of connections: --database postgres://… (keyway's tables) or --connections FILE (a JSON map, for local use)")
        #expect(try await run(["--owner", "a"], secret) == oneSource)
        #expect(try await run(connections + ["--database", "postgres://u@h/db", "--owner", "a"], secret) == oneSource)
        #expect(try await run(["--database", "sqlite:x.db", "--owner", "a"], secret) == usage("--database must be keyway's PostgreSQL (postgres://…): connections live there"))
        #expect(try await run(connections + ["--owner", "a", "--no-connect-links"], secret) == usage("--no-connect-links goes with --database: with --connections there are no links"))
        #expect(try await run(connections + ["--http", "0", "--issuer", "https://id.example"], secret)
                == usage("--issuer needs --resource, this server's public URL (e.g. https://mcp.example.com/mcp): tokens must be meant for it"))
        #expect(try await run(connections + ["--http", "0", "--resource", "https://mcp.example.com/mcp"], secret) == usage("--resource, --jwks-url, --audience and --required-scope go with --issuer"))
        #expect(try await run(connections + ["--http", "0", "--issuer", "https://id.example", "--resource", "https://mcp.example.com/mcp", "--required-scope", #"a"b"#], secret)
                == usage(#"--required-scope 'a"b' is not a scope: printable ASCII without spaces, quotes or backslashes"#))
        #expect(try await run(connections + ["--owner", "a"], ["NANGO_SECRET_KEY": ""]) == (1, "<command line>:1:1: error: NANGO_SECRET_KEY is not set: export your Nango environment's secret key (Nango dashboard → Environment Settings)\n1 error, 0 warnings\n"))
        #expect(try await run(connections + ["--owner", "a"], secret) == (1, "keyway mcp: not serving gmail_send_email: its request is built by hand-written Swift (request: custom), which only an app compiling the generated Swift beside that builder can serve (KeywayMCP)\n" +
                                                                          "\(dir.path)/connections.json:1:1: error: owner 'a' names 'gmial', which is no integration of the manifests; use one of gmail, google-calendar, hubspot, linear, notion, slack, stripe\n1 error, 0 warnings\n"))
        dir.write("connections.json", #"{"a": {"gmail": "c"}}"#)
        let noIssuer = try StubNango()
        noIssuer.onRequest { _ in StubNango.Reply(status: 404, body: "{}") }
        #expect(try await run(connections + ["--http", "0", "--issuer", noIssuer.baseURL.absoluteString, "--resource", "https://mcp.example.com/mcp"], secret)
                == (1, "keyway mcp: not serving gmail_send_email: its request is built by hand-written Swift (request: custom), which only an app compiling the generated Swift beside that builder can serve (KeywayMCP)\n" +
                       "<command line>:1:1: error: \(noIssuer.baseURL.absoluteString)/.well-known/openid-configuration answered HTTP 404 without an OpenID configuration; check --issuer, or give the keys' address with --jwks-url\n1 error, 0 warnings\n"))
        #expect(try await run(connections + ["--http", "0"], secret.merging(["KEYWAY_MCP_TOKENS": ""]) { $1 }) == (1, "keyway mcp: not serving gmail_send_email: its request is built by hand-written Swift (request: custom), which only an app compiling the generated Swift beside that builder can serve (KeywayMCP)\n" +
                                                                                                                   #"<command line>:1:1: error: KEYWAY_MCP_TOKENS: expected a JSON object of token → owner, like {"a-long-random-token": "user-1"}"# + "\n1 error, 0 warnings\n"))
    }
}

/// Lines recorded from any thread.
final class RecordList: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    func append(_ line: String) { lock.withLock { recorded.append(line) } }
    var lines: [String] { lock.withLock { recorded } }
}

/// Polls a condition for up to 10 s.
func waitUntil(_ condition: @Sendable () -> Bool) async throws {
    for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(20)) }
    #expect(condition())
}

/// A bare TCP client, to be an idle or slow HTTP client.
final class RawSocket: @unchecked Sendable {
    let fd: Int32
    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { throw ChildError("connect: \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }
    deinit { close(fd) }

    func send(_ text: String) {
        _ = text.utf8CString.withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }
    }

    /// One HTTP response: its head and a body of its Content-Length (or what arrived
    /// before the connection closed).
    func readResponse() -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let text = String(decoding: received, as: UTF8.self)
            if let split = text.range(of: "\r\n\r\n") {
                let head = text[..<split.lowerBound].lowercased()
                let length = head.components(separatedBy: "\r\n").first { $0.hasPrefix("content-length: ") }.flatMap { Int($0.dropFirst("content-length: ".count)) } ?? 0
                if text[split.upperBound...].utf8.count >= length { return text }
            }
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { return text }
            received += buffer[..<n]
        }
    }

    /// What the server sent until it closed the connection; "open" when it did not close
    /// it within the receive timeout.
    func readToClose() -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { received += buffer[..<n]; continue }
            if n == 0 || errno == ECONNRESET { return String(decoding: received, as: UTF8.self) }
            return "open"
        }
    }
}

/// Runs blocking work (socket reads) on a thread of its own, not on the cooperative pool
/// the servers under test need.
func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}
