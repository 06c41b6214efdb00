import KeywayContract
import KeywayModel
import KeywayRuntime

/// Tools built at run time from validated manifests, for a process that cannot compile
/// the generated Swift (`keyway mcp`): each standard tool becomes a `DescribedTool` with
/// the tool's own `InputContract`, the value the generated Swift carries as a literal, so
/// both check, fill in and send the same way.
public enum ManifestTools {
    public struct Described: Sendable {
        /// Every tool with `request: standard`, sorted by name.
        public var tools: [DescribedTool]
        /// Tools with `request: custom` (sorted by name): their request is built by
        /// hand-written Swift, which only a compiled registry has.
        public var custom: [String]
    }

    public static func describe(_ catalog: Catalog) -> Described {
        var tools: [DescribedTool] = []
        var custom: [String] = []
        for connector in catalog.connectors {
            for tool in connector.tools {
                let name = connector.modelName(of: tool)
                if tool.request == .custom {
                    custom.append(name)
                    continue
                }
                tools.append(DescribedTool(
                    qualifiedName: name, description: tool.description, method: tool.method, endpoint: tool.endpoint, scopes: tool.scopes,
                    providerConfigKey: connector.providerKey, connector: connector.slug, inputContract: tool.inputContract, outputContract: tool.output,
                    bodyEncoding: tool.encoding, callLog: tool.callLog))
            }
        }
        return Described(tools: tools.sorted { $0.qualifiedName < $1.qualifiedName }, custom: custom.sorted())
    }
}
