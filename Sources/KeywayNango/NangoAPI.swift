import Foundation
import KeywayContract
import KeywayModel
import KeywayRuntime

/// Nango's REST API for managing an environment: integrations, providers, connections and
/// reconnect sessions (docs/spec.yaml in NangoHQ/nango). Each call sends exactly the
/// operation, query and body that document declares; an answer that is not what it
/// declares (HTML, a 5xx, a timeout, a body over the transport's limit, JSON of another
/// shape) is a `NangoAPI.Failure` naming the request, never a crash, and never the key.
public struct NangoAPI: Sendable {
    public let client: NangoClient
    /// Values that must never appear in an error (the OAuth clients' secrets): Nango may echo
    /// what it was sent. The secret key is the client's to redact.
    let secrets: [String]

    public init(client: NangoClient, redacting secrets: [String] = []) {
        self.client = client
        self.secrets = secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
    }

    /// Nango's URL as printed: without a user or password it may carry.
    public var displayURL: String {
        guard var components = URLComponents(url: client.baseURL, resolvingAgainstBaseURL: false) else { return "Nango" }
        components.user = nil
        components.password = nil
        return components.string ?? "Nango"
    }

    func redact(_ text: String) -> String {
        secrets.reduce(client.redact(text)) { $0.replacingOccurrences(of: $1, with: "<redacted>") }
    }

