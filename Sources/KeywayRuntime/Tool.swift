import Foundation

/// Where an input goes in the provider's request.
public enum InputLocation: String, Sendable {
    case path, query, body, header
}

public enum HTTPMethod: String, Sendable {
    case GET, POST, PUT, PATCH, DELETE

    /// Safe to send twice: only these are retried.
    public var isIdempotent: Bool { self == .GET || self == .PUT || self == .DELETE }
}

/// The input of a tool: decoded from a model's JSON arguments, then validated.
public protocol ToolInput: Codable, Sendable {
    /// Checks what the type system cannot (formats, allowed values).
    func validate() throws(ToolFailure)
}

/// An agent tool generated from a connector manifest: what a model sees (name,
/// description, JSON Schema) and what the request needs (endpoint, method, scopes).
public protocol AgentTool: Sendable {
    associatedtype Input: ToolInput
    /// The name a model calls it by: `<connector slug>_<tool name>`, unique.
    static var qualifiedName: String { get }
    /// The tool's own name in its manifest.
    static var name: String { get }
    static var description: String { get }
    static var method: HTTPMethod { get }
    /// The provider's path, with `{name}` placeholders.
    static var endpoint: String { get }
    /// The OAuth scopes the connection must have granted.
    static var scopes: [String] { get }
    /// The Nango provider config key of its integration.
    static var providerConfigKey: String { get }
    /// The slug of its connector (a user's connections are per connector).
    static var connector: String { get }
    /// A JSON Schema (draft 2020-12) object describing `Input`.
    static var inputSchema: JSONValue { get }
    /// The provider request for an input.
    static func makeRequest(_ input: Input) throws(ToolFailure) -> ToolRequest
}

extension AgentTool {
    /// `gmail` of `gmail_send_email`: slugs have no `_` (`^[a-z0-9][a-z0-9-]*$`), so the
    /// model-facing name's first part is the connector.
    public static var connector: String { String(qualifiedName.prefix { $0 != "_" }) }
}

/// A tool whose request keyway derives: each input to the path, the query, a header or
/// the JSON body, as `inputLocations` says (keyed by JSON name).
public protocol StandardRequestTool: AgentTool {
    static var inputLocations: [String: InputLocation] { get }
    /// The name each input has on the wire when it is not its own (`expand[]`,
    /// `Notion-Version`), keyed by input name.
    static var inputWireNames: [String: String] { get }
    /// How the body is written: JSON, or a form (`encoding: form`).
    static var bodyEncoding: ToolRequest.BodyEncoding { get }
    /// Array inputs in the query sent comma-joined, keyed by input name (the others are
    /// sent repeated).
    static var queryArrayStyles: [String: ToolRequest.ArrayStyle] { get }
}

extension StandardRequestTool {
    public static var inputWireNames: [String: String] { [:] }
    public static var bodyEncoding: ToolRequest.BodyEncoding { .json }
    public static var queryArrayStyles: [String: ToolRequest.ArrayStyle] { [:] }
}

extension StandardRequestTool {
    public static func makeRequest(_ input: Input) throws(ToolFailure) -> ToolRequest {
        let encoded: JSONValue
        do {
            encoded = try JSONValue(json: JSONEncoder().encode(input))
        } catch {
            throw .invalidInput(field: "", reason: "cannot be encoded: \(error)")
        }
        return try ToolRequest.standard(method: method, endpoint: endpoint, input: encoded, locations: inputLocations, wireNames: inputWireNames,
                                        encoding: bodyEncoding, arrayStyles: queryArrayStyles)
    }
}

/// A request to the provider's API, before Nango's proxy is in front of it.
public struct ToolRequest: Sendable, Equatable {
    public var method: HTTPMethod
    /// The provider path, placeholders filled and percent-encoded.
    public var path: String
    public var query: [(name: String, value: String)]
    public var headers: [(name: String, value: String)]
    public var body: Data?

