import Foundation

/// Nango's API: the proxy, connections, connect sessions. The secret key is sent as a
/// bearer token and never appears in an error, a log line or a description.
public struct NangoClient: Sendable, CustomStringConvertible {
    public var baseURL: URL
    private let secretKey: String
    let transport: any HTTPTransport

    /// - Parameters:
    ///   - secretKey: the Nango environment's secret key, sent as a bearer token.
    ///   - baseURL: Nango Cloud by default; a self-hosted server's URL otherwise.
    ///   - transport: how requests are sent: URLSession by default, or a transport of yours.
    public init(secretKey: String, baseURL: URL = URL(string: "https://api.nango.dev")!, transport: any HTTPTransport = URLSessionTransport()) {
        self.secretKey = secretKey
        self.baseURL = baseURL
        self.transport = transport
    }

    public var description: String { "NangoClient(\(baseURL.absoluteString), secret key: <redacted>)" }

    func url(_ path: String, query: [(name: String, value: String)] = []) -> URL {
        var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false)!
        let base = components.percentEncodedPath.hasSuffix("/") ? String(components.percentEncodedPath.dropLast()) : components.percentEncodedPath
        // Setting an invalid percent-encoded path traps: encode whatever a path may not hold
        // (spaces, non-ASCII), keeping the escapes already made.
        var allowed = CharacterSet.urlPathAllowed
        allowed.insert("%")
        components.percentEncodedPath = base + (path.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
        if !query.isEmpty {
            components.percentEncodedQuery = query.map { Self.encodeQuery($0.name) + "=" + Self.encodeQuery($0.value) }.joined(separator: "&")
        }
        return components.url!
    }

