import Foundation
import KeywayContract
import KeywayRuntime
import MCP

/// The limits every call is held to, whatever the transport.
public struct MCPLimits: Sendable {
    /// The largest arguments accepted, in bytes of JSON.
    public var maxArgumentBytes: Int
    /// Calls one tenant (one owner) may have running at once, across its sessions; one
    /// more fails at once, asking to wait.
    public var maxConcurrentCallsPerTenant: Int
    /// How long one call may run, retries included, before it is stopped.
    public var callTimeout: Duration

    /// The largest message read from a client (a stdio line, an HTTP body): the
    /// arguments' cap and room for the envelope.
    public var maxMessageBytes: Int { maxArgumentBytes + 64 * 1024 }

    public init(maxArgumentBytes: Int = 256 * 1024, maxConcurrentCallsPerTenant: Int = 8, callTimeout: Duration = .seconds(60)) {
        self.maxArgumentBytes = maxArgumentBytes
        self.maxConcurrentCallsPerTenant = maxConcurrentCallsPerTenant
        self.callTimeout = callTimeout
    }
}

/// What became of one `tools/call`, for a log or metrics (never the arguments or the
/// provider's answer).
public struct MCPCallRecord: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        case ok
        case notConnected = "not_connected"
        case needsReauth = "needs_reauth"
        case insufficientScope = "insufficient_scope"
        case rateLimited = "rate_limited"
        case invalidInput = "invalid_input"
        case upstreamError = "upstream_error"
        case unexpectedResponse = "unexpected_response"
        case transportError = "transport_error"
        case cancelled
        case timedOut = "timed_out"
        case tooLarge = "too_large"
        case busy
    }
    public var tool: String
    public var owner: String
    public var outcome: Outcome
    /// The provider's status, for `upstreamError`.
    public var status: Int?

    public init(tool: String, owner: String, outcome: Outcome, status: Int? = nil) {
        self.tool = tool
        self.owner = owner
        self.outcome = outcome
        self.status = status
    }

    /// `owner tool: outcome` (`… upstream_error 500`).
    public var line: String { "\(owner) \(tool): \(outcome.rawValue)" + (status.map { " \($0)" } ?? "") }
}

/// Serves the tools of a `ToolExecutor`'s registry over MCP: `tools/list` gives each
/// tool's name, description, input JSON Schema and hints from its method; `tools/call`
/// runs it through the executor for one tenant. A tool's failure is a result with
/// `isError: true` and a message a model can act on, never a protocol error. The
/// transport is the caller's: `serveStdio(tenant:)` here, Streamable HTTP in
/// `KeywayMCPHTTP`, or any `MCP.Transport` through `makeServer(tenant:)`.
public final class MCPToolServer: Sendable {
    public let executor: ToolExecutor
    public let limits: MCPLimits
    public let name: String
    public let version: String
    let onCall: (@Sendable (MCPCallRecord) -> Void)?
    public let connectLinks: Bool
    let gate: TenantGate
    /// What `tools/list` answers, sorted by name.
    public let tools: [MCP.Tool]
    let names: Set<String>

    /// - Parameter connectLinks: a call that fails because the tenant has not connected the
    ///   account, or must authorise it again, answers with a Nango connect link made for
    ///   that tenant (`ToolExecutor.connectLink`): as URL-mode elicitation (`-32042`) to a
    ///   client that declared it, else in the error result's text. Needs a Nango key that
    ///   may create connect sessions.
    public init(executor: ToolExecutor, name: String = "keyway", version: String = "1.0.0", limits: MCPLimits = MCPLimits(),
                connectLinks: Bool = false, onCall: (@Sendable (MCPCallRecord) -> Void)? = nil) {
        self.connectLinks = connectLinks
        self.executor = executor
        self.limits = limits
        self.name = name
        self.version = version
        self.onCall = onCall
        self.gate = TenantGate(limit: limits.maxConcurrentCallsPerTenant)
        let registry = executor.registry
        var tools: [MCP.Tool] = registry.tools.map { name, tool in
            Self.tool(name: name, description: tool.description, schema: tool.inputSchema, output: tool.outputSchema, method: tool.method)
        }
        tools += registry.described.map { name, tool in
            Self.tool(name: name, description: tool.description, schema: tool.inputSchema, output: tool.outputSchema, method: tool.method)
        }
        self.tools = tools.sorted { $0.name < $1.name }
        self.names = Set(tools.map(\.name))
    }

