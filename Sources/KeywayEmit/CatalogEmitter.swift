import KeywayModel

/// The integration catalog: `Swift/IntegrationCatalog.swift` (an enum of integrations,
/// compiled by the package) and `catalog.json` (the same, for non-Swift readers).
/// It replaces the hand-kept list of available integrations.
public struct CatalogEmitter: Emitter {
    public static let swiftTemplate = "IntegrationCatalog.swift.mustache"
    public static let jsonTemplate = "catalog.json.mustache"

    public init() {}

    public func emit(_ catalog: Catalog, templates: TemplateSet) throws(DiagnosticsError) -> [GeneratedFile] {
        try emit(CatalogAnalysis(catalog), templates: templates)
    }

    func emit(_ analysis: CatalogAnalysis, templates: TemplateSet) throws(DiagnosticsError) -> [GeneratedFile] {
        let catalog = analysis.catalog, index = analysis.index
        let prototype = View(.prototype, style: .swift)
        let swift = try templates.renderer(Self.swiftTemplate, prototype: prototype)
        let json = try templates.renderer(Self.jsonTemplate, prototype: prototype)
        // Two large files: one a core.
        return Parallel.map([(Self.swiftPath, swift, Literal.Style.swift, Artifact.swift), ("catalog.json", json, .json, .catalog)], threshold: 2) { path, renderer, style, artifact in
            GeneratedFile(path: path, contents: renderer.render(View(catalog, index: index, style: style)), artifact: artifact)
        }
    }

    static let swiftPath = "IntegrationCatalog.swift"

    /// What both templates see. Strings and lists arrive already written as literals of
    /// the target language (`style`), so a template cannot forget to escape one.
    struct View: Encodable {
        struct IntegrationEntry: Encodable {
            var caseName: String
            var key: String
            var provider: String
            var name: String
            var category: String
            var description: String
            /// The auth mode as a literal (`"oauth2"`) and as a Swift case (`.oauth2`).
            var authMode: String
            var authModeCase: String
            var scopes: [Scope]
            var connectors: [Connector]
        }
        struct Scope: Encodable { var scope: String; var reason: String }
        struct Connector: Encodable {
            var slug: String
            var name: String
            var multipleConnections: Bool
            var tools: [Tool]
        }
        struct Tool: Encodable {
            var name: String
            var description: String
            var method: String
            var endpoint: String
            /// The list literal of the tool's scopes.
            var scopes: String
        }
        struct AuthModeCase: Encodable { var caseName: String; var rawValue: String }
        /// keyway's header line: constant text, safe in any of the target languages.
        var marker: String
        var integrations: [IntegrationEntry]
        var authModes: [AuthModeCase]

        init(_ catalog: Catalog, style: Literal.Style) {
            self.init(catalog, index: CatalogIndex(catalog), style: style)
        }

        init(_ catalog: Catalog, index: CatalogIndex, style: Literal.Style) {
            let s = style.string
            marker = GeneratedFile.marker + " from the manifests; do not edit, run `keyway generate`"
            authModes = AuthMode.allCases.map { AuthModeCase(caseName: Self.swiftCase($0), rawValue: s($0.rawValue)) }
            integrations = catalog.integrations.map { i in
                IntegrationEntry(
                    caseName: SwiftIdentifier.escaped(Self.caseName(i.key)), key: s(i.key), provider: s(i.provider), name: s(i.name),
                    category: s(i.category), description: s(i.description),
                    authMode: s(i.auth.mode.rawValue), authModeCase: "." + Self.swiftCase(i.auth.mode),
                    scopes: i.auth.scopes.map { Scope(scope: s($0.scope), reason: s($0.reason)) },
                    connectors: index.connectors(of: i).map { c in
                        Connector(slug: s(c.slug), name: s(c.name), multipleConnections: c.multipleConnections, tools: c.tools.map { t in
                            Tool(name: s(t.name), description: s(t.description), method: s(t.method.rawValue),
                                 endpoint: s(t.endpoint), scopes: style.stringList(t.scopes))
                        })
                    })
            }
        }

        static func swiftCase(_ mode: AuthMode) -> String { SwiftIdentifier.escaped(SwiftIdentifier.lowerCamel(mode.rawValue)) }

        /// Case names that would clash with the enum's own members get a trailing underscore.
        static func caseName(_ key: String) -> String {
            let id = SwiftIdentifier.lowerCamel(key)
            return memberNames.contains(id) ? id + "_" : id
        }

        /// Members of the catalog's enum that a case must not take.
        private static let memberNames: Set<String> = ["info", "init", "self", "rawValue", "allCases", "hashValue", "Type", "Protocol"]
    }
}
