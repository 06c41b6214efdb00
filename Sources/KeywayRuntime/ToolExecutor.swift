import Foundation

/// Finds the tenant's connection for an integration.
public protocol ConnectionResolver: Sendable {
    func connection(owner: String, providerConfigKey: String) async throws -> ResolvedConnection?
}

public struct ResolvedConnection: Sendable, Equatable {
    public var connectionID: String
    /// The scopes granted when the user connected, if known: a tool needing another one
    /// fails with `needsReauth` before any request is sent.
    public var grantedScopes: [String]?
    public init(connectionID: String, grantedScopes: [String]? = nil) {
        self.connectionID = connectionID
        self.grantedScopes = grantedScopes
    }
}

/// A resolver kept in memory, for tests and small apps.
public actor InMemoryConnectionResolver: ConnectionResolver {
    private var connections: [String: ResolvedConnection] = [:]
    public init() {}
    public func set(owner: String, providerConfigKey: String, _ connection: ResolvedConnection?) {
        connections["\(owner)\u{0}\(providerConfigKey)"] = connection
    }
    public func connection(owner: String, providerConfigKey: String) async throws -> ResolvedConnection? {
        connections["\(owner)\u{0}\(providerConfigKey)"]
    }
}

/// Every tool an app offers, by the name models call them.
public struct ToolRegistry: Sendable {
    public let tools: [String: any AgentTool.Type]

    public init(_ tools: [any AgentTool.Type]) {
        self.tools = Dictionary(tools.map { ($0.qualifiedName, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// `[{name, description, input_schema}]`, sorted by name: what model APIs take.
    public var definitions: JSONValue {
        .array(tools.keys.sorted().map { name in
            let tool = tools[name]!
            return .object(["name": .string(name), "description": .string(tool.description), "input_schema": tool.inputSchema])
        })
    }
}

public struct RetryPolicy: Sendable {
    public var maxRetries: Int
    public var baseDelay: Double
    public var maxDelay: Double
    public init(maxRetries: Int = 2, baseDelay: Double = 0.25, maxDelay: Double = 5) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
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

    public init(client: NangoClient, resolver: any ConnectionResolver, registry: ToolRegistry, retry: RetryPolicy = RetryPolicy()) {
        self.client = client
        self.resolver = resolver
        self.registry = registry
        self.retry = retry
    }

    /// Executes a model's tool call for a tenant (`owner`).
    public func execute(tool name: String, arguments: Data, owner: String) async -> ToolResult {
        guard let tool = registry.tools[name] else { return .failure(.unknownTool(name)) }
        do {
            return .success(try await run(tool, arguments: arguments, owner: owner))
        } catch {
            return .failure(error)
        }
    }

    func run<T: AgentTool>(_ tool: T.Type, arguments: Data, owner: String) async throws(ToolFailure) -> JSONValue {
        let input = try Self.decodeInput(T.Input.self, from: arguments)
        try input.validate()
        let connection: ResolvedConnection?
        do {
            connection = try await resolver.connection(owner: owner, providerConfigKey: T.providerConfigKey)
        } catch {
            throw .transport("the connection resolver failed: \(error)")
        }
        guard let connection else { throw .notConnected(providerConfigKey: T.providerConfigKey) }
        if let granted = connection.grantedScopes, let missing = T.scopes.first(where: { !granted.contains($0) }) {
            throw .needsReauth(providerConfigKey: T.providerConfigKey, reason: "the connection lacks scope \(missing)")
        }
        let request = try T.makeRequest(input)
        var attempt = 0
        while true {
            let failure: ToolFailure
            do {
                let response = try await client.proxy(request, connectionID: connection.connectionID, providerConfigKey: T.providerConfigKey)
                return try client.decode(response, providerConfigKey: T.providerConfigKey)
            } catch {
                failure = error
            }
            let retryable: Bool
            var delay = min(retry.maxDelay, retry.baseDelay * pow(2, Double(attempt)))
            switch failure {
            case .rateLimited(let after):
                retryable = true
                if let after { delay = min(retry.maxDelay, max(delay, after)) }
            case .upstream(let status, _): retryable = status >= 500
            case .transport: retryable = true
            default: retryable = false
            }
            guard retryable, request.method.isIdempotent, attempt < retry.maxRetries else { throw failure }
            attempt += 1
            try? await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
        }
    }

    /// Decodes arguments, naming the field that does not fit.
    static func decodeInput<I: ToolInput>(_ type: I.Type, from data: Data) throws(ToolFailure) -> I {
        do {
            return try JSONDecoder().decode(I.self, from: data.isEmpty ? Data("{}".utf8) : data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw .invalidInput(field: path(context.codingPath + [key]), reason: "is required")
        } catch let DecodingError.typeMismatch(expected, context) {
            throw .invalidInput(field: path(context.codingPath), reason: "must be \(describe(expected))")
        } catch let DecodingError.valueNotFound(expected, context) {
            throw .invalidInput(field: path(context.codingPath), reason: "must be \(describe(expected)), not null")
        } catch let DecodingError.dataCorrupted(context) {
            throw .invalidInput(field: path(context.codingPath), reason: context.codingPath.isEmpty ? "the arguments are not a JSON object" : "is not valid")
        } catch {
            throw .invalidInput(field: "", reason: "\(error)")
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: "\(type)".hasPrefix("Array") ? "a list" : "an object"
        }
    }
}
