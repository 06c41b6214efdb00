import Foundation
import KeywayContract

/// Who a tool call is for: the tenant whose connection it may use.
public struct Tenant: Sendable, Hashable {
    /// The owner of shared rows: the organisation, else the user (what the database's
    /// `requesting_owner_id()` yields).
    public var owner: String
    /// The user (`requesting_user_id()`).
    public var user: String
    /// The verified JWT claims, as the database reads them (`request.jwt.claims`): a
    /// resolver that lets row-level security decide passes these, not `owner`.
    public var claims: JSONValue

    public init(owner: String, user: String, claims: JSONValue) {
        self.owner = owner
        self.user = user
        self.claims = claims
    }

    /// A user, in an organisation or not. The claims are Supabase Auth's and Clerk's
    /// (`sub`, and `o.id` and `org_id` for the organisation), the defaults of keyway.yaml.
    public init(user: String, organization: String? = nil) {
        var claims: [String: JSONValue] = ["sub": .string(user)]
        if let organization {
            claims["o"] = .object(["id": .string(organization)])
            claims["org_id"] = .string(organization)
        }
        self.init(owner: organization ?? user, user: user, claims: .object(claims))
    }

    /// The tenant of verified claims, read at keyway.yaml's `tenancy:` paths (by default
    /// `sub` for the user; `o.id` (Clerk v2), else `org_id` (Clerk v1) for the
    /// organisation): the same claims the database's tenant functions read. Nil without
    /// a user.
    public init?(claims: JSONValue, user userPaths: [[String]] = ClaimPaths.defaultUser, organization organizationPaths: [[String]] = ClaimPaths.defaultOrganization) {
        guard let user = ClaimPaths.first(userPaths, in: claims) else { return nil }
        let organization = ClaimPaths.first(organizationPaths, in: claims)
        self.init(owner: organization ?? user, user: user, claims: claims)
    }
}

/// What a tool call asks a resolver for.
public struct ConnectionLookup: Sendable, Hashable {
    public var tenant: Tenant
    public var providerConfigKey: String
    /// The connector of the tool: a user's own connections are per connector.
    public var connector: String
    /// Which of the user's connections, when the connector allows several (nil: the
    /// `default` one, else the most recently updated).
    public var instance: String?

    public init(tenant: Tenant, providerConfigKey: String, connector: String, instance: String? = nil) {
        self.tenant = tenant
        self.providerConfigKey = providerConfigKey
        self.connector = connector
        self.instance = instance
    }
}

/// Finds the tenant's connection for a tool call.
public protocol ConnectionResolver: Sendable {
    func connection(for lookup: ConnectionLookup) async throws -> ResolvedConnection?
}

/// A connection row's status (the `status` column of the migrations).
public enum ConnectionStatus: String, Sendable, Codable, CaseIterable {
    case active
    /// The provider refused a refresh, or a scope was added since the user connected.
    case needsReauth = "needs_reauth"
    case expired
    case error
    /// Disconnected: the connection no longer exists at Nango.
    case revoked
}

public struct ResolvedConnection: Sendable, Equatable {
    public var connectionID: String
    /// The scopes granted when the user connected, if known: a tool needing another one
    /// fails with `needsReauth` before any request is sent.
    public var grantedScopes: [String]?
    public var status: ConnectionStatus
    public init(connectionID: String, grantedScopes: [String]? = nil, status: ConnectionStatus = .active) {
        self.connectionID = connectionID
        self.grantedScopes = grantedScopes
        self.status = status
    }
}

/// A resolver kept in memory, for tests and small apps: one connection per owner and
/// provider config key.
public actor InMemoryConnectionResolver: ConnectionResolver {
    private var connections: [String: ResolvedConnection] = [:]
    public init() {}
    public func set(owner: String, providerConfigKey: String, _ connection: ResolvedConnection?) {
        connections["\(owner)\u{0}\(providerConfigKey)"] = connection
    }
    public func connection(for lookup: ConnectionLookup) async throws -> ResolvedConnection? {
        connections["\(lookup.tenant.owner)\u{0}\(lookup.providerConfigKey)"]
    }
}

/// Every tool an app offers, by the name models call them.
public struct ToolRegistry: Sendable {
    public let tools: [String: any AgentTool.Type]
    /// Tools described at run time (`keyway mcp` reads them from manifests), by name; a
    /// compiled tool of the same name wins.
    public let described: [String: DescribedTool]

