import Foundation
import HTTPTypes
import Hummingbird
import KeywayContract
import KeywayMCP
import KeywayRuntime
import Logging
import MCP
import NIOCore
import ServiceLifecycle

/// `MCPToolServer` over MCP's Streamable HTTP transport, on Hummingbird. Every request
/// must carry `Authorization: Bearer <token>`, which the authenticator turns into a
/// tenant (401 otherwise, before anything else is read); a session is bound to the tenant
/// that opened it, and a request for it with another tenant's token is answered as for an
/// unknown session (404). Tools run as the session's tenant only.
@available(macOS 14, iOS 17, tvOS 17, *)
public final class MCPHTTPServer: Sendable {
    public let tools: MCPToolServer
    public let authenticator: any MCPAuthenticator
    /// The endpoint's path (`/mcp`).
    public let path: String
    /// Sessions one tenant may keep open; opening one more ends its oldest.
    public let maxSessionsPerTenant: Int
    /// A session with no request for this long is ended.
    public let sessionIdleTimeout: Duration
    /// A connection with no request in progress (idle, or still sending its head) for this
    /// long is closed, so idle and trickling clients cannot hold the server's descriptors.
    public let connectionIdleTimeout: Duration
    /// The longest a request's body may take to arrive (408 past it).
    public let requestBodyTimeout: Duration
    /// The bytes one session may send (its answers, which the SDK's transport keeps for
    /// replay until the session ends); past it the session ends at its next request.
    public let maxSessionBytes: Int
    /// After SIGTERM or SIGINT (or the task's cancellation), how long requests in progress
    /// may take before the server stops regardless.
    public let shutdownDeadline: Duration
    /// RFC 9728 metadata, served at its well-known path and named by every 401 and 403.
    public let protectedResource: ProtectedResource?
    let validation: @Sendable () -> any HTTPRequestValidationPipeline
    let origin: OriginValidator
    let sessions = SessionStore()

    /// - Parameters:
    ///   - allowedHosts: the `Host` (and `Origin`) values accepted, against DNS rebinding:
    ///     `nil` accepts loopback names only (`localhost:*`, `127.0.0.1:*`, `[::1]:*`); a
    ///     server behind a domain names it (`["mcp.example.com"]`), or `[]` to accept any.
    ///   - protectedResource: this server as an OAuth protected resource (RFC 9728), when
    ///     its tokens come from an authorization server (`JWTAuthenticator`).
    public init(tools: MCPToolServer, authenticator: any MCPAuthenticator, path: String = "/mcp", allowedHosts: [String]? = nil,
                maxSessionsPerTenant: Int = 16, sessionIdleTimeout: Duration = .seconds(3600), protectedResource: ProtectedResource? = nil,
                connectionIdleTimeout: Duration = .seconds(30), requestBodyTimeout: Duration = .seconds(30), shutdownDeadline: Duration = .seconds(10), maxSessionBytes: Int = 32 << 20) {
        self.maxSessionBytes = maxSessionBytes
        self.shutdownDeadline = shutdownDeadline
        self.protectedResource = protectedResource
        self.connectionIdleTimeout = connectionIdleTimeout
        self.requestBodyTimeout = requestBodyTimeout
        self.tools = tools
        self.authenticator = authenticator
        self.path = path
        self.maxSessionsPerTenant = maxSessionsPerTenant
        self.sessionIdleTimeout = sessionIdleTimeout
        let origin: OriginValidator = switch allowedHosts {
        case nil: .localhost()
        case let hosts? where hosts.isEmpty: .disabled
        case let hosts?: OriginValidator(allowedHosts: hosts, allowedOrigins: hosts.flatMap { ["https://\($0)", "http://\($0)"] })
        }
        self.origin = origin
        validation = {
            StandardValidationPipeline(validators: [origin, AcceptHeaderValidator(mode: .sseRequired), ContentTypeValidator(), ProtocolVersionValidator(), SessionValidator()])
        }
    }

    /// The largest request body read.
    var maxBodyBytes: Int { tools.limits.maxMessageBytes }

