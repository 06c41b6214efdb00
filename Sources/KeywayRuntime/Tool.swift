import Foundation
import KeywayContract

// The contract types the generated Swift and hand-written tools name through this module
// (`KeywayRuntime.HTTPMethod`): they are KeywayContract's, the module the generator reads
// too, so that one declaration serves both.
public typealias JSONValue = KeywayContract.JSONValue
public typealias HTTPMethod = KeywayContract.HTTPMethod
public typealias InputPlacement = KeywayContract.InputPlacement
public typealias QueryArrayStyle = KeywayContract.QueryArrayStyle
public typealias BodyEncoding = KeywayContract.BodyEncoding
public typealias InputContract = KeywayContract.InputContract
public typealias OutputContract = KeywayContract.OutputContract
public typealias OutputMismatch = KeywayContract.OutputMismatch
public typealias InputField = KeywayContract.InputField
public typealias NamedSchema = KeywayContract.NamedSchema
public typealias ValueSchema = KeywayContract.ValueSchema
public typealias ValueType = KeywayContract.ValueType
public typealias StringFormat = KeywayContract.StringFormat
public typealias LiteralValue = KeywayContract.LiteralValue
public typealias Constraint = KeywayContract.Constraint
public typealias CallLogPolicy = KeywayContract.CallLogPolicy

/// The input of a tool: a model's JSON arguments, decoded once `AgentTool.inputContract`
/// has checked them.
public protocol ToolInput: Codable, Sendable {}

/// What a tool answers with, decoded from the provider's JSON once it has passed
/// `AgentTool.outputContract`: the generated `Output` of a tool that declares `output:`,
/// else the JSON itself (`JSONValue`).
public protocol ToolOutput: Codable, Sendable {}

extension JSONValue: ToolOutput {}

/// An agent tool generated from a connector manifest: what a model sees (name,
/// description, JSON Schema) and what the request needs (endpoint, method, scopes).
public protocol AgentTool: Sendable {
    associatedtype Input: ToolInput
    /// The answer, typed when the manifest declares `output:` (else `JSONValue`).
    associatedtype Output: ToolOutput = JSONValue
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
    /// What `Input` may hold and where each field goes: checked before `Input` is decoded.
    static var inputContract: InputContract { get }
    /// A JSON Schema (draft 2020-12) object describing `Input`: `inputContract`'s.
    static var inputSchema: JSONValue { get }
    /// What the answer holds (`output:`), checked before `Output` is decoded; nil when the
    /// manifest declares no output.
    static var outputContract: OutputContract? { get }
    /// What a call log keeps of its calls beyond the outcome (`log:`): `.none` unless the
    /// manifest opts in.
    static var callLog: CallLogPolicy { get }
    /// The provider request for an input.
    static func makeRequest(_ input: Input) throws(ToolFailure) -> ToolRequest
}

extension AgentTool {
    /// `gmail` of `gmail_send_email`: slugs have no `_` (`^[a-z0-9][a-z0-9-]*$`), so the
    /// model-facing name's first part is the connector.
    public static var connector: String { String(qualifiedName.prefix { $0 != "_" }) }

    public static var inputSchema: JSONValue { inputContract.jsonSchema }

    public static var outputContract: OutputContract? { nil }

    public static var callLog: CallLogPolicy { .none }

    /// The JSON Schema of the answer (MCP's `outputSchema`): `outputContract`'s.
    public static var outputSchema: JSONValue? { outputContract?.jsonSchema }

    /// Checks an input built in Swift against the contract, as a model's arguments are
    /// checked: formats, constraints, allowed values.
    public static func check(_ input: Input) throws(ToolFailure) {
        let encoded: Data
        do {
            encoded = try JSONEncoder().encode(input)
        } catch {
            throw .invalidInput(field: "", reason: "cannot be encoded: \(error)")
        }
        do {
            _ = try inputContract.check(encoded)
        } catch {
            throw ToolFailure(error)
        }
    }
}

/// A tool whose request keyway derives: each input to the path, the query, a header or
/// the body, as its `inputContract` says.
public protocol StandardRequestTool: AgentTool {
    /// How the body is written: JSON, or a form (`encoding: form`).
    static var bodyEncoding: BodyEncoding { get }
}

extension StandardRequestTool {
    public static var bodyEncoding: BodyEncoding { .json }