    /// A request that did not give what Nango's API says it gives.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// `GET /integrations/gmail`
        public var request: String
        public var status: Int?
        /// Nango's error code (`not_found`, `invalid_body`…), when it sent one.
        public var code: String?
        public var message: String
        public var description: String { "\(request): \(message)" }
    }

    // MARK: Integrations

    public struct Integration: Sendable, Equatable, Decodable {
        public var uniqueKey: String
        public var provider: String
        public var displayName: String
        /// nil for modes without an OAuth client (Nango answers null), and when Nango left them out.
        public var credentials: Credentials?
        /// Whether the answer had `credentials` at all: Nango leaves them out, silently, for a
        /// key without the `environment:integrations:read_credentials` permission.
        public var credentialsIncluded: Bool
        enum CodingKeys: String, CodingKey { case uniqueKey = "unique_key", provider, displayName = "display_name", credentials }

        public init(uniqueKey: String, provider: String, displayName: String, credentials: Credentials? = nil, credentialsIncluded: Bool = false) {
            self.uniqueKey = uniqueKey
            self.provider = provider
            self.displayName = displayName
            self.credentials = credentials
            self.credentialsIncluded = credentialsIncluded
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            uniqueKey = try c.decode(String.self, forKey: .uniqueKey)
            provider = try c.decode(String.self, forKey: .provider)
            displayName = try c.decode(String.self, forKey: .displayName)
            credentials = try c.decodeIfPresent(Credentials.self, forKey: .credentials)
            credentialsIncluded = c.contains(.credentials)
        }
    }

    /// An integration's OAuth client as Nango keeps it (`IntegrationCredentials`); `scopes`
    /// is Nango's comma-joined string, split.
    public struct Credentials: Sendable, Equatable, Decodable {
        public var type: String
        public var clientID: String?
        public var clientSecret: String?
        public var scopes: [String]
        enum CodingKeys: String, CodingKey { case type, clientID = "client_id", clientSecret = "client_secret", scopes }

        public init(type: String, clientID: String?, clientSecret: String?, scopes: [String]) {
            self.type = type
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.scopes = scopes
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            type = try c.decode(String.self, forKey: .type)
            clientID = try c.decodeIfPresent(String.self, forKey: .clientID)
            clientSecret = try c.decodeIfPresent(String.self, forKey: .clientSecret)
            let joined = try c.decodeIfPresent(String.self, forKey: .scopes) ?? ""
            scopes = joined.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }

    /// `GET /integrations`: every integration of the environment (without credentials).
    public func integrations() async throws(Failure) -> [Integration] {
        try await data("GET", "/integrations", permission: "list integrations")
    }

    /// `GET /integrations/{key}?include=credentials`: one integration with its OAuth client.
    public func integration(_ key: String) async throws(Failure) -> Integration {
        try await data("GET", Self.integrationPath(key), query: [("include", "credentials")],
                       permission: "read integrations with their credentials (include=credentials)")
    }

    /// The body of `POST /integrations` and `PATCH /integrations/{key}`.
    public struct IntegrationBody: Sendable, Equatable {
        public var uniqueKey: String?
        public var provider: String?
        public var displayName: String?
        /// `IntegrationCredentials`: `{type, client_id, client_secret, scopes}` for OAuth.
        public var credentials: (type: String, clientID: String, clientSecret: String, scopes: [String])?
        /// With no scopes: send `""`, which clears Nango's (else `scopes` is left out, and Nango
        /// keeps what it has, or the provider's defaults for a new integration). Nango's server
        /// refuses null, which its document allows, and takes `""`, which its document refuses.
        public var clearsScopes = false

        public init(uniqueKey: String? = nil, provider: String? = nil, displayName: String? = nil,
                    credentials: (type: String, clientID: String, clientSecret: String, scopes: [String])? = nil, clearsScopes: Bool = false) {
            self.uniqueKey = uniqueKey
            self.provider = provider
            self.displayName = displayName
            self.credentials = credentials
            self.clearsScopes = clearsScopes
        }

        public static func == (a: Self, b: Self) -> Bool {
            a.json == b.json
        }

        var json: JSONValue {
            var body: [String: JSONValue] = [:]
            if let uniqueKey { body["unique_key"] = .string(uniqueKey) }
            if let provider { body["provider"] = .string(provider) }
            if let displayName { body["display_name"] = .string(displayName) }
            if let credentials {
                var c: [String: JSONValue] = ["type": .string(credentials.type), "client_id": .string(credentials.clientID),
                                              "client_secret": .string(credentials.clientSecret)]
                // A comma-joined string (see `clearsScopes` for none).
                if !credentials.scopes.isEmpty {
                    c["scopes"] = .string(credentials.scopes.joined(separator: ","))
                } else if clearsScopes {
                    c["scopes"] = .string("")
                }
                body["credentials"] = .object(c)
            }
            return .object(body)
        }
    }

    /// `POST /integrations`.
    public func createIntegration(_ body: IntegrationBody) async throws(Failure) {
        let _: Integration = try await data("POST", "/integrations", body: body.json, permission: "create integrations")
    }

    /// `PATCH /integrations/{key}`: only the fields given change.
    public func updateIntegration(_ key: String, _ body: IntegrationBody) async throws(Failure) {
        let _: Integration = try await data("PATCH", Self.integrationPath(key), body: body.json, permission: "edit integrations")
    }

    /// `DELETE /integrations/{key}`.
    public func deleteIntegration(_ key: String) async throws(Failure) {
        _ = try await call("DELETE", Self.integrationPath(key), permission: "delete integrations")
    }

    static func integrationPath(_ key: String) -> String {
        "/integrations/" + (key.addingPercentEncoding(withAllowedCharacters: ToolRequest.unreserved) ?? "")
    }

    // MARK: Providers

    /// A provider of Nango's catalog (`GET /providers/{name}`): what keyway reads of it.
    public struct Provider: Sendable, Equatable, Decodable {
        public var name: String
        public var displayName: String?
        public var authMode: String?
        /// Another provider whose configuration this one takes (providers.yaml's `alias`).
        public var alias: String?
        public var scopeSeparator: String?
        public var defaultScopes: [String]?
        public var docs: String?
        public var categories: [String]?
        public var proxy: Proxy?
        public struct Proxy: Sendable, Equatable, Decodable {
            public var baseURL: String?
            enum CodingKeys: String, CodingKey { case baseURL = "base_url" }
        }
        enum CodingKeys: String, CodingKey {
            case name, displayName = "display_name", authMode = "auth_mode", alias, scopeSeparator = "scope_separator"
            case defaultScopes = "default_scopes", docs, categories, proxy
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            // providers.yaml names a provider by its key, Nango's API in the object.
            name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
            displayName = try c.decodeIfPresent(String.self, forKey: .displayName)
            authMode = try c.decodeIfPresent(String.self, forKey: .authMode)
            alias = try c.decodeIfPresent(String.self, forKey: .alias)
            scopeSeparator = try c.decodeIfPresent(String.self, forKey: .scopeSeparator)
            defaultScopes = try c.decodeIfPresent([String].self, forKey: .defaultScopes)
            docs = try c.decodeIfPresent(String.self, forKey: .docs)
            categories = try c.decodeIfPresent([String].self, forKey: .categories)
            proxy = try c.decodeIfPresent(Proxy.self, forKey: .proxy)
        }
    }

    /// `GET /providers/{name}`; nil when Nango has no such provider (404).
    public func provider(_ name: String) async throws(Failure) -> Provider? {
        let path = "/providers/" + (name.addingPercentEncoding(withAllowedCharacters: ToolRequest.unreserved) ?? "")
        do throws(Failure) {
            return try await data("GET", path, permission: "read providers")
        } catch {
            if error.status == 404 { return nil }
            throw error
        }
    }

    /// The error for a provider Nango does not have, with the nearest of its names.
    public static func unknownProvider(_ name: String, among names: [String]) -> String {
        "Nango has no provider '\(name.forDiagnostic)'" + (EditDistance.closest(to: name, in: names).map { "; did you mean '\($0.forDiagnostic)'?" }
            ?? "; see Nango's providers (GET /providers) for its name")
    }

    /// `GET /providers`: the names of every provider (for did-you-mean).
    public func providerNames() async throws(Failure) -> [String] {
        struct Named: Decodable { var name: String }
        let all: [Named] = try await data("GET", "/providers", permission: "read providers")
        return all.map(\.name)
    }

    // MARK: Connections

    public struct Connection: Sendable, Equatable, Decodable {
        public var connectionID: String
        public var providerConfigKey: String
        public var provider: String
        public var tags: [String: String]
        enum CodingKeys: String, CodingKey { case connectionID = "connection_id", providerConfigKey = "provider_config_key", provider, tags }

        public init(connectionID: String, providerConfigKey: String, provider: String, tags: [String: String]) {
            self.connectionID = connectionID
            self.providerConfigKey = providerConfigKey
            self.provider = provider
            self.tags = tags
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            connectionID = try c.decode(String.self, forKey: .connectionID)
            providerConfigKey = try c.decode(String.self, forKey: .providerConfigKey)
            provider = try c.decode(String.self, forKey: .provider)
            tags = try c.decodeIfPresent([String: String].self, forKey: .tags) ?? [:]
        }
    }

    /// Nango's largest page of `GET /connections`.
    public static let connectionsPageSize = 1000
    /// How many pages keyway reads at most (a Nango that always answers a full page cannot
    /// keep it reading forever).
    public static let maximumConnectionPages = 1000

    /// `GET /connections`, every page (`limit`, `page` from 0) until a short one.
    public func connections() async throws(Failure) -> [Connection] {
        struct Page: Decodable { var connections: [Connection] }
        var all: [Connection] = []
        for page in 0..<Self.maximumConnectionPages {
            let answer: Page = try await decode(
                call("GET", "/connections", query: [("limit", String(Self.connectionsPageSize)), ("page", String(page))], permission: "list connections"),
                "GET /connections")
            all += answer.connections
            if answer.connections.count > Self.connectionsPageSize {
                throw Failure(request: "GET /connections", status: nil, code: nil,
                              message: "Nango answered \(answer.connections.count) connections for a page of \(Self.connectionsPageSize): it does not page as its API documents")
            }
            if answer.connections.count < Self.connectionsPageSize { return all }
        }
        throw Failure(request: "GET /connections", status: nil, code: nil,
                      message: "Nango answered \(Self.maximumConnectionPages) full pages of \(Self.connectionsPageSize) connections; keyway stops there")
    }

    /// `GET /connections/{id}?provider_config_key=…`: the connection with its credentials
    /// (`ConnectionScopes` reads its scopes).
    public func connection(_ id: String, providerConfigKey: String) async throws(Failure) -> JSONValue {
        let value = try await call("GET", NangoClient.connectionPath(id), query: [("provider_config_key", providerConfigKey)],
                                   permission: "read connections with their credentials")
        guard case .object = value else { throw notAsDocumented("GET /connections/\(id)", "a connection object") }
        return value
    }

    /// `POST /connect/sessions/reconnect`: a link for the user to connect the same connection again.
    public func reconnectLink(connectionID: String, integration: String) async throws(Failure) -> String {
        let body = NangoClient.reconnectBody(connectionID: connectionID, integration: integration)
        let session: NangoClient.ConnectSession = try await data("POST", "/connect/sessions/reconnect", body: body,
                                                                 permission: "create connect sessions", expect: 201)
        return session.connectLink ?? session.token
    }

    // MARK: Requests

    /// A `{"data": …}` answer, decoded.
    func data<T: Decodable>(_ method: String, _ path: String, query: [(name: String, value: String)] = [], body: JSONValue? = nil,
                            permission: String, expect: Int = 200) async throws(Failure) -> T {
        let value = try await call(method, path, query: query, body: body, permission: permission, expect: expect)
        let envelope: DataEnvelope<T> = try decode(value, "\(method) \(path)")
        return envelope.data
    }

    func decode<T: Decodable>(_ value: JSONValue, _ request: String) throws(Failure) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: value.jsonData)
        } catch {
            throw notAsDocumented(request, "JSON of the documented shape (\(Self.describe(error)))")
        }
    }

    func notAsDocumented(_ request: String, _ expected: String) -> Failure {
        Failure(request: request, status: nil, code: nil, message: "Nango's answer is not what its API documents: expected \(expected)")
    }

    /// Sends one request; any answer but the expected status with a JSON body is a `Failure`.
    func call(_ method: String, _ path: String, query: [(name: String, value: String)] = [], body: JSONValue? = nil,
              permission: String, expect: Int = 200) async throws(Failure) -> JSONValue {
        let request = "\(method) \(path)"
        let response: HTTPResponse
        do {
            response = try await client.send(method, path, query: query,
                                             headers: body == nil ? [] : [("Content-Type", "application/json")], body: body?.jsonData)
        } catch {
            throw Failure(request: request, status: nil, code: nil, message: "no answer from Nango at \(displayURL) (\(Self.transportText(error)))")
        }
        let json = try? JSONValue(json: response.body)
        let code: String? = if case .string(let c)? = json?["error"]?["code"] { c } else { nil }
        var message: String? = if case .string(let m)? = json?["error"]?["message"] { redact(m) } else { nil }
        // A refused body: each of the first problems Nango lists, at its path.
        if case .array(let errors)? = json?["error"]?["errors"], !errors.isEmpty {
            let listed = errors.prefix(3).compactMap { e -> String? in
                guard case .string(let text)? = e["message"] else { return nil }
                let path: [String] = if case .array(let p)? = e["path"] { p.compactMap { $0.parameterText } } else { [] }
                return (path.isEmpty ? "" : path.joined(separator: ".") + ": ") + redact(text)
            }
            if !listed.isEmpty { message = (message.map { $0 + "; " } ?? "") + listed.joined(separator: "; ") }
        }
        func said() -> String {
            if let code { return " (\(code.forDiagnostic)\(message.map { ": " + $0.escapingControls.prefix(300) } ?? ""))" }
            if json == nil, !response.body.isEmpty { return " (a body that is not JSON\(response.header("Content-Type").map { ", " + $0.forDiagnostic } ?? ""))" }
            return ""
        }
        switch response.status {
        // The expected status, or any success when a plain 200 is expected.
        case let status where status == expect || (expect == 200 && 200..<300 ~= status):
            guard let json else {
                throw notAsDocumented(request, "a JSON body, got \(response.body.isEmpty ? "none" : response.header("Content-Type").map { "one of type " + $0.forDiagnostic } ?? "one that is not JSON")")
            }
            return json
        case 401:
            throw Failure(request: request, status: 401, code: code,
                          message: "Nango refused the secret key (401\(said())); set NANGO_SECRET_KEY to the secret key of this Nango environment")
        case 403:
            throw Failure(request: request, status: 403, code: code,
                          message: "the secret key is not allowed to \(permission) (403\(said())); use a key with that permission")
        case 300..<400:
            throw Failure(request: request, status: response.status, code: code,
                          message: "Nango answered a redirect (\(response.status)) to \(response.header("Location")?.forDiagnostic ?? "nowhere"); keyway does not follow it (it would send the secret key there): set --nango-url to the API's own address")
        default:
            throw Failure(request: request, status: response.status, code: code, message: "Nango answered \(response.status)\(said())")
        }
    }

    static func transportText(_ error: ToolFailure) -> String {
        if case .transport(let text) = error { return text.forDiagnostic }
        return "\(error)".forDiagnostic
    }

    static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?: return "no '\(key.stringValue.forDiagnostic)' at \(path(context))"
        case .typeMismatch(let type, let context)?, .valueNotFound(let type, let context)?: return "\(path(context)) is not a \(type)"
        case .dataCorrupted(let context)?: return "\(path(context)) is not valid"
        default: return "\(error)".forDiagnostic
        }
    }

    static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.isEmpty ? "the top level" : ToolExecutor.path(context.codingPath).forDiagnostic
    }
}

/// Nango's `{"data": …}` answer.
struct DataEnvelope<T: Decodable>: Decodable { var data: T }
