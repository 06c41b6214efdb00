import KeywayContract
import KeywayModel

extension Catalog {
    /// A catalog with one of everything (an integration with a scope, a connector with
    /// a tool with an input and an output). Views built from it have every list non-empty, so the
    /// names a template may use can be read off them (`TemplateNames`).
    static let prototype: Catalog = {
        let here = SourceLocation(file: "<prototype>", line: 1, column: 1)
        let integration = Integration(
            key: "k", provider: "p", name: "n", category: "c", description: "d",
            auth: Auth(mode: .oauth2, console: "https://example.com", enableAPIs: ["a"],
                       scopes: [ScopeGrant(scope: "s", reason: "r", location: here)],
                       redirectURIs: [NamedValue(name: "production", value: "https://example.com")],
                       secrets: [NamedValue(name: "client_id", value: "C")]),
            location: here)
        let tool = Tool(name: "t", description: "d", method: .GET, endpoint: "/", scopes: ["s"], request: .standard,
                        inputs: [InputField("i", .string(), in: .query)], output: [NamedSchema("o", .string())], callLog: CallLogPolicy(arguments: true, response: true), location: here)
        let connector = Connector(slug: "k", name: "n", description: "d", providerKey: "k", multipleConnections: true, tools: [tool], location: here)
        let scopes = ProviderScopes(provider: "p", providers: [], scopes: [ScopeInfo(scope: "s", level: .read, description: "d")], location: here)
        return Catalog(integrations: [integration], connectors: [connector], providerScopes: [scopes])
    }()
}