    public init(_ tools: [any AgentTool.Type], described: [DescribedTool] = []) {
        let compiled = Dictionary(tools.map { ($0.qualifiedName, $0) }, uniquingKeysWith: { a, _ in a })
        self.tools = compiled
        self.described = Dictionary(described.filter { compiled[$0.qualifiedName] == nil }.map { ($0.qualifiedName, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// `[{name, description, input_schema}]`, sorted by name: what model APIs take.
    public var definitions: JSONValue {
        .array(Set(tools.keys).union(described.keys).sorted().map { name in
            let (description, schema) = tools[name].map { ($0.description, $0.inputSchema) } ?? described[name].map { ($0.description, $0.inputSchema) }!
            return .object(["name": .string(name), "description": .string(description), "input_schema": schema])
        })
    }
}

/// When failed idempotent requests are sent again: exponential backoff with full jitter
/// (AWS's "full jitter": a random delay up to the exponential bound, at most `maxDelay`),
/// never less than a provider's `Retry-After`; a `Retry-After` longer than `maxDelay` is
/// not waited for: the call fails with `.rateLimited` at once.
public struct RetryPolicy: Sendable {
    public var maxRetries: Int
    public var baseDelay: Double
    public var maxDelay: Double
    /// A number in [0, 1): the jitter's source, injectable so tests are exact.
    public var random: @Sendable () -> Double

    public init(maxRetries: Int = 2, baseDelay: Double = 0.25, maxDelay: Double = 5, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.random = random
    }

    /// The delay before retry number `attempt + 1` (attempt counts from 0).
    public func delay(attempt: Int, retryAfter: Double?) -> Double {
        let bound = min(maxDelay, baseDelay * pow(2, Double(attempt)))
        let jittered = bound * random()
        guard let retryAfter else { return jittered }
        return max(jittered, retryAfter)
    }
}

/// How the executor waits between retries: `TaskSleepClock` really sleeps; tests bring a
/// clock that records the delays and returns at once. A sleep ends with
/// `CancellationError` when its task is cancelled.
public protocol RetryClock: Sendable {
    func sleep(seconds: Double) async throws
}

public struct TaskSleepClock: RetryClock {
    public init() {}
    public func sleep(seconds: Double) async throws {
        try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1_000_000_000))
    }
}

/// Runs tool calls: decode arguments → validate → find the connection → build the
/// request → send it through Nango's proxy → a structured result. Idempotent requests
/// are retried with exponential backoff on 429, 5xx and transport errors.
public struct ToolExecutor: Sendable {
    public let client: NangoClient
    public let resolver: any ConnectionResolver
    public let registry: ToolRegistry
    public var retry: RetryPolicy
    public var clock: any RetryClock
    /// Told of every call once it has finished (a call log); nil: none.
    public var recorder: (any ToolCallRecorder)?

    public init(client: NangoClient, resolver: any ConnectionResolver, registry: ToolRegistry, retry: RetryPolicy = RetryPolicy(), clock: any RetryClock = TaskSleepClock(),
                recorder: (any ToolCallRecorder)? = nil) {
        self.recorder = recorder
        self.clock = clock
        self.client = client
        self.resolver = resolver
        self.registry = registry
        self.retry = retry
    }

    /// Executes a model's tool call for a tenant named by its owner id alone (the user,
    /// or the organisation); `execute(tool:arguments:tenant:)` when you have the claims.
    public func execute(tool name: String, arguments: Data, owner: String) async -> ToolResult {
        await execute(tool: name, arguments: arguments, tenant: Tenant(user: owner))
    }

    /// Executes a model's tool call for a tenant; `instance` picks one of the user's
    /// connections when the connector allows several.
    public func execute(tool name: String, arguments: Data, tenant: Tenant, instance: String? = nil) async -> ToolResult {
        let started = Date()
        let trace = CallTrace()
        let result: ToolResult
        do {
            if let tool = registry.tools[name] {
                result = .success(try await run(tool, arguments: arguments, tenant: tenant, instance: instance, trace: trace))
            } else if let tool = registry.described[name] {
                let input = try Self.checked(arguments, tool.inputContract)
                let answer = try await send(providerConfigKey: tool.providerConfigKey, connector: tool.connector, scopes: tool.scopes, tenant: tenant, instance: instance, trace: trace) {
                    () throws(ToolFailure) in try tool.makeRequest(input)
                }
                result = .success(try Self.conforming(answer, tool.outputContract))
            } else {
                result = .failure(.unknownTool(name))
            }
        } catch {
            result = .failure(error)
        }
        record(name, tenant, started, trace, arguments, result)
        return result
    }

    /// Tells the recorder of a finished call of a tool of the registry: the arguments and
    /// the answer as the tool's `CallLogPolicy` keeps them.
    func record(_ name: String, _ tenant: Tenant, _ started: Date, _ trace: CallTrace, _ arguments: Data, _ result: ToolResult) {
        guard let recorder else { return }
        let tool: (connector: String, key: String, scopes: [String], log: CallLogPolicy)? = registry.tools[name].map { ($0.connector, $0.providerConfigKey, $0.scopes, $0.callLog) }
            ?? registry.described[name].map { ($0.connector, $0.providerConfigKey, $0.scopes, $0.callLog) }
        guard let tool else { return }
        var outcome = "ok"
        var status: Int?
        var response: JSONValue?
        switch result {
        case .success(let answer):
            if tool.log.response { response = tool.log.kept(answer) }
        case .failure(let failure):
            outcome = failure.kind
            switch failure {
            case .upstream(let code, _), .insufficientScope(_, let code, _): if (100...599).contains(code) { status = code }
            default: break
            }
        }
        let kept = tool.log.arguments ? (try? JSONDecoder().decode(JSONValue.self, from: arguments)).map(tool.log.kept) : nil
        recorder.record(ToolCallRecord(calledAt: started, tool: name, connector: tool.connector, providerConfigKey: tool.key, connectionID: trace.connectionID,
                                       owner: tenant.owner, user: tenant.user, outcome: outcome, upstreamStatus: status,
                                       latencyMilliseconds: max(0, Int((Date().timeIntervalSince(started) * 1000).rounded())), scopes: tool.scopes,
                                       arguments: kept, response: response))
    }

    /// Where the tenant connects the account a tool needs ("connect your account"): for a
    /// tenant with no connection, a connect session tagged as the webhook path files it
    /// (`ConnectionTags`, the tool's connector); for one that must authorise again, a
    /// reconnect session of that connection. Nango's `connect_link`, or nil when Nango
    /// gave none.
    public func connectLink(tool name: String, tenant: Tenant, instance: String? = nil) async throws(ToolFailure) -> String? {
        let found: (key: String, connector: String)? = registry.tools[name].map { ($0.providerConfigKey, $0.connector) }
            ?? registry.described[name].map { ($0.providerConfigKey, $0.connector) }
        guard let (key, connector) = found else { throw .unknownTool(name) }
        let existing: ResolvedConnection?
        do {
            existing = try await resolver.connection(for: ConnectionLookup(tenant: tenant, providerConfigKey: key, connector: connector, instance: instance))
        } catch {
            throw .transport("the connection resolver failed: \(error)")
        }
        if let existing, existing.status != .revoked {
            return try await client.createReconnectSession(connectionID: existing.connectionID, providerConfigKey: key).connectLink
        }
        return try await client.createConnectSession(for: tenant, connector: connector, instance: instance, allowedIntegrations: [key]).connectLink
    }

    func run<T: AgentTool>(_ tool: T.Type, arguments: Data, tenant: Tenant, instance: String?, trace: CallTrace) async throws(ToolFailure) -> JSONValue {
        let input = try Self.decodeInput(T.Input.self, from: Self.checked(arguments, T.inputContract).jsonData)
        let answer = try await send(providerConfigKey: T.providerConfigKey, connector: T.connector, scopes: T.scopes, tenant: tenant, instance: instance, trace: trace) {
            () throws(ToolFailure) in try T.makeRequest(input)
        }
        return try Self.conforming(answer, T.outputContract)
    }

    /// Calls a generated tool from Swift with a typed input and returns its typed answer:
    /// the input checked as a model's arguments are, the answer checked against the
    /// tool's `outputContract` and decoded as its `Output` (`JSONValue` when it declares
    /// none). `execute(tool:arguments:tenant:)` gives the JSON instead.
    public func call<T: AgentTool>(_ tool: T.Type, _ input: T.Input, tenant: Tenant, instance: String? = nil) async throws(ToolFailure) -> T.Output {
        let arguments: Data
        do {
            arguments = try JSONEncoder().encode(input)
        } catch {
            throw .invalidInput(field: "", reason: "cannot be encoded: \(error)")
        }
        let started = Date()
        let trace = CallTrace()
        do {
            let answer = try await run(tool, arguments: arguments, tenant: tenant, instance: instance, trace: trace)
            let output = try Self.decodeOutput(T.Output.self, from: answer)
            record(T.qualifiedName, tenant, started, trace, arguments, .success(answer))
            return output
        } catch {
            record(T.qualifiedName, tenant, started, trace, arguments, .failure(error))
            throw error
        }
    }

    /// Decodes an answer that passed the output's check.
    static func decodeOutput<O: ToolOutput>(_ type: O.Type, from answer: JSONValue) throws(ToolFailure) -> O {
        try decode(O.self, from: answer.jsonData) { field, problem in
            .unexpectedResponse(field: field, reason: problem.reason(missing: "is missing", misfit: "does not fit the tool's Output type"))
        }
    }

    /// Why a decode failed: a field missing, a field of another shape, or the decoder's words.
    enum DecodeProblem {
        case missing, misfit, other(String)
        func reason(missing: String, misfit: String) -> String {
            switch self {
            case .missing: missing
            case .misfit: misfit
            case .other(let words): words
            }
        }
    }

    /// Decodes JSON that passed its contract's check; a failure here means the Swift type
    /// and its contract disagree (code generated by another keyway), and `failure` names
    /// the field (`data[0].name`) and what was wrong with it.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, failure: (_ field: String, _ problem: DecodeProblem) -> ToolFailure) throws(ToolFailure) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw failure(path(context.codingPath + [key]), .missing)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context), let DecodingError.dataCorrupted(context) {
            throw failure(path(context.codingPath), .misfit)
        } catch {
            throw failure("", .other("\(error)"))
        }
    }