    /// Unreserved characters, and ',' (a sub-delimiter RFC 3986 leaves as it is in a
    /// query): the separator of comma-joined arrays (`properties=a,b`), as OpenAPI writes them.
    static let queryAllowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~,")
    static func encodeQuery(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: queryAllowed) ?? "" }

    /// Sends one request to Nango's API, with the secret key; a transport error is a
    /// `.transport` failure whose text cannot hold the key.
    package func send(_ method: String, _ path: String, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)] = [], body: Data? = nil) async throws(ToolFailure) -> HTTPResponse {
        let request = HTTPRequest(method: method, url: url(path, query: query),
                                  headers: [("Authorization", "Bearer \(secretKey)")] + headers, body: body)
        do {
            return try await transport.send(request)
        } catch {
            throw .transport(redact(Self.describe(error)))
        }
    }

    /// A transport error in words (URLSession's own are codes: `NSURLErrorDomain Code=-1001`).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? URLError else { return "\(error)" }
        switch error.code {
        case .timedOut: return "no complete answer within the time limit"
        case .cannotConnectToHost: return "the connection was refused"
        case .cannotFindHost, .dnsLookupFailed: return "the host name did not resolve"
        case .networkConnectionLost: return "the connection was lost"
        case .notConnectedToInternet: return "no network"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot:
            return "the TLS connection failed (\(error.code.rawValue))"
        case .cancelled: return "cancelled"
        default: return "URL error \(error.code.rawValue)"
        }
    }

    /// Removes the secret key from any text that might carry it.
    package func redact(_ text: String) -> String {
        secretKey.isEmpty ? text : text.replacingOccurrences(of: secretKey, with: "<redacted>")
    }

    /// Sends a provider request through Nango's proxy (`/proxy/<endpoint>`). Nango forwards
    /// to the provider only the headers named `Nango-Proxy-<name>` (the prefix removed),
    /// so every provider header goes under that name; `Content-Type` also goes as it is,
    /// since Nango reads the body by it.
    public func proxy(_ request: ToolRequest, connectionID: String, providerConfigKey: String) async throws(ToolFailure) -> HTTPResponse {
        var headers: [(name: String, value: String)] = [("Connection-Id", connectionID), ("Provider-Config-Key", providerConfigKey)]
        for header in request.headers {
            if header.name.caseInsensitiveCompare("Content-Type") == .orderedSame { headers.append(header) }
            headers.append(("Nango-Proxy-" + header.name, header.value))
        }
        return try await send(request.method.rawValue, "/proxy" + request.path, query: request.query, headers: headers, body: request.body)
    }

    /// `/connections/{id}`: Nango's path of one connection (`/connection/{id}` is deprecated).
    package static func connectionPath(_ id: String) -> String {
        "/connections/" + (id.addingPercentEncoding(withAllowedCharacters: ToolRequest.unreserved) ?? "")
    }

    /// A connection with its credentials' metadata (`GET /connections/{id}`).
    public func connection(id: String, providerConfigKey: String) async throws(ToolFailure) -> JSONValue {
        let path = Self.connectionPath(id)
        let response = try await send("GET", path, query: [("provider_config_key", providerConfigKey)])
        return try decode(response, providerConfigKey: providerConfigKey)
    }

    public struct ConnectSession: Sendable, Equatable, Decodable {
        public var token: String
        public var expiresAt: String
        public var connectLink: String?
        enum CodingKeys: String, CodingKey { case token, expiresAt = "expires_at", connectLink = "connect_link" }
    }

    /// Creates a connect session (`POST /connect/sessions`). `tags` tie the connection
    /// to your user and organisation (end_user_id, organization_id…). `endUser` and
    /// `organization` are Nango's deprecated fields: sent only when given.
    public func createConnectSession(
        tags: [String: String], allowedIntegrations: [String]? = nil,
        endUser: (id: String, email: String?)? = nil, organizationID: String? = nil
    ) async throws(ToolFailure) -> ConnectSession {
        var body: [String: JSONValue] = ["tags": .object(tags.mapValues(JSONValue.string))]
        if let allowedIntegrations { body["allowed_integrations"] = .array(allowedIntegrations.map(JSONValue.string)) }
        if let endUser {
            var user: [String: JSONValue] = ["id": .string(endUser.id)]
            if let email = endUser.email { user["email"] = .string(email) }
            body["end_user"] = .object(user)
        }
        if let organizationID { body["organization"] = .object(["id": .string(organizationID)]) }
        return try await connectSession("/connect/sessions", body: .object(body))
    }

    /// A reconnect session for an existing connection (`POST /connect/sessions/reconnect`):
    /// the user authorises again (a refresh Nango cannot make, a scope added since) and the
    /// connection keeps its id.
    public func createReconnectSession(connectionID: String, providerConfigKey: String) async throws(ToolFailure) -> ConnectSession {
        try await connectSession("/connect/sessions/reconnect", body: Self.reconnectBody(connectionID: connectionID, integration: providerConfigKey))
    }

    /// The body of a reconnect session, as Nango's document declares it.
    package static func reconnectBody(connectionID: String, integration: String) -> JSONValue {
        .object(["connection_id": .string(connectionID), "integration_id": .string(integration)])
    }

    func connectSession(_ path: String, body: JSONValue) async throws(ToolFailure) -> ConnectSession {
        let response = try await send("POST", path, headers: [("Content-Type", "application/json")], body: body.jsonData)
        guard (200..<300).contains(response.status) else { throw failure(response, providerConfigKey: "") }
        struct Envelope: Decodable { var data: ConnectSession }
        do {
            return try JSONDecoder().decode(Envelope.self, from: response.body).data
        } catch {
            throw .upstream(status: response.status, body: "unexpected connect session response")
        }
    }

    /// A connect session for a tenant: the tags (`ConnectionTags`) say whose connection
    /// it becomes, and the server's webhook handler files it by them.
    public func createConnectSession(for tenant: Tenant, connector: String? = nil, instance: String? = nil, allowedIntegrations: [String]? = nil) async throws(ToolFailure) -> ConnectSession {
        try await createConnectSession(tags: ConnectionTags.tags(for: tenant, connector: connector, instance: instance), allowedIntegrations: allowedIntegrations)
    }

    /// Deletes a connection at Nango (`DELETE /connections/{id}`), which ends its use of the
    /// provider's grant. An unknown connection counts as deleted.
    public func deleteConnection(id: String, providerConfigKey: String) async throws(ToolFailure) {
        let path = Self.connectionPath(id)
        let response = try await send("DELETE", path, query: [("provider_config_key", providerConfigKey)])
        if (200..<300).contains(response.status) { return }
        let body = String(decoding: response.body.prefix(4096), as: UTF8.self)
        if (response.status == 400 && body.contains("unknown_connection")) || response.status == 404 { return }
        throw failure(response, providerConfigKey: providerConfigKey)
    }

    /// A success's body as JSON (text when it is not), the secret key redacted: an upstream
    /// that echoes it back does not hand it to the caller.
    func decode(_ response: HTTPResponse, providerConfigKey: String) throws(ToolFailure) -> JSONValue {
        guard (200..<300).contains(response.status) else { throw failure(response, providerConfigKey: providerConfigKey) }
        if response.body.isEmpty { return .null }
        var body = response.body
        // A key too short to be one of Nango's (UUIDs) would match ordinary text: left alone.
        if secretKey.utf8.count >= 16, body.range(of: Data(secretKey.utf8)) != nil {
            body = Data(redact(String(decoding: body, as: UTF8.self)).utf8)
        }
        return (try? JSONValue(json: body)) ?? .string(String(decoding: body, as: UTF8.self))
    }

    /// The typed failure of an error response.
    func failure(_ response: HTTPResponse, providerConfigKey: String) -> ToolFailure {
        // Redacted before the cut: a key split by the cut would keep its prefix.
        let body = String(redact(String(decoding: response.body, as: UTF8.self)).prefix(4096))
        switch response.status {
        case 401, 403:
            if let detail = Self.insufficientScope(response, body: body) {
                return .insufficientScope(providerConfigKey: providerConfigKey, status: response.status, detail: detail)
            }
            return .needsReauth(providerConfigKey: providerConfigKey, reason: "the provider answered \(response.status)")
        case 429: return .rateLimited(retryAfter: Self.retryAfter(response.header("Retry-After")))
        case 404 where body.contains("unknown_connection") || body.contains("connection_not_found") || body.contains("\"not_found\""):
            return .notConnected(providerConfigKey: providerConfigKey)
        default: return .upstream(status: response.status, body: body)
        }
    }
}

