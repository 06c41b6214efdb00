import Foundation
import KeywayRuntime

/// A Nango environment on loopback that keeps state (integrations, providers, connections)
/// and answers as Nango's API does (docs/spec.yaml in NangoHQ/nango, and its server's
/// rules: strict bodies, comma-joined scopes, the provider's default scopes for an
/// integration created without any, credentials left out for a key that may not read them,
/// `{"error": {"code", "message"}}` errors). Every request is recorded by its `StubNango`.
final class NangoStandIn: @unchecked Sendable {
    struct Provider {
        var name: String
        var authMode: String
        var scopeSeparator: String?
        var defaultScopes: [String] = []
    }
    struct Integration {
        var key: String
        var provider: String
        var displayName: String
        var credentials: [String: Any]?
    }
    struct Connection {
        var id: String
        var integration: String
        var tags: [String: String]
        /// `credentials.raw.scope` as the provider answered it (nil: none recorded).
        var rawScope: String?
        var requestedScopes: String?
        /// Nango can no longer refresh its token: reading it answers 424.
        var refreshExhausted = false
    }

    let stub: StubNango
    static let secretKey = "nango-secret-key-3f9a7c21"
    private let lock = NSLock()
    private(set) var providers: [String: Provider] = [:]
    private(set) var integrations: [String: Integration] = [:]
    private var order: [String] = []
    private(set) var connections: [Connection] = []
    /// Whether the key may read integrations' credentials (Nango leaves them out, silently, when not).
    var readsCredentials = true
    /// Whether the key may read connections' credentials (Nango answers `credentials: {}` when not).
    var readsConnectionCredentials = true
    /// Answer 500 to the n-th write (POST/PATCH/DELETE) from now, counting from 1.
    var failWrite: Int?
    private var writes = 0

    init() throws {
        stub = try StubNango()
        stub.onRequest { [unowned self] request in self.lock.withLock { self.answer(request) } }
    }

    var baseURL: URL { stub.baseURL }

    func addProvider(_ name: String, _ authMode: String = "OAUTH2", separator: String? = nil, defaults: [String] = []) {
        lock.withLock { providers[name] = Provider(name: name, authMode: authMode, scopeSeparator: separator, defaultScopes: defaults) }
    }

    func addIntegration(_ key: String, provider: String, displayName: String, clientID: String = "", clientSecret: String = "", scopes: [String] = []) {
        lock.withLock {
            integrations[key] = Integration(key: key, provider: provider, displayName: displayName, credentials: [
                "type": providers[provider]?.authMode ?? "OAUTH2", "client_id": clientID, "client_secret": clientSecret,
                "scopes": scopes.isEmpty ? NSNull() : scopes.joined(separator: ","), "webhook_secret": NSNull()])
            order.append(key)
        }
    }

    func edit(_ key: String, _ change: (inout Integration) -> Void) {
        lock.withLock { change(&integrations[key]!) }
    }

    func addConnection(_ id: String, integration: String, tags: [String: String], rawScope: String?, requested: String? = nil, refreshExhausted: Bool = false) {
        lock.withLock { connections.append(Connection(id: id, integration: integration, tags: tags, rawScope: rawScope, requestedScopes: requested, refreshExhausted: refreshExhausted)) }
    }

    var requests: [StubNango.Recorded] { stub.requests }
    /// Requests as `METHOD target` lines.
    var requestLines: [String] { stub.requests.map { "\($0.method) \($0.target)" } }

    // MARK: Answers

    private func json(_ value: Any, status: Int = 200) -> StubNango.Reply {
        let data = try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
        return StubNango.Reply(status: status, body: String(decoding: data, as: UTF8.self))
    }

    private func error(_ status: Int, _ code: String, _ message: String) -> StubNango.Reply {
        json(["error": ["code": code, "message": message]], status: status)
    }

    private func integrationJSON(_ i: Integration) -> [String: Any] {
        ["unique_key": i.key, "provider": i.provider, "display_name": i.displayName, "logo": "https://example.test/\(i.provider).svg",
         "forward_webhooks": true, "created_at": "2026-12-01T00:00:00.000Z", "updated_at": "2026-12-01T00:00:00.000Z"]
    }