    public init(method: HTTPMethod, path: String, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)] = [], body: Data? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    public static func == (a: ToolRequest, b: ToolRequest) -> Bool {
        a.method == b.method && a.path == b.path && a.body == b.body
            && a.query.map { [$0.name, $0.value] } == b.query.map { [$0.name, $0.value] }
            && a.headers.map { [$0.name, $0.value] } == b.headers.map { [$0.name, $0.value] }
    }

    /// How a body is written.
    public enum BodyEncoding: String, Sendable {
        /// `application/json`.
        case json
        /// `application/x-www-form-urlencoded`: nested objects as `a[b]=…`, arrays of
        /// scalars as `a[]=…`, arrays of objects as `a[0][b]=…`.
        case form
    }

    /// How an array goes in the query.
    public enum ArrayStyle: String, Sendable {
        /// `k=a&k=b`.
        case repeated
        /// `k=a,b`.
        case comma
    }

    /// Characters left as they are in a path segment (RFC 3986 unreserved).
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// The request keyway derives from a JSON input: each field to the path, the query, a
    /// header or the body, as `locations` says (a field without one goes to the query of a
    /// GET or DELETE, else to the body), under its wire name. Custom tools can start here.
    public static func standard(method: HTTPMethod, endpoint: String, input: JSONValue, locations: [String: InputLocation], wireNames: [String: String] = [:],
                         encoding: BodyEncoding = .json, arrayStyles: [String: ArrayStyle] = [:]) throws(ToolFailure) -> ToolRequest {
        guard case .object(let fields) = input else { throw .invalidInput(field: "", reason: "must be a JSON object") }
        var request = ToolRequest(method: method, path: endpoint)
        var body: [String: JSONValue] = [:]
        for name in fields.keys.sorted() {
            let value = fields[name]!
            if value == .null { continue }
            switch locations[name] ?? (method == .GET || method == .DELETE ? .query : .body) {
            case .path:
                guard let text = value.parameterText, !text.isEmpty else { throw .invalidInput(field: name, reason: "must be a non-empty string or number") }
                // A whole segment: '/', '?', '#' and '..' cannot change the path.
                var segment = text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
                if segment == "." || segment == ".." { segment = segment.replacingOccurrences(of: ".", with: "%2E") }
                request.path = request.path.replacingOccurrences(of: "{\(name)}", with: segment)
            case .query:
                if case .array(let items) = value {
                    var texts: [String] = []
                    for item in items {
                        guard let text = item.parameterText else { throw .invalidInput(field: name, reason: "must be a list of strings, numbers or booleans") }
                        texts.append(text)
                    }
                    if arrayStyles[name] == .comma {
                        // The provider splits at commas: an item holding one would become two.
                        if texts.contains(where: { $0.contains(",") }) { throw .invalidInput(field: name + "[]", reason: "must not contain ',' (the list is sent comma-joined)") }
                        if !texts.isEmpty { request.query.append((wireNames[name] ?? name, texts.joined(separator: ","))) }
                    } else {
                        request.query += texts.map { (wireNames[name] ?? name, $0) }
                    }
                    continue
                }
                guard let text = value.parameterText else { throw .invalidInput(field: name, reason: "must be a string, number or boolean") }
                request.query.append((wireNames[name] ?? name, text))
            case .header:
                guard let text = value.parameterText, !text.contains("\r"), !text.contains("\n") else {
                    throw .invalidInput(field: name, reason: "must be a single-line string")
                }
                request.headers.append((wireNames[name] ?? name, text))
            case .body:
                body[wireNames[name] ?? name] = value
            }
        }
        if !body.isEmpty || (method != .GET && method != .DELETE && locations.values.contains(.body)) {
            switch encoding {
            case .json:
                request.body = JSONValue.object(body).jsonData
                request.headers.append(("Content-Type", "application/json"))
            case .form:
                request.body = Data(formBody(body).utf8)
                request.headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            }
        }
        return request
    }

    /// Characters a form value or key keeps as they are (the WHATWG
    /// `application/x-www-form-urlencoded` serializer: alphanumerics and `*-._`; a space
    /// becomes `+`, everything else is percent-encoded as UTF-8).
    static let formSafe = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._")

    static func formEscape(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80, formSafe.contains(scalar) { out.unicodeScalars.append(scalar) }
            else if byte == 0x20 { out += "+" }
            else { out += String(format: "%%%02X", byte) }
        }
        return out
    }

    /// A form body: keys in sorted order (as the JSON body), nulls and empty lists or
    /// objects left out.
    static func formBody(_ fields: [String: JSONValue]) -> String {
        var pairs: [(String, String)] = []
        func add(_ key: String, _ value: JSONValue) {
            switch value {
            case .null: break
            case .object(let o):
                for k in o.keys.sorted() { add(key + "[" + k + "]", o[k]!) }
            case .array(let items):
                let scalars = items.allSatisfy { $0.parameterText != nil || $0 == .null }
                for (i, item) in items.enumerated() { add(key + (scalars ? "[]" : "[\(i)]"), item) }
            default:
                pairs.append((key, value.parameterText ?? ""))
            }
        }
        for k in fields.keys.sorted() { add(k, fields[k]!) }
        return pairs.map { formEscape($0.0) + "=" + formEscape($0.1) }.joined(separator: "&")
    }
}

/// Why a tool call did not succeed, in terms an agent (or its developer) can act on.
public enum ToolFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The tenant has no connection for the integration: ask them to connect it.
    case notConnected(providerConfigKey: String)
    /// The connection must be re-authorised: expired, revoked, or missing a scope.
    case needsReauth(providerConfigKey: String, reason: String)
    /// The provider (or Nango) asked to slow down; retry after the delay if given.
    case rateLimited(retryAfter: Double?)
    /// The arguments do not fit the tool's input schema; `field` names the input.
    case invalidInput(field: String, reason: String)
    /// The provider answered with an error.
    case upstream(status: Int, body: String)
    /// No tool of that name.
    case unknownTool(String)
    /// The request never got an answer.
    case transport(String)
    /// The call's task was cancelled before it finished (no further attempt is made).
    case cancelled

    public var description: String {
        switch self {
        case .notConnected(let key): "no \(key) connection for this user: connect it first"
        case .needsReauth(let key, let reason): "the \(key) connection needs to be re-authorised: \(reason)"
        case .rateLimited(let after): "rate limited" + (after.map { "; retry after \($0) s" } ?? "")
        case .invalidInput(let field, let reason): "invalid input \(field.isEmpty ? "" : "'\(field)' ")\(reason)"
        case .upstream(let status, let body): "the provider answered \(status): \(body.prefix(500))"
        case .unknownTool(let name): "no tool named '\(name)'"
        case .transport(let message): "the request failed: \(message)"
        case .cancelled: "the call was cancelled"
        }
    }
}

/// What a tool call returns: the provider's JSON response, or a typed failure.
public enum ToolResult: Sendable, Equatable {
    case success(JSONValue)
    case failure(ToolFailure)
}

