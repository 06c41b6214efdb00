import Foundation
import KeywayContract

/// A tool known at run time instead of compiled: what `keyway mcp` builds from the
/// manifests, which it cannot compile. It runs through `ToolExecutor` exactly as a
/// generated `StandardRequestTool` does (defaults, checks, connection, request, retries),
/// from the same `InputContract`; only its input stays JSON instead of a `Codable` struct.
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
    public var inputContract: InputContract
    /// `output:`, when the manifest declares one.
    public var outputContract: OutputContract?
    public var bodyEncoding: BodyEncoding
    /// `log:`: what a call log keeps of its calls.
    public var callLog: CallLogPolicy

    public init(qualifiedName: String, description: String, method: HTTPMethod, endpoint: String, scopes: [String], providerConfigKey: String, connector: String,
                inputContract: InputContract, outputContract: OutputContract? = nil, bodyEncoding: BodyEncoding = .json, callLog: CallLogPolicy = .none) {
        self.callLog = callLog
        self.outputContract = outputContract
        self.qualifiedName = qualifiedName
        self.description = description
        self.method = method
        self.endpoint = endpoint
        self.scopes = scopes
        self.providerConfigKey = providerConfigKey
        self.connector = connector
        self.inputContract = inputContract
        self.bodyEncoding = bodyEncoding
    }

    /// The JSON Schema (draft 2020-12) a model reads: `inputContract`'s.
    public var inputSchema: JSONValue { inputContract.jsonSchema }

    /// The JSON Schema of the answer: `outputContract`'s.
    public var outputSchema: JSONValue? { outputContract?.jsonSchema }

    /// The provider request for a checked input: `ToolRequest.standard`, as a generated
    /// `StandardRequestTool` builds it.
    public func makeRequest(_ input: JSONValue) throws(ToolFailure) -> ToolRequest {
        try ToolRequest.standard(method: method, endpoint: endpoint, input: input, contract: inputContract, encoding: bodyEncoding)
    }
}