    private func answer(_ request: StubNango.Recorded) -> StubNango.Reply {
        guard request.header("Authorization") == "Bearer \(Self.secretKey)" else {
            return error(401, "unknown_account", "The secret key is not valid")
        }
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { $0.removingPercentEncoding ?? String($0) }
        let query = request.query
        if ["POST", "PATCH", "DELETE"].contains(request.method) {
            writes += 1
            if let failWrite, writes == failWrite { return error(500, "server_error", "An unexpected error occurred") }
        }
        switch (request.method, segments.first, segments.count) {
        case ("GET", "providers", 1):
            return json(["data": providers.values.sorted { $0.name < $1.name }.map(providerJSON)])
        case ("GET", "providers", 2):
            guard let p = providers[segments[1]] else { return error(404, "not_found", "Unknown provider") }
            return json(["data": providerJSON(p)])
        case ("GET", "integrations", 1):
            let list = order.compactMap { integrations[$0] }.sorted { ($0.provider, order.firstIndex(of: $0.key)!) < ($1.provider, order.firstIndex(of: $1.key)!) }
            return json(["data": list.map(integrationJSON)])
        case ("POST", "integrations", 1):
            return create(request)
        case ("GET", "integrations", 2):
            guard let i = integrations[segments[1]] else { return error(404, "not_found", "Integration does not exist") }
            for (name, value) in query where name != "include" || !["webhook", "credentials"].contains(value) {
                return error(400, "invalid_query_params", "Invalid query params: \(name)")
            }
            var data = integrationJSON(i)
            if query.contains(where: { $0 == ("include", "credentials") }) && readsCredentials {
                data["credentials"] = i.credentials ?? NSNull()
            }
            return json(["data": data])
        case ("PATCH", "integrations", 2):
            return patch(segments[1], request)
        case ("DELETE", "integrations", 2):
            guard integrations.removeValue(forKey: segments[1]) != nil else { return error(404, "not_found", "Integration does not exist") }
            order.removeAll { $0 == segments[1] }
            connections.removeAll { $0.integration == segments[1] }
            return json(["success": true])
        case ("GET", "connections", 1):
            let limit = Int(query.first { $0.0 == "limit" }?.1 ?? "10000") ?? -1
            let page = Int(query.first { $0.0 == "page" }?.1 ?? "0") ?? -1
            guard (1...2000).contains(limit), page >= 0 else { return error(400, "invalid_query_params", "Invalid query params") }
            let slice = connections.dropFirst(limit * page).prefix(limit)
            return json(["connections": slice.map { c -> [String: Any] in
                ["id": 1, "connection_id": c.id, "provider": integrations[c.integration]?.provider ?? "", "provider_config_key": c.integration,
                 "created": "2026-12-01T00:00:00.000Z", "metadata": NSNull(), "tags": c.tags, "errors": [] as [Any]]
            }])
        case ("GET", "connections", 2):
            guard let key = query.first(where: { $0.0 == "provider_config_key" })?.1 else { return error(400, "invalid_query_params", "provider_config_key is required") }
            guard let integration = integrations[key] else { return error(400, "unknown_provider_config", "Unknown integration") }
            guard let c = connections.first(where: { $0.id == segments[1] && $0.integration == key }) else { return error(404, "not_found", "Connection not found") }
            if c.refreshExhausted { return error(424, "invalid_credentials", "The refresh limit has been reached for this connection.") }
            var raw: [String: Any] = ["access_token": "ya29.user-token", "token_type": "Bearer"]
            if let scope = c.rawScope { raw["scope"] = scope }
            var config: [String: Any] = [:]
            if let requested = c.requestedScopes { config["oauth_scopes"] = requested }
            return json(["id": 1, "connection_id": c.id, "provider_config_key": key, "provider": integration.provider, "errors": [] as [Any],
                         "metadata": [:] as [String: Any], "connection_config": config, "tags": c.tags, "created_at": "2026-12-01T00:00:00.000Z",
                         "updated_at": "2026-12-01T00:00:00.000Z", "last_fetched_at": "2026-12-01T00:00:00.000Z",
                         "credentials": readsConnectionCredentials ? ["type": "OAUTH2", "access_token": "ya29.user-token", "raw": raw] : [:] as [String: Any]])
        case ("POST", "connect", 3) where segments[1] == "sessions" && segments[2] == "reconnect":
            guard let body = request.json as? [String: Any], let id = body["connection_id"] as? String, let key = body["integration_id"] as? String,
                  connections.contains(where: { $0.id == id && $0.integration == key }) else {
                return error(400, "invalid_body", "ConnectionID or IntegrationId does not exists")
            }
            return json(["data": ["token": "nango_connect_session_\(id)", "connect_link": "https://connect.nango.dev/?session_token=nango_connect_session_\(id)",
                                  "expires_at": "2026-12-06T18:00:00.000Z"]], status: 201)
        default:
            return error(404, "not_found", "Not found")
        }
    }