    /// Adds the endpoint (POST, GET and DELETE on `path`) to an app's router.
    public func addRoutes<Context: Hummingbird.RequestContext>(to router: Router<Context>) {
        let routePath = RouterPath(stringLiteral: path)
        for method in [Hummingbird.HTTPRequest.Method.post, .get, .delete] {
            router.on(routePath, method: method) { request, _ in await self.respond(to: request) }
        }
        if let resource = protectedResource {
            let body = resource.document.jsonData
            for metadataPath in Set([resource.metadataPath, "/.well-known/oauth-protected-resource"]) {
                router.get(RouterPath(stringLiteral: metadataPath)) { _, _ in
                    Hummingbird.Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "max-age=3600"],
                                         body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
                }
            }
        }
    }

    /// Serves on `host:port` until the task is cancelled (or, with `handlesSignals`,
    /// SIGINT or SIGTERM); `onListening` gets the port bound (useful with port 0).
    public func run(host: String = "127.0.0.1", port: Int, handlesSignals: Bool = true, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router()
        addRoutes(to: router)
        var logger = Logger(label: "keyway-mcp-http")
        logger.logLevel = .warning
        let (seconds, attoseconds) = connectionIdleTimeout.components
        let idle = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        let app = Application(router: router, server: .http1(configuration: .init(idleTimeout: idle)),
                              configuration: .init(address: .hostname(host, port: port), serverName: "keyway"),
                              onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) }, logger: logger)
        // The sessions' service is listed last, so shutdown reaches it first: it ends every
        // session, which closes their event streams, and the server then drains. A client
        // that keeps a request open cannot hold the process past the deadline.
        var configuration = ServiceGroupConfiguration(services: [.init(service: app), .init(service: Sessions(server: self), successTerminationBehavior: .gracefullyShutdownGroup)],
                                                      gracefulShutdownSignals: handlesSignals ? [.sigterm, .sigint] : [], logger: logger)
        configuration.maximumGracefulShutdownDuration = shutdownDeadline
        try await ServiceGroup(configuration: configuration).run()
    }

    /// The open sessions as a service: idle ones end on a timer, not only when a new one
    /// opens; at shutdown, all of them.
    struct Sessions: Service {
        let server: MCPHTTPServer
        func run() async throws {
            let sweeper = Task { await server.expireIdleSessions(every: min(server.sessionIdleTimeout / 4, .seconds(60))) }
            try? await gracefulShutdown()
            sweeper.cancel()
            await server.endAllSessions()
        }
    }

    /// Ends every session (their calls are cancelled, their event streams closed).
    public func endAllSessions() async {
        for session in await sessions.removeAll() { await session.session.end() }
    }

    /// Ends the sessions idle for longer than `sessionIdleTimeout`, every `interval`, until
    /// the task is cancelled (`run` does this; an app that mounts the routes on its own
    /// server runs it beside).
    public func expireIdleSessions(every interval: Duration) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            for stale in await sessions.expire(idleFor: sessionIdleTimeout) { await stale.session.end() }
        }
    }

    /// One HTTP request: tenant, then session, then the MCP transport.
    public func respond(to request: Hummingbird.Request) async -> Hummingbird.Response {
        guard let authorization = request.headers[.authorization] else {
            return unauthorized("Unauthorized: send 'Authorization: Bearer <token>' with a token this server knows")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            return unauthorized("Unauthorized: the Authorization header must be 'Bearer <token>'")
        }
        let tenant: Tenant
        switch await authenticator.check(bearerToken: String(parts[1]).trimmingCharacters(in: .whitespaces)) {
        case .tenant(let found):
            tenant = found
        case .invalid(let why):
            return unauthorized("Unauthorized: \(why)", error: "invalid_token")
        case .insufficientScope(let required):
            return forbidden(required)
        }
        var body: Data?
        if request.method == .post {
            switch await readBody(request) {
            case .read(let bytes): body = bytes
            case .tooLarge: return Self.convert(.error(statusCode: 413, .invalidRequest("Content Too Large: a request body may hold at most \(maxBodyBytes) bytes; send smaller arguments")))
            case .tooSlow: return Self.convert(.error(statusCode: 408, .invalidRequest("Request Timeout: the body did not arrive within \(requestBodyTimeout); send it at once")))
            }
        }
        if let body, let problem = Self.idProblem(body) {
            return Self.convert(.error(statusCode: 400, .invalidRequest("Bad Request: \(problem)")))
        }
        var headers: [String: String] = [:]
        // HTTP/1.1's Host arrives as the request's authority, outside the header fields:
        // the DNS-rebinding check must see it.
        if let authority = request.head.authority { headers["Host"] = authority }
        for field in request.headers {
            headers[field.name.canonicalName] = headers[field.name.canonicalName].map { $0 + ", " + field.value } ?? field.value
        }
        let mcpRequest = MCP.HTTPRequest(method: request.method.rawValue, headers: headers, body: body, path: request.uri.path)
        // MCP 2026-07-28: each request stands alone (no initialize, no session).
        if request.headers[HTTPField.Name(HTTPHeaderName.protocolVersion)!] == Stateless.version {
            if let refused = origin.validate(mcpRequest, context: HTTPValidationContext(httpMethod: request.method.rawValue)) { return Self.convert(refused) }
            return await stateless(request.method, body: body, tenant: tenant)
        }

        if let id = request.headers[HTTPField.Name(HTTPHeaderName.sessionID)!] {
            guard let session = await sessions.use(id, owner: tenant.owner) else {
                return Self.convert(.error(statusCode: 404, .invalidRequest("Not Found: no such session for this token; start a new one with initialize")))
            }
            // The SDK's transport keeps every message it sent, for replay, for the session's
            // life: a session that has sent its share ends, and the client starts another.
            if await session.sent.total > maxSessionBytes {
                if await sessions.remove(id) != nil { await session.session.end() }
                return Self.convert(.error(statusCode: 404, .invalidRequest("Not Found: this session has sent the most a session may (\(maxSessionBytes) bytes) and has ended; start a new one with initialize")))
            }
            let response = await session.transport.handleRequest(mcpRequest)
            if request.method == .delete, response.statusCode == 200, await sessions.remove(id) != nil { await session.session.end() }
            return Self.convert(response)
        }
        guard request.method == .post, let body, Self.isInitialize(body) else {
            return Self.convert(.error(statusCode: 400, .invalidRequest("Bad Request: missing \(HTTPHeaderName.sessionID) header; start a session with initialize first")))
        }
        for stale in await sessions.expire(idleFor: sessionIdleTimeout) { await stale.session.end() }
        let transport = StatefulHTTPServerTransport(validationPipeline: validation())
        let session = await tools.makeSession(tenant: tenant)
        let sent = CountingTransport(transport)
        do {
            try await session.start(sent)
        } catch {
            return Self.convert(.error(statusCode: 500, .internalError("the session could not start (\(error)); try again")))
        }
        let response = await transport.handleRequest(mcpRequest)
        if let id = response.headers[HTTPHeaderName.sessionID] {
            let entry = SessionStore.Session(owner: tenant.owner, transport: transport, session: session, sent: sent)
            for evicted in await sessions.add(id, entry, maxPerOwner: maxSessionsPerTenant) { await evicted.session.end() }
        } else {
            await session.end()
        }
        return Self.convert(response)
    }

    enum BodyRead { case read(Data), tooLarge, tooSlow }

    /// The body, at most `maxBodyBytes`, within `requestBodyTimeout`.
    func readBody(_ request: Hummingbird.Request) async -> BodyRead {
        let limit = maxBodyBytes, timeout = requestBodyTimeout
        return await withTaskGroup(of: BodyRead?.self) { group in
            group.addTask {
                do { return .read(Data(try await request.body.collect(upTo: limit).readableBytesView)) } catch { return .tooLarge }
            }
            group.addTask {
                do { try await Task.sleep(for: timeout) } catch { return nil }
                return .tooSlow
            }
            let first = await group.next()! ?? .tooSlow
            group.cancelAll()
            return first
        }
    }

    /// MCP: a request's id is a string or an integer, never null (JSON-RPC allows null; the
    /// SDK took such a request for a notification and answered a silent 202).
    static func idProblem(_ body: Data) -> String? {
        guard let json = try? KeywayContract.JSONValue(json: body) else { return nil }
        let messages: [KeywayContract.JSONValue] = if case .array(let items) = json { items } else { [json] }
        for case .object(let fields) in messages where fields["method"] != nil {
            switch fields["id"] {
            case nil, .string?: continue
            case .number(let n)? where n == n.rounded() && abs(n) < 9e15: continue
            case .null?: return "a request's id must be a string or an integer, never null (a notification has no id)"
            default: return "a request's id must be a string or an integer"
            }
        }
        return nil
    }

    static func isInitialize(_ body: Data) -> Bool {
        (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["method"] as? String == "initialize"
    }

    /// 401, with a challenge naming the metadata (and the scopes to ask for) when the
    /// server is a protected resource.
    func unauthorized(_ message: String, error: String? = nil) -> Hummingbird.Response {
        var challenge = "Bearer realm=\"keyway\""
        if let protectedResource {
            challenge += ", resource_metadata=\"\(protectedResource.metadataURL)\""
            if !protectedResource.scopes.isEmpty { challenge += ", scope=\"\(protectedResource.scopes.joined(separator: " "))\"" }
        }
        if let error { challenge += ", error=\"\(error)\"" }
        return Self.convert(.error(statusCode: 401, .invalidRequest(message), extraHeaders: [HTTPHeaderName.wwwAuthenticate: challenge]))
    }

    /// 403 for a valid token that lacks a required scope (RFC 6750 §3.1).
    func forbidden(_ required: [String]) -> Hummingbird.Response {
        var challenge = "Bearer realm=\"keyway\", error=\"insufficient_scope\", scope=\"\(required.joined(separator: " "))\""
        if let protectedResource { challenge += ", resource_metadata=\"\(protectedResource.metadataURL)\"" }
        return Self.convert(.error(statusCode: 403, .invalidRequest("Forbidden: the token lacks the scopes this server requires (\(required.joined(separator: " "))); sign in again granting them"),
                                   extraHeaders: [HTTPHeaderName.wwwAuthenticate: challenge]))
    }

    static func convert(_ response: MCP.HTTPResponse) -> Hummingbird.Response {
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        let status = Hummingbird.HTTPResponse.Status(code: response.statusCode)
        switch response {
        case .stream(let stream, _):
            return Hummingbird.Response(status: status, headers: fields, body: ResponseBody { writer in
                for try await chunk in stream { try await writer.write(ByteBuffer(bytes: chunk)) }
                try await writer.finish(nil)
            })
        default:
            return Hummingbird.Response(status: status, headers: fields, body: response.bodyData.map { ResponseBody(byteBuffer: ByteBuffer(bytes: $0)) } ?? ResponseBody())
        }
    }
}