    static func tool(name: String, description: String, schema: KeywayRuntime.JSONValue, output: KeywayRuntime.JSONValue?, method: KeywayRuntime.HTTPMethod) -> MCP.Tool {
        MCP.Tool(name: name, description: description, inputSchema: schema.mcpValue, annotations: annotations(for: method), outputSchema: output?.mcpValue)
    }

    /// Hints from the HTTP method: GET reads; DELETE and PUT (which replaces) and PATCH
    /// (which overwrites) may destroy; POST adds. Idempotent as the executor's retries
    /// take it (GET, PUT, DELETE). Every tool reaches a third party's API: open world.
    public static func annotations(for method: KeywayRuntime.HTTPMethod) -> MCP.Tool.Annotations {
        MCP.Tool.Annotations(readOnlyHint: method == .GET, destructiveHint: method == .DELETE || method == .PUT || method == .PATCH,
                             idempotentHint: method.isIdempotent, openWorldHint: true)
    }

    /// A session for one client: an MCP server whose `tools/call` runs as `tenant` (fixed
    /// here, never taken from the arguments); `start(_:)` it on a transport, and `end()` it
    /// when the client is gone.
    public func makeSession(tenant: Tenant) async -> MCPSession {
        let server = MCP.Server(name: name, version: version, capabilities: .init(tools: .init(listChanged: false)))
        let session = MCPSession(server: server)
        let tools = self.tools
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: tools) }
        await server.withMethodHandler(ToolsCall.self) { [self] params in
            let (name, arguments) = try params.call()
            return try await self.call(name, arguments: arguments, tenant: tenant, session: session)
        }
        return session
    }

    /// Serves one tenant on standard input and output until the client closes its end.
    public func serveStdio(tenant: Tenant) async throws {
        let session = await makeSession(tenant: tenant)
        try await session.start(LineTransport(maxLineBytes: limits.maxMessageBytes))
        await session.server.waitUntilCompleted()
        await session.end()
    }

    /// One `tools/call` for a tenant. Throws `MCPError.invalidParams` for a tool this
    /// server does not have (a protocol error, as MCP asks), and `CancellationError` when
    /// the caller cancelled or `session` ended (MCP sends no answer then); every other
    /// outcome is a result.
    ///
    /// With connect links, a call that needs the user to connect throws
    /// `MCPError.urlElicitationRequired` when the client accepts URL-mode elicitation
    /// (`urlElicitation`, else what the session's client declared).
    public func call(_ name: String, arguments: [String: Value]?, tenant: Tenant, session: MCPSession? = nil, urlElicitation: Bool? = nil) async throws -> CallTool.Result {
        guard names.contains(name) else {
            throw MCPError.invalidParams("Unknown tool '\(name)': tools/list names the tools this server offers")
        }
        if session?.calls.isEnded == true { throw CancellationError() }
        func finish(_ outcome: MCPCallRecord.Outcome, status: Int? = nil, _ result: CallTool.Result) -> CallTool.Result {
            onCall?(MCPCallRecord(tool: name, owner: tenant.owner, outcome: outcome, status: status))
            return result
        }
        /// A call the server itself refused or stopped: the outcome's word is the error's kind.
        func refuse(_ outcome: MCPCallRecord.Outcome, _ message: String, _ details: [String: Value]) -> CallTool.Result {
            finish(outcome, Self.failure(outcome.rawValue, message, details))
        }
        let data: Data
        do {
            data = try JSONEncoder().encode(arguments ?? [:])
        } catch {
            throw MCPError.invalidParams("the arguments cannot be read as JSON: \(error)")
        }
        if data.count > limits.maxArgumentBytes {
            return refuse(.tooLarge, "The arguments are \(data.count) bytes; this server accepts at most \(limits.maxArgumentBytes). Send less: shorter text, fewer items.",
                          ["limit": .int(limits.maxArgumentBytes)])
        }
        guard await gate.enter(tenant.owner) else {
            let n = limits.maxConcurrentCallsPerTenant
            return refuse(.busy, "This user already has \(n) tool call\(n == 1 ? "" : "s") running, the most allowed at once. Wait for one to finish, then call again.",
                          ["limit": .int(limits.maxConcurrentCallsPerTenant)])
        }
        let work = Task { [executor, timeout = limits.callTimeout] in
            await withTaskGroup(of: Completion?.self) { group in
                group.addTask { .finished(await executor.execute(tool: name, arguments: data, tenant: tenant)) }
                group.addTask {
                    do { try await Task.sleep(for: timeout) } catch { return nil }
                    return .timedOut
                }
                var first: Completion?
                for await outcome in group where outcome != nil && first == nil {
                    first = outcome
                    group.cancelAll()
                }
                return first ?? .timedOut
            }
        }
        let id = session?.calls.add(work)
        let outcome = await withTaskCancellationHandler { await work.value } onCancel: { work.cancel() }
        if let id { session?.calls.remove(id) }
        await gate.leave(tenant.owner)
        if Task.isCancelled || work.isCancelled {
            onCall?(MCPCallRecord(tool: name, owner: tenant.owner, outcome: .cancelled))
            throw CancellationError()
        }
        switch outcome {
        case .timedOut:
            let (whole, fraction) = limits.callTimeout.components
            let seconds = Double(whole) + Double(fraction) / 1e18
            return refuse(.timedOut, "The call did not finish within \(Self.seconds(seconds)) s and was stopped; the provider may still have acted on it. Check before calling again, or ask for less.",
                          ["timeout_seconds": KeywayRuntime.JSONValue.number(seconds).mcpValue])
        case .finished(.success(let json)):
            return finish(.ok, Self.success(json))
        case .finished(.failure(let failure)):
            var link: String?
            switch failure {
            case .notConnected, .needsReauth, .insufficientScope:
                if connectLinks { link = try? await executor.connectLink(tool: name, tenant: tenant) }
            default: break
            }
            let (outcome, status, result) = Self.result(for: failure, connectLink: link)
            if let link, urlElicitation ?? session?.client.acceptsURLElicitation == true, case .text(let text, _, _)? = result.content.first {
                // MCP 2025-11-25: the request cannot go on until the user has been to the link.
                onCall?(MCPCallRecord(tool: name, owner: tenant.owner, outcome: outcome, status: status))
                throw MCPError.urlElicitationRequired(message: text, elicitations: [
                    URLElicitationInfo(elicitationId: UUID().uuidString.lowercased(), url: link, message: text),
                ])
            }
            return finish(outcome, status: status, result)
        }
    }

    /// How a call's task ended: the executor's result, or the server's timer first.
    enum Completion: Sendable, Equatable {
        case finished(ToolResult)
        case timedOut
    }

    /// The provider's JSON as text (what every client shows a model) and, when it is an
    /// object, as structured content too (a tool that declares `output:` answers with an
    /// object that conforms to its `outputSchema`, or fails: the executor checked it).
    static func success(_ json: KeywayRuntime.JSONValue) -> CallTool.Result {
        let text = String(decoding: json.jsonData, as: UTF8.self)
        if case .object = json { return CallTool.Result(content: [.text(text: text, annotations: nil, _meta: nil)], structuredContent: json.mcpValue as Value?) }
        return CallTool.Result(content: [.text(text: text, annotations: nil, _meta: nil)])
    }

    /// An error result: the message as text, and `{"kind", "message", …}` for programs
    /// under the result's `_meta` (`keyway/error`), never as structured content, which
    /// clients validate against the tool's `outputSchema`.
    static func failure(_ kind: String, _ message: String, _ details: [String: Value] = [:]) -> CallTool.Result {
        var error = details
        error["kind"] = .string(kind)
        error["message"] = .string(message)
        return CallTool.Result(content: [.text(text: message, annotations: nil, _meta: nil)], isError: true,
                               _meta: Metadata(additionalFields: [errorMetaKey: .object(error)]))
    }

    /// Where a failed call's details are, in the result's `_meta`.
    public static let errorMetaKey = "keyway/error"

    /// What a model is told for each way a call can fail: what happened, and what to do.
    /// The result's `kind` and the call's outcome are the failure's own (`ToolFailure.kind`).
    static func result(for failure: ToolFailure, connectLink link: String? = nil) -> (MCPCallRecord.Outcome, Int?, CallTool.Result) {
        let message: String
        var details: [String: Value] = [:]
        var status: Int?
        var mendedByConnecting = false
        switch failure {
        case .notConnected(let key):
            mendedByConnecting = true
            let ask = link.map { "Ask them to open \($0) to connect \(key)" } ?? "Ask them to connect \(key)"
            message = "This user has not connected \(key). \(ask), then call the tool again."
            details = ["integration": .string(key)]
        case .needsReauth(let key, let reason):
            mendedByConnecting = true
            let ask = link.map { "Ask the user to open \($0) to reconnect \(key)" } ?? "Ask the user to reconnect \(key)"
            message = "The \(key) connection must be authorised again: \(reason). \(ask), then call the tool again."
            details = ["integration": .string(key)]
        case .insufficientScope(let key, let code, let detail):
            mendedByConnecting = true
            let ask = link.map { "Ask the user to open \($0) to reconnect \(key) and grant what it asks for" } ?? "Ask the user to reconnect \(key) and grant what it asks for"
            message = "The \(key) connection was not granted a permission (OAuth scope) this call needs: the provider answered HTTP \(code) (\(detail)). \(ask), then call the tool again."
            details = ["integration": .string(key), "status": .int(code)]
            status = code
        case .rateLimited(let after):
            message = "The provider is rate limiting these calls. " + (after.map { "Wait \(Self.seconds($0)) s, then call again." } ?? "Wait a minute, then call again.")
            if let after { details = ["retry_after_seconds": KeywayRuntime.JSONValue.number(after).mcpValue] }
        case .invalidInput(let field, let reason):
            let subject = field.isEmpty ? "The arguments" : "The argument '\(field)'"
            message = "\(subject) \(reason). Fix it as the tool's input schema says, then call again."
            details = ["field": .string(field), "reason": .string(reason)]
        case .upstream(let code, let body):
            let advice = (400..<500).contains(code)
                ? "The provider refused the request: check the arguments against its message, then call again with corrected ones."
                : "The provider failed; the call may succeed if you try again in a moment."
            message = "The provider answered HTTP \(code): \(body.prefix(1000)). \(advice)"
            details = ["status": .int(code)]
            status = code
        case .transport(let text):
            message = "The request did not get an answer (\(concise(text))). Try again in a moment."
        case .cancelled:
            message = "The call was cancelled before it finished."
        case .unknownTool(let name):
            message = "There is no tool named '\(name)': tools/list names the tools this server offers."
        case .unexpectedResponse(let field, let reason):
            let subject = field.isEmpty ? "the answer" : "'\(field)'"
            message = "The provider answered, but not as the tool declares: \(subject) \(reason). The provider may have acted on the call; tell the user, and do not repeat it blindly."
            details = ["field": .string(field), "reason": .string(reason)]
        }
        // Where the user connects (or reconnects) the account, for the failures that mends.
        if mendedByConnecting, let link { details["connect_url"] = .string(link) }
        return (MCPCallRecord.Outcome(failure), status, Self.failure(failure.kind, message, details))
    }

    /// Foundation's networking errors print their whole user info: keep the description.
    static func concise(_ message: String) -> String {
        if let start = message.range(of: "NSLocalizedDescription=") {
            let rest = message[start.upperBound...]
            return String(rest.prefix { $0 != "," && $0 != "}" })
        }
        return String(message.prefix(300))
    }

    static func seconds(_ d: Double) -> String { JSONNumber.text(d) }
}