    private func providerJSON(_ p: Provider) -> [String: Any] {
        var data: [String: Any] = ["name": p.name, "display_name": p.name.capitalized, "auth_mode": p.authMode,
                                   "docs": "https://nango.dev/docs/integrations/all/\(p.name)", "proxy": ["base_url": "https://api.example.test"]]
        if let s = p.scopeSeparator { data["scope_separator"] = s }
        if !p.defaultScopes.isEmpty { data["default_scopes"] = p.defaultScopes }
        return data
    }

    static let scopesRule = try! NSRegularExpression(pattern: "^[0-9a-zA-Z:/_.-]+(,[0-9a-zA-Z:/_.-]+)*$")

    /// The credentials of a body, by Nango's rules; an error reply when they break one.
    private func credentials(_ value: Any?, provider: Provider, creating: Bool, existing: [String: Any]? = nil) -> (credentials: [String: Any]?, error: StubNango.Reply?) {
        guard let value else {
            return ["OAUTH1", "OAUTH2", "APP", "CUSTOM"].contains(provider.authMode) ? (nil, error(400, "invalid_body", "Missing credentials")) : (nil, nil)
        }
        guard var c = value as? [String: Any], let type = c["type"] as? String, let id = c["client_id"] as? String, !id.isEmpty,
              let secret = c["client_secret"] as? String, !secret.isEmpty, Set(c.keys).isSubset(of: ["type", "client_id", "client_secret", "scopes", "webhook_secret"]) else {
            return (nil, error(400, "invalid_body", "invalid credentials object"))
        }
        guard type == provider.authMode else { return (nil, error(400, "invalid_body", "incompatible credentials auth type and provider auth")) }
        _ = secret
        // Nango's server: scopes is an optional string, comma-joined words or "" (null is refused).
        switch c["scopes"] {
        case let scopes as String where !scopes.isEmpty:
            guard Self.scopesRule.firstMatch(in: scopes, range: NSRange(scopes.startIndex..., in: scopes)) != nil else {
                return (nil, error(400, "invalid_body", "Invalid scopes"))
            }
        case let scopes as String where scopes.isEmpty && !creating:
            c["scopes"] = NSNull()   // "" clears them
        case nil, is String:
            // Left out (or "" on creation): a new integration takes the provider's defaults; an
            // edit keeps what there was.
            let defaults: Any = provider.defaultScopes.isEmpty ? NSNull() : provider.defaultScopes.joined(separator: ",")
            c["scopes"] = creating ? defaults : (existing?["scopes"] ?? NSNull())
        default:
            return (nil, json(["error": ["code": "invalid_body", "message": "Invalid body",
                                         "errors": [["code": "invalid_type", "message": "Expected string, received null", "path": ["credentials", "scopes"]]]]], status: 400))
        }
        c["webhook_secret"] = c["webhook_secret"] ?? NSNull()
        return (c, nil)
    }

    private func create(_ request: StubNango.Recorded) -> StubNango.Reply {
        guard let body = request.json as? [String: Any], request.header("Content-Type") == "application/json",
              Set(body.keys).isSubset(of: ["unique_key", "provider", "display_name", "forward_webhooks", "credentials", "integration_config", "custom"]),
              let key = body["unique_key"] as? String, let providerName = body["provider"] as? String else {
            return error(400, "invalid_body", "Invalid body")
        }
        guard let provider = providers[providerName] else { return error(400, "invalid_body", "Invalid provider") }
        guard integrations[key] == nil else { return error(400, "invalid_body", "Unique key already exists") }
        let (credentials, problem) = credentials(body["credentials"], provider: provider, creating: true)
        if let problem { return problem }
        let integration = Integration(key: key, provider: providerName, displayName: body["display_name"] as? String ?? providerName, credentials: credentials)
        integrations[key] = integration
        order.append(key)
        return json(["data": integrationJSON(integration)])
    }

    private func patch(_ key: String, _ request: StubNango.Recorded) -> StubNango.Reply {
        guard var integration = integrations[key] else { return error(404, "not_found", "Integration does not exist") }
        guard let body = request.json as? [String: Any], request.header("Content-Type") == "application/json",
              Set(body.keys).isSubset(of: ["unique_key", "display_name", "forward_webhooks", "credentials", "integration_config", "custom"]) else {
            return error(400, "invalid_body", "Invalid body")
        }
        if let name = body["display_name"] as? String { integration.displayName = name }
        if let value = body["credentials"] {
            let (credentials, problem) = credentials(value, provider: providers[integration.provider]!, creating: false, existing: integration.credentials)
            if let problem { return problem }
            integration.credentials = credentials
        }
        integrations[key] = integration
        return json(["data": integrationJSON(integration)])
    }
}
