import Crypto
import Foundation
import KeywayCore
import KeywayEmit
import KeywayReferenceTools
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayConnections
@testable import KeywayRuntime
import KeywayValidate
import KeywayFiles
import Testing

/// An input for a tool, built from its JSON Schema: every property, each a valid value.
func sampleArguments(_ schema: KeywayRuntime.JSONValue, name: String = "") -> KeywayRuntime.JSONValue {
    if case .array(let allowed)? = schema["enum"], let first = allowed.first { return first }
    switch schema["type"] {
    case .string("string")?:
        switch schema["format"] {
        case .string("email")?: return .string("ada@example.com")
        case .string("date-time")?: return .string("2026-01-31T09:00:00Z")
        case .string("date")?: return .string("2026-01-31")
        case .string("uri")?: return .string("https://example.com/page")
        default: return .string("value-\(name)")
        }
    case .string("integer")?: return schema["default"] ?? .number(7)
    case .string("number")?: return .number(1.5)
    case .string("boolean")?: return .bool(true)
    case .string("array")?: return .array([sampleArguments(schema["items"] ?? .null, name: name)])
    case .string("object")?:
        if let values = schema["additionalProperties"], case .object = values { return .object(["key-\(name)": sampleArguments(values, name: name)]) }
        guard case .object(let properties)? = schema["properties"] else { return .object([:]) }
        return .object(properties.reduce(into: [:]) { $0[$1.key] = sampleArguments($1.value, name: $1.key) })
    default: return .null
    }
}

func roundTrip<T: AgentTool>(_ tool: T.Type, _ json: Data) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return try encoder.encode(JSONDecoder().decode(T.Input.self, from: json))
}

@Suite("The runtime, against a loopback stand-in for Nango", .serialized)
struct RuntimeTests {
    static let secret = "nango-secret-key-0123"
    static let catalog = Pipeline.validate(manifests: packageRoot.appendingPathComponent("Manifests").path).catalog!

    func executor(_ stub: StubNango, resolver: InMemoryConnectionResolver, retry: RetryPolicy = RetryPolicy(maxRetries: 2, baseDelay: 0.01, maxDelay: 5, random: { 0.5 }),
                  clock: any RetryClock = RecordingClock()) -> ToolExecutor {
        ToolExecutor(client: NangoClient(secretKey: Self.secret, baseURL: stub.baseURL), resolver: resolver, registry: AllTools.registry, retry: retry, clock: clock)
    }

    @Test("every shipped tool runs end to end: method, path, query, headers and body as the manifest says")
    func everyToolEndToEnd() async throws {
        let stub = try StubNango()
        let fallback = #"{"id": "42", "items": [1, 2]}"#
        stub.onRequest { StubNango.Reply(body: RecordedAnswers.body(for: $0, fallback: fallback)) }
        let resolver = InMemoryConnectionResolver()
        for integration in Self.catalog.integrations {
            await resolver.set(owner: "tenant-1", providerConfigKey: integration.key, ResolvedConnection(connectionID: "conn-\(integration.key)"))
        }
        let run = executor(stub, resolver: resolver)
        #expect(AllTools.tools.count == Self.catalog.connectors.flatMap(\.tools).count)
        for connector in Self.catalog.connectors {
            for tool in connector.tools {
                let name = connector.slug + "_" + tool.name
                let type = try #require(AllTools.registry.tools[name])
                let arguments = sampleArguments(type.inputSchema)
                let before = stub.requests.count
                let result = await run.execute(tool: name, arguments: arguments.jsonData, owner: "tenant-1")
                #expect(result == .success(try RecordedAnswers.json(name) ?? KeywayRuntime.JSONValue(json: Data(fallback.utf8))), "\(name): its provider's answer")
                let sent = stub.requests.dropFirst(before)
                try #require(sent.count == 1, "\(name) sent \(sent.count) requests")
                let request = sent.first!
                #expect(request.method == tool.method.rawValue, "\(name)")
                #expect(request.header("Authorization") == "Bearer \(Self.secret)")
                #expect(request.header("Connection-Id") == "conn-\(connector.providerKey)")
                #expect(request.header("Provider-Config-Key") == connector.providerKey)
                if tool.request == .custom { continue }
                var path = tool.endpoint
                var query: [String: String] = [:], body: [String: KeywayRuntime.JSONValue] = [:]
                for input in tool.inputs {
                    let value = arguments[input.name]!
                    func scalar(_ value: KeywayRuntime.JSONValue) -> String? {
                        switch value {
                        case .string(let s): s
                        case .number(let n): String(Int(n))
                        case .bool(let b): String(b)
                        default: nil
                        }
                    }
                    // A sample array holds one item: repeated and comma-joined send it alike.
                    let text: String? = if case .array(let items) = value, input.placement == .query { items.compactMap(scalar).joined(separator: ",") } else { scalar(value) }
                    switch input.placement {
                    case .path: path = path.replacingOccurrences(of: "{\(input.name)}", with: text!)
                    case .query: query[input.name] = text
                    case .header:
                        // Nango forwards only Nango-Proxy-* headers to the provider.
                        #expect(request.header("Nango-Proxy-" + input.name) == text && request.header(input.name) == nil)
                    case .body: body[input.name] = value
                    }
                }
                #expect(request.path == "/proxy" + path, "\(name)")
                #expect(Dictionary(request.query, uniquingKeysWith: { a, _ in a }) == query, "\(name)")
                if tool.method == .GET || tool.method == .DELETE {
                    #expect(request.body.isEmpty, "\(name)")
                } else {
                    #expect(try KeywayRuntime.JSONValue(json: request.body) == .object(body), "\(name)")
                }
            }
        }
    }