/// The open sessions, each bound to the owner that opened it.
actor SessionStore {
    struct Session: Sendable {
        var owner: String
        var transport: StatefulHTTPServerTransport
        var session: MCPSession
        var sent: CountingTransport
        var opened = ContinuousClock.now
        var lastUsed = ContinuousClock.now
    }
    var sessions: [String: Session] = [:]

    /// The session, when it exists and is the owner's.
    func use(_ id: String, owner: String) -> Session? {
        guard var session = sessions[id], session.owner == owner else { return nil }
        session.lastUsed = .now
        sessions[id] = session
        return session
    }

    /// Adds a session; returns those it pushes out (the owner's oldest, over the limit).
    func add(_ id: String, _ session: Session, maxPerOwner: Int) -> [Session] {
        sessions[id] = session
        let owned = sessions.filter { $0.value.owner == session.owner }.sorted { $0.value.opened < $1.value.opened }
        let evicted = owned.prefix(max(0, owned.count - maxPerOwner))
        for (id, _) in evicted { sessions[id] = nil }
        return evicted.map(\.value)
    }

    func remove(_ id: String) -> Session? { sessions.removeValue(forKey: id) }

    func removeAll() -> [Session] {
        defer { sessions = [:] }
        return Array(sessions.values)
    }

    /// Removes and returns the sessions idle for longer than `limit`.
    func expire(idleFor limit: Duration) -> [Session] {
        let now = ContinuousClock.now
        let stale = sessions.filter { now - $0.value.lastUsed > limit }
        for id in stale.keys { sessions[id] = nil }
        return Array(stale.values)
    }

    var count: Int { sessions.count }
}

/// A transport that counts what the server sends through it, then passes everything on.
actor CountingTransport: Transport {
    let inner: any Transport
    private(set) var total = 0
    let logger = Logger(label: "keyway.mcp.http.sent", factory: { _ in SwiftLogNoOpLogHandler() })

    init(_ inner: any Transport) { self.inner = inner }

    func connect() async throws { try await inner.connect() }
    func disconnect() async { await inner.disconnect() }
    func send(_ data: Data) async throws {
        total += data.count
        try await inner.send(data)
    }
    func receive() -> AsyncThrowingStream<Data, any Error> {
        // The inner transport is an actor too: its stream is read through it.
        let (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        let inner = self.inner
        Task {
            do {
                for try await message in await inner.receive() { continuation.yield(message) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return stream
    }
}