extension NangoClient {
    /// What a provider's 401/403 says when the token lacks a scope, or nil: RFC 6750's
    /// `WWW-Authenticate: Bearer error="insufficient_scope"`, and the bodies of providers
    /// that say it their own way — Google (`ACCESS_TOKEN_SCOPE_INSUFFICIENT`, and
    /// `insufficientPermissions` in its older error format), HubSpot (`MISSING_SCOPES`),
    /// Slack (`missing_scope`).
    static func insufficientScope(_ response: HTTPResponse, body: String) -> String? {
        if let challenge = response.header("WWW-Authenticate"), challenge.range(of: "insufficient_scope", options: .caseInsensitive) != nil {
            return "insufficient_scope"
        }
        return insufficientScopeMarkers.first { body.contains($0) }
    }

    static let insufficientScopeMarkers = ["ACCESS_TOKEN_SCOPE_INSUFFICIENT", "insufficientPermissions", "MISSING_SCOPES", "missing_scope"]

    /// `Retry-After` as seconds (RFC 9110: a number of seconds, or an HTTP date); nil when
    /// it is neither (`nan`, `-5`, `soon`), a date in the past waits 0.
    static func retryAfter(_ value: String?, now: Date = Date()) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.utf8.count <= 9, value.utf8.allSatisfy({ (48...57).contains($0) }) { return Double(value) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        guard value.count <= 40, let date = formatter.date(from: value) else { return nil }
        return max(0, (date.timeIntervalSince(now)).rounded(.up))
    }
}

/// The scopes of a Nango connection (`GET /connections/{id}`): what the provider answered
/// when the user consented (`credentials.raw.scope`), else what was asked for
/// (`connection_config.oauth_scopes_override`, else `oauth_scopes`: not verified). Split at whitespace, commas and the
/// provider's `scope_separator` (a space, a comma or `+`), none of which a scope holds;
/// in the order given, each once. nil when Nango holds neither.
public enum ConnectionScopes {
    public static func of(_ connection: JSONValue, separator: String? = nil) -> (scopes: [String], verified: Bool)? {
        func split(_ value: JSONValue?) -> [String]? {
            let pieces: [String]
            switch value {
            case .string(let s)?:
                pieces = s.split { $0.isWhitespace || $0 == "," || separator?.contains($0) == true }.map(String.init)
            case .array(let items)?:
                pieces = items.compactMap { if case .string(let s) = $0 { return s }; return nil }
            default:
                return nil
            }
            var seen = Set<String>()
            return pieces.filter { seen.insert($0).inserted }
        }
        if let granted = split(connection["credentials"]?["raw"]?["scope"]) { return (granted, true) }
        // What was asked for: a connect session's override, else the integration's scopes.
        if let requested = split(connection["connection_config"]?["oauth_scopes_override"]) ?? split(connection["connection_config"]?["oauth_scopes"]) {
            return (requested, false)
        }
        return nil
    }
}

/// The tags of a connect session that tie a Nango connection to a tenant. Nango lowercases
/// tag keys, keeps at most 10, values up to 255 characters; `end_user_id` and
/// `organization_id` are Nango's own names.
public enum ConnectionTags {
    public static let user = "end_user_id"
    public static let organization = "organization_id"
    /// A connector's slug: the connection is the user's own, for that connector
    /// (`connector_connections`); without it, it is the organisation's (`integrations`).
    public static let connector = "keyway_connector"
    /// Which of the user's connections to the connector (default `default`).
    public static let instance = "keyway_instance"

    public static func tags(for tenant: Tenant, connector: String? = nil, instance: String? = nil) -> [String: String] {
        var tags = [user: tenant.user]
        if tenant.owner != tenant.user { tags[organization] = tenant.owner }
        if let connector { tags[Self.connector] = connector }
        if let instance { tags[Self.instance] = instance }
        return tags
    }
}