    @Test("Gmail's send_email sends an RFC 822 message, base64url-encoded")
    func gmailSendEmail() async throws {
        let stub = try StubNango()
        let resolver = InMemoryConnectionResolver()
        await resolver.set(owner: "t", providerConfigKey: "gmail", ResolvedConnection(connectionID: "c"))
        let subject = "Hello ✓\r\nBcc: victim@example.com"
        let arguments: KeywayRuntime.JSONValue = .object(["to": .string("ada@example.com"), "subject": .string(subject), "body": .string("<p>Hi</p>")])
        stub.onRequest { StubNango.Reply(body: RecordedAnswers.body(for: $0, fallback: "{}")) }
        let result = await executor(stub, resolver: resolver).execute(tool: "gmail_send_email", arguments: arguments.jsonData, owner: "t")
        #expect(result == .success(try #require(RecordedAnswers.json("gmail_send_email"))))
        let request = try #require(stub.requests.first)
        #expect(request.path == "/proxy/gmail/v1/users/me/messages/send")
        guard case .string(let raw)? = try KeywayRuntime.JSONValue(json: request.body)["raw"] else { Issue.record("no raw"); return }
        #expect(!raw.contains("+") && !raw.contains("/") && !raw.contains("="))
        var base64 = raw.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        let message = String(decoding: try #require(Data(base64Encoded: base64)), as: UTF8.self)
        let headers = message.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
        #expect(headers.contains("To: ada@example.com"))
        #expect(headers.contains("Subject: =?UTF-8?B?\(Data(subject.utf8).base64EncodedString())?="))
        #expect(!headers.contains { $0.hasPrefix("Bcc") }, "a subject cannot add headers")
    }

    @Test("failures are typed: 401 needs reauth, a provider's insufficient-scope answer is its own kind, 429 rate limited after retries, 500 retried for GET only")
    func failures() async throws {
        let stub = try StubNango()
        let resolver = InMemoryConnectionResolver()
        await resolver.set(owner: "t", providerConfigKey: "slack", ResolvedConnection(connectionID: "c"))
        let run = executor(stub, resolver: resolver)
        let list = KeywayRuntime.JSONValue.object([:]).jsonData
        let send = KeywayRuntime.JSONValue.object(["channel": .string("C1"), "text": .string("hi")]).jsonData

        stub.onRequest { _ in StubNango.Reply(status: 401, body: #"{"error": "invalid_auth"}"#) }
        #expect(await run.execute(tool: "slack_list_channels", arguments: list, owner: "t") == .failure(.needsReauth(providerConfigKey: "slack", reason: "the provider answered 401")))
        #expect(stub.requests.count == 1, "401 is not retried")

        // A provider's answer that the token lacks a scope, in each provider's words: a kind
        // of its own (the user must grant more), not retried; another 403 needs reauth.
        let refusals: [(StubNango.Reply, ToolFailure)] = [
            (StubNango.Reply(status: 403, headers: [("Content-Type", "application/json"), ("WWW-Authenticate", #"Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="https://www.googleapis.com/auth/gmail.readonly""#)], body: "{}"),
             .insufficientScope(providerConfigKey: "slack", status: 403, detail: "insufficient_scope")),
            (StubNango.Reply(status: 403, body: #"{"error": {"code": 403, "message": "Request had insufficient authentication scopes.", "status": "PERMISSION_DENIED", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}]}}"#),
             .insufficientScope(providerConfigKey: "slack", status: 403, detail: "ACCESS_TOKEN_SCOPE_INSUFFICIENT")),
            (StubNango.Reply(status: 403, body: #"{"status": "error", "message": "This app hasn't been granted all required scopes to make this call.", "category": "MISSING_SCOPES"}"#),
             .insufficientScope(providerConfigKey: "slack", status: 403, detail: "MISSING_SCOPES")),
            (StubNango.Reply(status: 403, body: #"{"message": "Forbidden"}"#), .needsReauth(providerConfigKey: "slack", reason: "the provider answered 403")),
        ]
        for (reply, failure) in refusals {
            let before = stub.requests.count
            stub.onRequest { _ in reply }
            #expect(await run.execute(tool: "slack_list_channels", arguments: list, owner: "t") == .failure(failure))
            #expect(stub.requests.count == before + 1, "not retried")
        }

        stub.onRequest { _ in StubNango.Reply(status: 429, headers: [("Retry-After", "1")], body: "{}") }
        #expect(await run.execute(tool: "slack_list_channels", arguments: list, owner: "t") == .failure(.rateLimited(retryAfter: 1)))
        #expect(stub.requests.count == 5 + 3, "GET retried twice")

        stub.onRequest { _ in StubNango.Reply(status: 500, body: #"{"error": "boom"}"#) }
        #expect(await run.execute(tool: "slack_list_channels", arguments: list, owner: "t") == .failure(.upstream(status: 500, body: #"{"error": "boom"}"#)))
        #expect(stub.requests.count == 8 + 3)
        #expect(await run.execute(tool: "slack_send_message", arguments: send, owner: "t") == .failure(.upstream(status: 500, body: #"{"error": "boom"}"#)))
        #expect(stub.requests.count == 11 + 1, "POST is not retried")

        let calls = Counter()
        stub.onRequest { _ in calls.next() == 1 ? StubNango.Reply(status: 503, body: "{}") : StubNango.Reply() }
        #expect(await run.execute(tool: "slack_list_channels", arguments: list, owner: "t") == .success(.object(["ok": .bool(true)])), "a retry that succeeds")
    }

    @Test("no connection, or a connection without the tool's scope, fails before any request")
    func connectionChecks() async throws {
        let stub = try StubNango()
        let resolver = InMemoryConnectionResolver()
        let run = executor(stub, resolver: resolver)
        let arguments = KeywayRuntime.JSONValue.object(["q": .string("from:ada")]).jsonData
        #expect(await run.execute(tool: "gmail_search_emails", arguments: arguments, owner: "t") == .failure(.notConnected(providerConfigKey: "gmail")))
        await resolver.set(owner: "t", providerConfigKey: "gmail", ResolvedConnection(connectionID: "c", grantedScopes: ["https://www.googleapis.com/auth/gmail.send"]))
        #expect(await run.execute(tool: "gmail_search_emails", arguments: arguments, owner: "t")
                == .failure(.needsReauth(providerConfigKey: "gmail", reason: "the connection lacks scope https://www.googleapis.com/auth/gmail.readonly")))
        #expect(await run.execute(tool: "nope", arguments: arguments, owner: "t") == .failure(.unknownTool("nope")))
        #expect(stub.requests.isEmpty)
    }

    @Test("invalid inputs are refused with the field named", arguments: [
        ("gmail_search_emails", #"{}"#, "q"),
        ("gmail_search_emails", #"{"q": 5}"#, "q"),
        ("gmail_search_emails", #"{"q": "x", "maxResults": "ten"}"#, "maxResults"),
        ("gmail_send_email", #"{"to": "not an email", "subject": "s", "body": "b"}"#, "to"),
        ("gmail_send_email", #"{"to": "ada@example.com\r\nBcc: x@y.z", "subject": "s", "body": "b"}"#, "to"),
        ("google-calendar_list_events", #"{"calendarId": "primary", "timeMin": "yesterday"}"#, "timeMin"),
        ("google-calendar_create_event", #"{"calendarId": "p", "summary": "s", "start": {"dateTime": "soon"}, "end": {"dateTime": "2026-01-31T10:00:00Z"}}"#, "start.dateTime"),
        ("google-calendar_create_event", #"{"calendarId": "p", "summary": "s", "start": {"dateTime": "tomorrow"}, "end": {"dateTime": "2026-01-31T10:00:00Z"}}"#, "start.dateTime"),
        ("google-calendar_create_event", #"{"calendarId": "p", "summary": "s", "sendUpdates": "everyone", "start": {}, "end": {}}"#, "sendUpdates"),
        ("google-calendar_create_event", #"{"calendarId": "p", "summary": "s", "start": {"dateTime": "2026-01-31T09:00:00Z"}, "end": {"dateTime": "2026-01-31T10:00:00Z"}, "attendees": [{"email": "nope"}]}"#, "attendees[].email"),
        ("stripe_list_customers", #"[1, 2]"#, ""),
    ])
    func invalidInputs(_ tool: String, _ json: String, _ field: String) async throws {
        let stub = try StubNango()
        let resolver = InMemoryConnectionResolver()
        for key in ["gmail", "google-calendar", "stripe"] { await resolver.set(owner: "t", providerConfigKey: key, ResolvedConnection(connectionID: "c")) }
        let result = await executor(stub, resolver: resolver).execute(tool: tool, arguments: Data(json.utf8), owner: "t")
        guard case .failure(.invalidInput(let named, _)) = result else { Issue.record("\(tool) \(json) → \(result)"); return }
        #expect(named == field, "\(tool) \(json)")
        #expect(stub.requests.isEmpty)
    }

    @Test("for every tool, an input built from its schema encodes, decodes and encodes to the same JSON")
    func inputRoundTrip() throws {
        for tool in AllTools.tools {
            let json = sampleArguments(tool.inputSchema).jsonData
            let again = try roundTrip(tool, json)
            #expect(try KeywayRuntime.JSONValue(json: again) == KeywayRuntime.JSONValue(json: json), "\(tool.qualifiedName)")
        }
    }

    @Test("path values cannot change the path; header values cannot add headers")
    func pathAndHeaderInjection() async throws {
        let stub = try StubNango()
        let resolver = InMemoryConnectionResolver()
        await resolver.set(owner: "t", providerConfigKey: "google-calendar", ResolvedConnection(connectionID: "c"))
        let arguments = KeywayRuntime.JSONValue.object(["calendarId": .string("../../admin/x?y=1#z")]).jsonData
        _ = await executor(stub, resolver: resolver).execute(tool: "google-calendar_list_events", arguments: arguments, owner: "t")
        #expect(stub.requests.first?.path == "/proxy/calendar/v3/calendars/..%2F..%2Fadmin%2Fx%3Fy%3D1%23z/events")
        for dots in ["..", "."] {
            let request = try GoogleCalendar.ListEvents.makeRequest(.init(calendarId: dots))
            #expect(!request.path.contains("/\(dots)/"))
        }
    }

    @Test("connect sessions carry tags and allowed_integrations; end_user only when given")
    func connectSession() async throws {
        let stub = try StubNango()
        stub.onRequest { _ in StubNango.Reply(status: 201, body: #"{"data": {"token": "tok", "expires_at": "2026-11-21T12:00:00Z", "connect_link": "https://connect.nango.dev/x"}}"#) }
        let client = NangoClient(secretKey: Self.secret, baseURL: stub.baseURL)
        let session = try await client.createConnectSession(tags: ["end_user_id": "u1", "organization_id": "o1"], allowedIntegrations: ["gmail"])
        #expect(session.token == "tok" && session.expiresAt == "2026-11-21T12:00:00Z" && session.connectLink == "https://connect.nango.dev/x")
        let request = try #require(stub.requests.first)
        #expect(request.method == "POST" && request.path == "/connect/sessions")
        #expect(try KeywayRuntime.JSONValue(json: request.body) == .object(["tags": .object(["end_user_id": .string("u1"), "organization_id": .string("o1")]), "allowed_integrations": .array([.string("gmail")])]))
        _ = try await client.createConnectSession(tags: [:], endUser: (id: "u1", email: nil))
        #expect(try KeywayRuntime.JSONValue(json: stub.requests[1].body)["end_user"] == .object(["id": .string("u1")]))

        stub.onRequest { _ in StubNango.Reply(body: #"{"connection_id": "c1", "provider_config_key": "gmail"}"#) }
        let connection = try await client.connection(id: "c 1", providerConfigKey: "gmail")
        #expect(connection["connection_id"] == .string("c1"))
        #expect(stub.requests[2].path == "/connections/c%201" && stub.requests[2].query.map { "\($0.0)=\($0.1)" } == ["provider_config_key=gmail"])
    }

    @Test("a self-hosted base URL with a path prefix is kept")
    func selfHosted() async throws {
        let stub = try StubNango()
        let client = NangoClient(secretKey: Self.secret, baseURL: stub.baseURL.appendingPathComponent("nango"))
        _ = try await client.proxy(ToolRequest(method: .GET, path: "/v1/customers"), connectionID: "c", providerConfigKey: "stripe")
        #expect(stub.requests.first?.path == "/nango/proxy/v1/customers")
        // A path a hand-written request builds with characters a URL path cannot hold.
        _ = try await client.proxy(ToolRequest(method: .GET, path: "/v1/café items/a%2Fb"), connectionID: "c", providerConfigKey: "stripe")
        #expect(stub.requests.last?.path == "/nango/proxy/v1/caf%C3%A9%20items/a%2Fb")
    }

    @Test("the secret key never appears in an error or a description")
    func secretNeverShown() async throws {
        let closed = URL(string: "http://127.0.0.1:\(PostgresServer.freePort())")!
        let client = NangoClient(secretKey: Self.secret, baseURL: closed)
        #expect(!"\(client)".contains(Self.secret) && !String(reflecting: client).contains(Self.secret))
        do {
            _ = try await client.proxy(ToolRequest(method: .GET, path: "/x"), connectionID: "c", providerConfigKey: "k")
            Issue.record("a closed port answered")
        } catch {
            #expect(!"\(error)".contains(Self.secret))
        }
        let stub = try StubNango()
        stub.onRequest { request in StubNango.Reply(status: 400, body: "echo: \(request.header("Authorization") ?? "")") }
        let echoing = NangoClient(secretKey: Self.secret, baseURL: stub.baseURL)
        let resolver = InMemoryConnectionResolver()
        await resolver.set(owner: "t", providerConfigKey: "stripe", ResolvedConnection(connectionID: "c"))
        let result = await ToolExecutor(client: echoing, resolver: resolver, registry: AllTools.registry).execute(tool: "stripe_list_customers", arguments: Data("{}".utf8), owner: "t")
        #expect(!"\(result)".contains(Self.secret))
    }

    @Test("webhooks: Nango's HMAC over the raw body, constant-time; tampering, wrong key, missing header and the legacy header refused")
    func webhooks() throws {
        let key = "webhook-signing-key"
        let body = Data(#"{"type":"auth","operation":"creation","success":true,"connectionId":"c-1","providerConfigKey":"gmail","provider":"google-mail","environment":"prod","tags":{"end_user_id":"u1"},"endUser":{"endUserId":"u1","organizationId":"o1"}}"#.utf8)
        let hmac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(key.utf8))).map { String(format: "%02x", $0) }.joined()
        #expect(NangoWebhook.verify(body: body, headers: ["X-Nango-Hmac-Sha256": hmac], signingKey: key))
        #expect(NangoWebhook.verify(body: body, headers: ["x-nango-hmac-sha256": hmac.uppercased()], signingKey: key))
        var tampered = body
        tampered[tampered.count - 3] = UInt8(ascii: "X")
        #expect(!NangoWebhook.verify(body: tampered, headers: ["X-Nango-Hmac-Sha256": hmac], signingKey: key))
        #expect(!NangoWebhook.verify(body: body, headers: ["X-Nango-Hmac-Sha256": hmac], signingKey: "other-key"))
        #expect(!NangoWebhook.verify(body: body, headers: [:], signingKey: key))
        #expect(!NangoWebhook.verify(body: body, headers: ["X-Nango-Hmac-Sha256": String(hmac.dropLast())], signingKey: key))
        let legacy = SHA256.hash(data: Data(key.utf8) + body).map { String(format: "%02x", $0) }.joined()
        #expect(!NangoWebhook.verify(body: body, headers: ["X-Nango-Signature": legacy], signingKey: key))
        #expect(NangoWebhook.verify(body: body, headers: ["X-Nango-Signature": legacy], signingKey: key, allowLegacy: true))
        let event = try #require(NangoWebhook.authEvent(body: body, headers: ["X-Nango-Hmac-Sha256": hmac], signingKey: key))
        #expect(event.connectionId == "c-1" && event.providerConfigKey == "gmail" && event.success && event.operation == "creation")
        #expect(event.tags == ["end_user_id": "u1"] && event.endUser?.organizationId == "o1")
        #expect(NangoWebhook.authEvent(body: tampered, headers: ["X-Nango-Hmac-Sha256": hmac], signingKey: key) == nil)
    }

    @Test("keyway tools prints valid JSON Schemas (checked by a reference validator), the same as the compiled ones")
    func toolsSchemas() throws {
        let run = try KeywayRun.run(["tools", "--format", "json", "--manifests", packageRoot.appendingPathComponent("Manifests").path])
        #expect(run.status == 0)
        let printed = try KeywayRuntime.JSONValue(json: Data(run.stdout.utf8))
        // What model APIs take (name, description, input_schema), plus each declared output_schema.
        guard case .array(let entries) = printed else { Issue.record("not a list: \(run.stdout)"); return }
        #expect(KeywayRuntime.JSONValue.array(entries.map { entry in
            guard case .object(var fields) = entry else { return entry }
            fields["output_schema"] = nil
            return .object(fields)
        }) == AllTools.registry.definitions)
        #expect(entries.compactMap { entry in entry["output_schema"].map { (entry["name"]!, $0) } }.map { "\($0.0)" }
                == AllTools.registry.tools.keys.sorted().filter { AllTools.registry.tools[$0]!.outputContract != nil }.map { "\(KeywayRuntime.JSONValue.string($0))" })
        let dir = TempDir()
        dir.write("tools.json", run.stdout)
        let samples = KeywayRuntime.JSONValue.object(AllTools.registry.tools.mapValues { sampleArguments($0.inputSchema) })
        dir.write("samples.json", samples.jsonData)
        #expect(Python.require(["jsonschema"]))
        let check = Python.run(["-c", """
            import json, sys
            from jsonschema import Draft202012Validator
            tools = json.load(open(sys.argv[1])); samples = json.load(open(sys.argv[2]))
            for t in tools:
                Draft202012Validator.check_schema(t["input_schema"])
                Draft202012Validator(t["input_schema"], format_checker=Draft202012Validator.FORMAT_CHECKER).validate(samples[t["name"]])
                assert not Draft202012Validator(t["input_schema"]).is_valid({"unexpected": 1}), t["name"]
                if "output_schema" in t: Draft202012Validator.check_schema(t["output_schema"])
            print(len(tools), "schemas valid")
            """, dir.path + "/tools.json", dir.path + "/samples.json"])
        #expect(check.status == 0 && check.output.contains("15 schemas valid"), "\(check.output)")
    }
}

/// A thread-safe counter for stub handlers (which run on the server's event loop).
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.withLock { value += 1; return value } }
}

/// A retry clock that records each wait and returns at once (or, with `cancelling`,
/// answers as a cancelled task's sleep does).
final class RecordingClock: RetryClock, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Double] = []
    let cancelling: Bool
    init(cancelling: Bool = false) { self.cancelling = cancelling }
    var sleeps: [Double] { lock.withLock { recorded } }
    func sleep(seconds: Double) async throws {
        lock.withLock { recorded.append(seconds) }
        if cancelling { throw CancellationError() }
    }
}

@Suite("Retries: backoff with jitter, Retry-After, cancellation")
struct RetryTests {
    func run(_ stub: StubNango, _ clock: RecordingClock, maxRetries: Int = 3) async -> ToolResult {
        let resolver = InMemoryConnectionResolver()
        await resolver.set(owner: "t", providerConfigKey: "slack", ResolvedConnection(connectionID: "c"))
        let executor = ToolExecutor(client: NangoClient(secretKey: "k", baseURL: stub.baseURL), resolver: resolver, registry: AllTools.registry,
                                    retry: RetryPolicy(maxRetries: maxRetries, baseDelay: 1, maxDelay: 4, random: { 0.5 }), clock: clock)
        return await executor.execute(tool: "slack_list_channels", arguments: Data("{}".utf8), owner: "t")
    }

    @Test("full jitter under an exponential bound capped at maxDelay; no real sleep")
    func backoff() async throws {
        let stub = try StubNango()
        stub.onRequest { _ in StubNango.Reply(status: 503, body: "{}") }
        let clock = RecordingClock()
        #expect(await run(stub, clock, maxRetries: 4) == .failure(.upstream(status: 503, body: "{}")))
        #expect(clock.sleeps == [0.5, 1, 2, 2], "0.5 × min(4, 1 × 2^attempt)")
        #expect(stub.requests.count == 5)
        #expect(RetryPolicy(baseDelay: 1, maxDelay: 4, random: { 0 }).delay(attempt: 5, retryAfter: nil) == 0)
        #expect(RetryPolicy(baseDelay: 1, maxDelay: 4, random: { 0.999 }).delay(attempt: 5, retryAfter: nil) < 4)
    }

    @Test("Retry-After is a floor; one longer than maxDelay is the caller's to wait for")
    func retryAfter() async throws {
        let stub = try StubNango()
        stub.onRequest { _ in StubNango.Reply(status: 429, headers: [("Retry-After", "3")], body: "{}") }
        let clock = RecordingClock()
        #expect(await run(stub, clock, maxRetries: 2) == .failure(.rateLimited(retryAfter: 3)))
        #expect(clock.sleeps == [3, 3])
        let long = try StubNango()
        long.onRequest { _ in StubNango.Reply(status: 429, headers: [("Retry-After", "60")], body: "{}") }
        let waited = RecordingClock()
        #expect(await run(long, waited) == .failure(.rateLimited(retryAfter: 60)))
        #expect(waited.sleeps == [] && long.requests.count == 1)
    }

    @Test("a cancelled call stops: no further attempt, a typed failure")
    func cancellation() async throws {
        let stub = try StubNango()
        stub.onRequest { _ in StubNango.Reply(status: 500, body: "{}") }
        let clock = RecordingClock(cancelling: true)
        #expect(await run(stub, clock) == .failure(.cancelled))
        #expect(stub.requests.count == 1 && clock.sleeps == [0.5])
        // A task cancelled before its call sends nothing.
        let idle = try StubNango()
        let task = Task { () -> ToolResult in
            while !Task.isCancelled { await Task.yield() }
            return await run(idle, RecordingClock())
        }
        task.cancel()
        #expect(await task.value == .failure(.cancelled))
        #expect(idle.requests.isEmpty)
    }
}

@Suite("What reaches Nango's proxy: declared defaults, provider headers")
struct ProxyFidelityTests {
    @Test("a declared default is sent when the caller omits the field (or sends null); a given value wins")
    func defaultsAreSent() async throws {
        let stub = try StubNango()
        let resolver = InMemoryConnectionResolver()
        await resolver.set(owner: "t", providerConfigKey: "gmail", ResolvedConnection(connectionID: "c"))
        let executor = ToolExecutor(client: NangoClient(secretKey: "k", baseURL: stub.baseURL), resolver: resolver, registry: AllTools.registry, clock: RecordingClock())
        let schema = try #require(AllTools.registry.tools["gmail_search_emails"]).inputSchema
        #expect(schema["properties"]?["maxResults"]?["default"] == .number(10), "the model is told 10")
        for (arguments, query) in [
            (#"{"q": "from:ada"}"#, ["maxResults=10", "q=from:ada"]),
            (#"{"q": "from:ada", "maxResults": null}"#, ["maxResults=10", "q=from:ada"]),
            (#"{"q": "from:ada", "maxResults": 3}"#, ["maxResults=3", "q=from:ada"]),
        ] {
            _ = await executor.execute(tool: "gmail_search_emails", arguments: Data(arguments.utf8), owner: "t")
            #expect(stub.requests.last?.query.map { "\($0.0)=\($0.1)" } == query, "\(arguments)")
        }
        // Nested defaults, and arguments that are not an object are left for decoding to refuse.
        let nested: InputContract = [
            .init("page", .object(properties: [.init("size", .integer, optional: true, default: .integer(50))]), in: .query),
            .init("limit", .integer, optional: true, default: .integer(20), in: .query),
        ]
        let filled = nested.applyingDefaults(Data(#"{"page": {}}"#.utf8))
        #expect(try KeywayRuntime.JSONValue(json: filled) == .object(["page": .object(["size": .number(50)]), "limit": .number(20)]))
        #expect(nested.applyingDefaults(Data("[1]".utf8)) == Data("[1]".utf8))
    }

    @Test("Calendar create_event: an all-day event with invitations sent, exact request")
    func allDayEventWithInvitations() async throws {
        let stub = try StubNango()
        let resolver = InMemoryConnectionResolver()
        await resolver.set(owner: "t", providerConfigKey: "google-calendar", ResolvedConnection(connectionID: "c", grantedScopes: ["https://www.googleapis.com/auth/calendar.events"]))
        let executor = ToolExecutor(client: NangoClient(secretKey: "k", baseURL: stub.baseURL), resolver: resolver, registry: AllTools.registry, clock: RecordingClock())
        let arguments = #"{"calendarId": "primary", "summary": "Offsite", "start": {"date": "2026-02-01", "timeZone": "Europe/Paris"}, "end": {"date": "2026-02-02"}, "attendees": [{"email": "ada@example.com"}]}"#
        stub.onRequest { StubNango.Reply(body: RecordedAnswers.body(for: $0, fallback: "{}")) }
        #expect(await executor.execute(tool: "google-calendar_create_event", arguments: Data(arguments.utf8), owner: "t") == .success(try #require(RecordedAnswers.json("google-calendar_create_event"))))
        let sent = try #require(stub.requests.first)
        #expect(sent.method == "POST" && sent.path == "/proxy/calendar/v3/calendars/primary/events")
        #expect(sent.query.map { "\($0.0)=\($0.1)" } == ["sendUpdates=all"], "invitations go out unless the model says otherwise")
        #expect(String(decoding: sent.body, as: UTF8.self) == #"{"attendees":[{"email":"ada@example.com"}],"end":{"date":"2026-02-02"},"start":{"date":"2026-02-01","timeZone":"Europe/Paris"},"summary":"Offsite"}"#)
    }

    @Test("header inputs reach the provider: Nango forwards only Nango-Proxy-<name>")
    func providerHeaders() async throws {
        let stub = try StubNango()
        let client = NangoClient(secretKey: "k", baseURL: stub.baseURL)
        let request = ToolRequest(method: .POST, path: "/v1/pages", headers: [("Notion-Version", "2022-06-28"), ("Idempotency-Key", "abc"), ("Content-Type", "application/json")], body: Data("{}".utf8))
        _ = try await client.proxy(request, connectionID: "c", providerConfigKey: "notion")
        let sent = try #require(stub.requests.first)
        let names = sent.headers.map { $0.0.lowercased() }.filter { !["host", "accept", "accept-encoding", "accept-language", "user-agent", "content-length", "connection"].contains($0) }
        #expect(names.sorted() == ["authorization", "connection-id", "content-type", "nango-proxy-content-type", "nango-proxy-idempotency-key", "nango-proxy-notion-version", "provider-config-key"])
        #expect(sent.header("Nango-Proxy-Notion-Version") == "2022-06-28" && sent.header("Nango-Proxy-Idempotency-Key") == "abc")
        #expect(sent.header("Notion-Version") == nil)
    }
}

@Suite("URLSessionTransport: no redirect followed, a cap on bodies")
struct TransportTests {
    @Test("a redirect from Nango is the answer: the secret key and the connection's headers go nowhere else")
    func noRedirect() async throws {
        let nango = try StubNango(), elsewhere = try StubNango()
        elsewhere.onRequest { _ in StubNango.Reply(body: #"{"stolen": true}"#) }
        for status in [301, 302, 307, 308] {
            nango.onRequest { _ in StubNango.Reply(status: status, headers: [("Location", elsewhere.baseURL.absoluteString + "/collect")], body: "") }
            let client = NangoClient(secretKey: "sk-redirect-test", baseURL: nango.baseURL)
            let response = try await client.proxy(ToolRequest(method: .GET, path: "/v1/customers"), connectionID: "c1", providerConfigKey: "stripe")
            #expect(response.status == status)
            #expect(response.body.isEmpty)
        }
        #expect(nango.requests.count == 4)
        #expect(elsewhere.requests.isEmpty)
    }

    @Test("a body past the transport's limit is an error, not read into memory")
    func bodyCap() async throws {
        let nango = try StubNango()
        nango.onRequest { _ in StubNango.Reply(body: String(repeating: "x", count: 5000)) }
        let client = NangoClient(secretKey: "sk", baseURL: nango.baseURL, transport: URLSessionTransport(maximumResponseBytes: 1000))
        await #expect(throws: ToolFailure.transport("the response is larger than 1000 bytes; it was not read")) {
            _ = try await client.proxy(ToolRequest(method: .GET, path: "/x"), connectionID: "c", providerConfigKey: "k")
        }
        nango.onRequest { _ in StubNango.Reply(body: String(repeating: "y", count: 1000)) }
        let response = try await client.proxy(ToolRequest(method: .GET, path: "/x"), connectionID: "c", providerConfigKey: "k")
        #expect(response.body == Data(String(repeating: "y", count: 1000).utf8))
    }
}

@Suite("The secret key stays out of results; Retry-After is read as RFC 9110 writes it")
struct RedactionAndRetryAfterTests {
    static let key = "sk-0123456789abcdef-secret"

    @Test("an upstream echoing the secret key, in a success or past the 4,096-byte cut of an error, does not return it")
    func redaction() async throws {
        let stub = try StubNango()
        let resolver = InMemoryConnectionResolver()
        await resolver.set(owner: "t", providerConfigKey: "slack", ResolvedConnection(connectionID: "c"))
        let executor = ToolExecutor(client: NangoClient(secretKey: Self.key, baseURL: stub.baseURL), resolver: resolver, registry: AllTools.registry,
                                    retry: RetryPolicy(maxRetries: 0))
        stub.onRequest { _ in StubNango.Reply(body: #"{"ok": true, "echo": "Bearer \#(Self.key)"}"#) }
        #expect(await executor.execute(tool: "slack_list_channels", arguments: Data("{}".utf8), owner: "t") == .success(.object(["ok": .bool(true), "echo": .string("Bearer <redacted>")])))
        // The key straddles byte 4,096 of an error body.
        let padding = String(repeating: "x", count: 4096 - 10)
        stub.onRequest { _ in StubNango.Reply(status: 400, body: padding + Self.key + " tail") }
        let result = await executor.execute(tool: "slack_list_channels", arguments: Data("{}".utf8), owner: "t")
        guard case .failure(.upstream(status: 400, body: let body)) = result else { Issue.record("\(result)"); return }
        #expect(body == String((padding + "<redacted> tail").prefix(4096)))
        #expect(!body.contains(String(Self.key.prefix(10))))
    }

    @Test("Retry-After: seconds, an HTTP date, else nothing (never NaN or a negative wait)")
    func retryAfter() throws {
        let now = Date(timeIntervalSince1970: 784_111_777)   // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(NangoClient.retryAfter("3", now: now) == 3)
        #expect(NangoClient.retryAfter(" 120 ", now: now) == 120)
        #expect(NangoClient.retryAfter("Sun, 06 Nov 1994 08:49:47 GMT", now: now) == 10)
        #expect(NangoClient.retryAfter("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == 0)
        for bad in ["nan", "NaN", "-5", "1e309", "inf", "3.5", "soon", "", "9999999999"] {
            #expect(NangoClient.retryAfter(bad, now: now) == nil, "\(bad)")
        }
        #expect(NangoClient.retryAfter(nil, now: now) == nil)
    }
}

@Suite("Header inputs hold no control character")
struct HeaderInputTests {
    @Test("a NUL, a line break or DEL in a header input is an invalid input, not a header dropped or split; a tab passes")
    func controlCharacters() throws {
        func request(_ text: String) throws(ToolFailure) -> ToolRequest {
            try ToolRequest.standard(method: .GET, endpoint: "/x", input: .object(["Idempotency-Key": .string(text)]), locations: ["Idempotency-Key": .header])
        }
        for bad in ["a\u{0}b", "a\r\nX-Injected: 1", "a\nb", "a\u{7F}", "\u{1B}[31m"] {
            #expect(throws: ToolFailure.invalidInput(field: "Idempotency-Key", reason: "must be a single line of text without control characters")) { try request(bad) }
        }
        #expect(try request("a\tb c").headers.map { [$0.name, $0.value] } == [["Idempotency-Key", "a\tb c"]])
    }
}