/// One client's session: its MCP server, and the calls it has in flight, which end with it.
public final class MCPSession: Sendable {
    public let server: MCP.Server
    let calls = CallSet()
    let client = ClientState()

    /// Starts the server on `transport`, noting what the client declared at initialize
    /// (URL-mode elicitation, for connect links). Use this rather than `server.start`.
    public func start(_ transport: any Transport) async throws {
        try await server.start(transport: transport) { [client] _, capabilities in
            client.set(acceptsURLElicitation: capabilities.elicitation?.url != nil)
        }
    }

    init(server: MCP.Server) {
        self.server = server
    }

    /// Stops the server and cancels the calls still running, and so their requests to the
    /// provider: a client that is gone cannot read their answers.
    public func end() async {
        calls.cancelAll()
        await server.stop()
    }
}

/// What the session's client declared at initialize.
final class ClientState: @unchecked Sendable {
    private let lock = NSLock()
    private var url = false
    var acceptsURLElicitation: Bool { lock.withLock { url } }
    func set(acceptsURLElicitation: Bool) { lock.withLock { url = acceptsURLElicitation } }
}

/// The tasks of the calls in flight in one session.
final class CallSet: @unchecked Sendable {
    private let lock = NSLock()
    private var tasks: [UInt64: Task<MCPToolServer.Completion, Never>] = [:]
    private var next: UInt64 = 0
    private var ended = false