    public static func makeRequest(_ input: Input) throws(ToolFailure) -> ToolRequest {
        let encoded: JSONValue
        do {
            encoded = try JSONValue(json: JSONEncoder().encode(input))
        } catch {
            throw .invalidInput(field: "", reason: "cannot be encoded: \(error)")
        }
        return try ToolRequest.standard(method: method, endpoint: endpoint, input: encoded, contract: inputContract, encoding: bodyEncoding)
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

    /// Characters left as they are in a path segment (RFC 3986 unreserved).
    package static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// The request keyway derives from a JSON input: each field to the path, the query, a
    /// header or the body, as `locations` says (a field without one goes to the query of a
    /// GET or DELETE, else to the body), under its wire name. Custom tools can start here.
    public static func standard(method: HTTPMethod, endpoint: String, input: JSONValue, locations: [String: InputPlacement], wireNames: [String: String] = [:],
                         encoding: BodyEncoding = .json, arrayStyles: [String: QueryArrayStyle] = [:]) throws(ToolFailure) -> ToolRequest {
        guard case .object(let fields) = input else { throw .invalidInput(field: "", reason: "must be a JSON object") }
        var request = ToolRequest(method: method, path: endpoint)
        var body: [String: JSONValue] = [:]
        for name in fields.keys.sorted() {
            let value = fields[name]!
            if value == .null { continue }
            switch locations[name] ?? method.defaultInputPlacement {
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
                // RFC 9110 field values hold no control character but a tab: a line break would
                // split the header, a NUL is dropped by the HTTP stack, silently.
                guard let text = value.parameterText,
                      !text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }) else {
                    throw .invalidInput(field: name, reason: "must be a single line of text without control characters")
                }
                request.headers.append((wireNames[name] ?? name, text))
            case .body:
                body[wireNames[name] ?? name] = value
            }
        }
        if !body.isEmpty || (method.carriesBody && locations.values.contains(.body)) {
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

    /// The request of an input checked against `contract`: each field where the contract
    /// places it, under its wire name, arrays in the query in its style.
    public static func standard(method: HTTPMethod, endpoint: String, input: JSONValue, contract: InputContract, encoding: BodyEncoding = .json) throws(ToolFailure) -> ToolRequest {
        var locations: [String: InputPlacement] = [:], wireNames: [String: String] = [:], arrayStyles: [String: QueryArrayStyle] = [:]
        for field in contract.fields {
            locations[field.name] = field.placement
            if let wire = field.wire { wireNames[field.name] = wire }
            if let style = field.style { arrayStyles[field.name] = style }
        }
        return try standard(method: method, endpoint: endpoint, input: input, locations: locations, wireNames: wireNames, encoding: encoding, arrayStyles: arrayStyles)
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
    /// The provider refused the call because the connection was not granted a scope it
    /// needs (its insufficient-scope answer: `detail` names what it said); the user must
    /// connect again and grant it.
    case insufficientScope(providerConfigKey: String, status: Int, detail: String)
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
    /// The provider's answer does not have the shape the tool's `output:` declares;
    /// `field` names the first place that differs.
    case unexpectedResponse(field: String, reason: String)

    public var description: String {
        switch self {
        case .notConnected(let key): "no \(key) connection for this user: connect it first"
        case .needsReauth(let key, let reason): "the \(key) connection needs to be re-authorised: \(reason)"
        case .insufficientScope(let key, let status, let detail): "the \(key) connection lacks a scope this call needs (the provider answered \(status), \(detail)): connect again and grant it"
        case .rateLimited(let after): "rate limited" + (after.map { "; retry after \($0) s" } ?? "")
        case .invalidInput(let field, let reason): "invalid input \(field.isEmpty ? "" : "'\(field)' ")\(reason)"
        case .upstream(let status, let body): "the provider answered \(status): \(body.prefix(500))"
        case .unknownTool(let name): "no tool named '\(name)'"
        case .transport(let message): "the request failed: \(message)"
        case .cancelled: "the call was cancelled"
        case .unexpectedResponse(let field, let reason): "the provider's answer does not match the tool's output: \(field.isEmpty ? "the answer" : "'\(field)'") \(reason)"
        }
    }
}

extension ToolFailure {
    /// The failure's kind as call logs and MCP results name it (`not_connected`,
    /// `upstream_error`…).
    public var kind: String {
        switch self {
        case .notConnected: "not_connected"
        case .needsReauth: "needs_reauth"
        case .insufficientScope: "insufficient_scope"
        case .rateLimited: "rate_limited"
        case .invalidInput: "invalid_input"
        case .upstream: "upstream_error"
        case .unknownTool: "unknown_tool"
        case .transport: "transport_error"
        case .cancelled: "cancelled"
        case .unexpectedResponse: "unexpected_response"
        }
    }

    /// Arguments that break an input's contract.
    public init(_ violation: InputViolation) {
        self = .invalidInput(field: violation.field, reason: violation.reason)
    }

    /// An answer that breaks the output's contract.
    public init(_ mismatch: OutputMismatch) {
        self = .unexpectedResponse(field: mismatch.field, reason: mismatch.reason)
    }
}

/// What a tool call returns: the provider's JSON response, or a typed failure.
public enum ToolResult: Sendable, Equatable {
    case success(JSONValue)
    case failure(ToolFailure)
}