    /// The answer, when it has the shape `contract` declares (or no contract is declared).
    static func conforming(_ answer: JSONValue, _ contract: OutputContract?) throws(ToolFailure) -> JSONValue {
        if let contract, let mismatch = contract.mismatch(in: answer) { throw ToolFailure(mismatch) }
        return answer
    }

    /// Finds the tenant's connection, builds the request and sends it, with retries.
    func send(providerConfigKey: String, connector: String, scopes: [String], tenant: Tenant, instance: String?, trace: CallTrace,
              makeRequest: () throws(ToolFailure) -> ToolRequest) async throws(ToolFailure) -> JSONValue {
        let connection: ResolvedConnection?
        do {
            connection = try await resolver.connection(for: ConnectionLookup(tenant: tenant, providerConfigKey: providerConfigKey, connector: connector, instance: instance))
        } catch {
            throw .transport("the connection resolver failed: \(error)")
        }
        guard let connection, connection.status != .revoked else { throw .notConnected(providerConfigKey: providerConfigKey) }
        trace.connectionID = connection.connectionID
        switch connection.status {
        case .active, .revoked: break
        case .needsReauth: throw .needsReauth(providerConfigKey: providerConfigKey, reason: "the user must connect again (the provider refused a refresh, or a scope was added since)")
        case .expired: throw .needsReauth(providerConfigKey: providerConfigKey, reason: "the connection has expired")
        case .error: throw .needsReauth(providerConfigKey: providerConfigKey, reason: "the connection is in error at Nango")
        }
        if let granted = connection.grantedScopes, let missing = scopes.first(where: { !granted.contains($0) }) {
            throw .needsReauth(providerConfigKey: providerConfigKey, reason: "the connection lacks scope \(missing)")
        }
        let request = try makeRequest()
        var attempt = 0
        while true {
            if Task.isCancelled { throw .cancelled }
            let failure: ToolFailure
            do {
                let response = try await client.proxy(request, connectionID: connection.connectionID, providerConfigKey: providerConfigKey)
                return try client.decode(response, providerConfigKey: providerConfigKey)
            } catch {
                failure = error
            }
            let retryable: Bool
            var retryAfter: Double?
            switch failure {
            case .rateLimited(let after):
                // A wait longer than the policy allows is the caller's to decide on.
                retryable = after.map { $0 <= retry.maxDelay } ?? true
                retryAfter = after
            case .upstream(let status, _): retryable = status >= 500
            case .transport: retryable = true
            default: retryable = false
            }
            guard retryable, request.method.isIdempotent, attempt < retry.maxRetries else { throw failure }
            do {
                try await clock.sleep(seconds: retry.delay(attempt: attempt, retryAfter: retryAfter))
            } catch {
                // The caller gave up (a cancelled task): no more attempts.
                throw .cancelled
            }
            attempt += 1
        }
    }

    /// The arguments, defaults filled in, checked against the contract: the input as the
    /// tool sends it.
    static func checked(_ arguments: Data, _ contract: InputContract) throws(ToolFailure) -> JSONValue {
        do {
            return try contract.check(contract.applyingDefaults(arguments))
        } catch {
            throw ToolFailure(error)
        }
    }

    /// Decodes arguments that passed the contract's check, naming the field on failure.
    static func decodeInput<I: ToolInput>(_ type: I.Type, from data: Data) throws(ToolFailure) -> I {
        try decode(I.self, from: data) { field, problem in
            .invalidInput(field: field, reason: problem.reason(missing: "is required", misfit: "does not fit the tool's input type"))
        }
    }

    /// A coding path as a person reads it: `data[0].name`.
    package static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

}