    func add(_ task: Task<MCPToolServer.Completion, Never>) -> UInt64 {
        let (id, cancel) = lock.withLock {
            next += 1
            tasks[next] = task
            return (next, ended)
        }
        if cancel { task.cancel() }
        return id
    }

    var isEnded: Bool { lock.withLock { ended } }

    func remove(_ id: UInt64) {
        lock.withLock { _ = tasks.removeValue(forKey: id) }
    }

    func cancelAll() {
        let running = lock.withLock {
            ended = true
            return Array(tasks.values)
        }
        for task in running { task.cancel() }
    }
}

/// Counts each tenant's calls in flight.
actor TenantGate {
    let limit: Int
    var running: [String: Int] = [:]
    init(limit: Int) { self.limit = limit }

    func enter(_ owner: String) -> Bool {
        let n = running[owner, default: 0]
        guard n < limit else { return false }
        running[owner] = n + 1
        return true
    }

    func leave(_ owner: String) {
        let n = running[owner, default: 1] - 1
        running[owner] = n > 0 ? n : nil
    }
}

extension KeywayRuntime.JSONValue {
    /// The value as MCP's: whole numbers as integers.
    public var mcpValue: Value {
        switch self {
        case .null: .null
        case .bool(let b): .bool(b)
        case .number(let d): JSONNumber.whole(d).map { .int(Int($0)) } ?? .double(d)
        case .string(let s): .string(s)
        case .array(let items): .array(items.map(\.mcpValue))
        case .object(let fields): .object(fields.mapValues(\.mcpValue))
        }
    }
}

