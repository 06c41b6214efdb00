import Foundation

/// A tool known at run time instead of compiled: what `keyway mcp` builds from the
/// manifests, which it cannot compile. It runs through `ToolExecutor` exactly as a
/// generated `StandardRequestTool` does (defaults, checks, connection, request, retries);
/// only its input is JSON checked by `checkInput` rather than a `Codable` struct.
/// A tool whose request is built by hand (`request: custom`) cannot be described.
public struct DescribedTool: Sendable {
    /// The name a model calls it by: `<connector slug>_<tool name>`.
    public var qualifiedName: String
    public var description: String
    public var method: HTTPMethod
    /// The provider's path, with `{name}` placeholders.
    public var endpoint: String
    public var scopes: [String]
    public var providerConfigKey: String
    public var connector: String
    /// The JSON Schema (draft 2020-12) a model reads.
    public var inputSchema: JSONValue
    public var inputLocations: [String: InputLocation]
    public var inputWireNames: [String: String]
    public var bodyEncoding: ToolRequest.BodyEncoding
    public var queryArrayStyles: [String: ToolRequest.ArrayStyle]
    /// Decodes and checks the arguments (defaults already applied), as a generated
    /// `Input`'s decoding and `validate()` do, failing with `.invalidInput` at the same
    /// field for the same reason; returns the input as a compiled tool would encode it
    /// (declared properties only, absent optionals left out).
    public var checkInput: @Sendable (Data) throws(ToolFailure) -> JSONValue

    public init(qualifiedName: String, description: String, method: HTTPMethod, endpoint: String, scopes: [String], providerConfigKey: String, connector: String,
                inputSchema: JSONValue, inputLocations: [String: InputLocation], inputWireNames: [String: String] = [:], bodyEncoding: ToolRequest.BodyEncoding = .json,
                queryArrayStyles: [String: ToolRequest.ArrayStyle] = [:], checkInput: @escaping @Sendable (Data) throws(ToolFailure) -> JSONValue) {
        self.qualifiedName = qualifiedName
        self.description = description
        self.method = method
        self.endpoint = endpoint
        self.scopes = scopes
        self.providerConfigKey = providerConfigKey
        self.connector = connector
        self.inputSchema = inputSchema
        self.inputLocations = inputLocations
        self.inputWireNames = inputWireNames
        self.bodyEncoding = bodyEncoding
        self.queryArrayStyles = queryArrayStyles
        self.checkInput = checkInput
    }

    /// The provider request for a checked input: `ToolRequest.standard`, as a generated
    /// `StandardRequestTool` builds it.
    public func makeRequest(_ input: JSONValue) throws(ToolFailure) -> ToolRequest {
        try ToolRequest.standard(method: method, endpoint: endpoint, input: input, locations: inputLocations, wireNames: inputWireNames,
                                 encoding: bodyEncoding, arrayStyles: queryArrayStyles)
    }
}

extension ToolExecutor {
    /// The first number in the arguments that an `integer` property of the schema cannot
    /// hold (a fraction, or beyond 64 bits), as a decoding path (`items[0].quantity`).
    /// Foundation's decoder refuses such a number without saying where; this names it.
    public static func nonIntegerField(in arguments: JSONValue, schema: JSONValue) -> String? {
        func walk(_ value: JSONValue, _ schema: JSONValue, _ path: String) -> String? {
            switch (value, schema["type"]) {
            case (.number(let d), .string("integer")?):
                return Int(exactly: d) == nil ? path : nil
            case (.array(let items), .string("array")?):
                guard let itemSchema = schema["items"] else { return nil }
                for (i, item) in items.enumerated() { if let found = walk(item, itemSchema, path + "[\(i)]") { return found } }
                return nil
            case (.object(let fields), .string("object")?):
                let properties: [String: JSONValue] = if case .object(let p)? = schema["properties"] { p } else { [:] }
                let values = schema["additionalProperties"].flatMap { if case .object = $0 { $0 } else { nil } }
                for name in fields.keys.sorted() {
                    guard let propertySchema = properties[name] ?? values else { continue }
                    if let found = walk(fields[name]!, propertySchema, path.isEmpty ? name : path + "." + name) { return found }
                }
                return nil
            default:
                return nil
            }
        }
        return walk(arguments, schema, "")
    }
}