/// `tools/call` with its params read here: the SDK's own decoding answers a malformed call
/// with -32603 and Foundation's words; MCP asks for -32602, saying what is wrong.
enum ToolsCall: MCP.Method {
    static let name = CallTool.name
    typealias Result = CallTool.Result

    /// Any JSON (or none): checked by `call()`.
    struct Parameters: Codable, Hashable, Sendable, NotRequired {
        var value: Value?
        init() { value = nil }
        init(from decoder: any Decoder) throws { value = try Value(from: decoder) }
        func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }

        /// The tool's name and arguments, or `MCPError.invalidParams`.
        func call() throws -> (name: String, arguments: [String: Value]?) {
            guard case .object(let fields)? = value else {
                throw MCPError.invalidParams("tools/call needs params: {\"name\": a tool of tools/list, \"arguments\": {…}}")
            }
            guard case .string(let name)? = fields["name"] else {
                throw MCPError.invalidParams("tools/call needs 'name': a string, the name of a tool of tools/list")
            }
            switch fields["arguments"] {
            case nil, .null?: return (name, nil)
            case .object(let arguments)?: return (name, arguments)
            default: throw MCPError.invalidParams("tools/call's 'arguments' must be an object of the tool's inputs")
            }
        }
    }
}

extension MCPCallRecord.Outcome {
    /// A failed call's outcome: the failure's kind (an unknown tool counts as invalid input).
    /// A switch, not a lookup by `failure.kind`: a new failure does not compile until it has
    /// an outcome, and `MCPTests` holds every outcome's word to its failure's kind.
    public init(_ failure: ToolFailure) {
        switch failure {
        case .notConnected: self = .notConnected
        case .needsReauth: self = .needsReauth
        case .insufficientScope: self = .insufficientScope
        case .rateLimited: self = .rateLimited
        case .invalidInput, .unknownTool: self = .invalidInput
        case .upstream: self = .upstreamError
        case .transport: self = .transportError
        case .cancelled: self = .cancelled
        case .unexpectedResponse: self = .unexpectedResponse
        }
    }
}
