import KeywayLoad
import KeywayModel

public struct ValidationResult: Sendable {
    /// The model, when the manifests have no errors (warnings allowed).
    public var catalog: Catalog?
    public var diagnostics: [Diagnostic]
}

/// Stage 2: reads every parsed manifest by its schema, then checks what spans files
/// (unique keys, references, scopes, Swift names). All problems of a run are reported.
public struct Validator: Sendable {
    public init() {}

    /// `unreadFiles`: manifest files the loader found but could not read (it reported
    /// why); a reference to one of them is not also reported as missing.
    public func validate(_ documents: [ManifestDocument], unreadFiles: [String] = []) -> ValidationResult {
        let reader = NodeReader()
        var integrations: [Integration] = []
        var connectors: [Connector] = []
        var catalogs: [ScopeCatalog] = []
        // Documents arrive sorted by path; reading in that order makes "first at" stable.
        for doc in documents.sorted(by: { $0.relativePath < $1.relativePath }) {
            switch doc.kind {
            case .integration: reader.integration(doc).map { integrations.append($0) }
            case .connector: reader.connector(doc).map { connectors.append($0) }
            case .scopes: reader.scopeCatalog(doc).map { catalogs.append($0) }
            }
        }
        for doc in documents { scanForSecrets(doc.root, reader) }
        var rules = CrossReferenceRules(reader: reader)
        rules.integrationFiles = Set((documents.filter { $0.kind == .integration }.map(\.relativePath) + unreadFiles)
            .filter { $0.hasPrefix("integrations/") }
            .map { String($0.dropFirst("integrations/".count).prefix { $0 != "." }) })
        integrations = rules.unique(integrations, key: \.key, location: \.location, what: "integration key")
        connectors = rules.unique(connectors, key: \.slug, location: \.location, what: "connector slug")
        catalogs = rules.unique(catalogs, key: \.provider, location: \.location, what: "scope catalog provider")
        rules.check(integrations: integrations, connectors: connectors, catalogs: catalogs)
        let diagnostics = reader.diagnostics.sortedForReport()
        let catalog = diagnostics.hasErrors ? nil : Catalog(integrations: integrations, connectors: connectors, scopeCatalogs: catalogs)
        return ValidationResult(catalog: catalog, diagnostics: diagnostics)
    }

    /// Every scalar of every manifest, keys included, is checked for credential shapes.
    private func scanForSecrets(_ node: YAMLNode, _ reader: NodeReader) {
        var stack = [node]
        var visited = 0
        while let n = stack.popLast(), visited < 1_000_000 {
            visited += 1
            switch n.value {
            case .scalar(let s):
                if !reader.flaggedSecretLocations.contains(n.location), let kind = SecretScanner.looksLikeSecret(s.text) {
                    reader.flaggedSecretLocations.insert(n.location)
                    reader.error(n.location, "this value looks like a credential (\(kind)); manifests name environment variables only — remove it (it is not shown here) and rotate the secret if it was real")
                }
            case .sequence(let items): stack.append(contentsOf: items)
            case .mapping(let pairs):
                for p in pairs {
                    if let kind = SecretScanner.looksLikeSecret(p.key) {
                        reader.error(p.keyLocation, "this key looks like a credential (\(kind)); remove it (it is not shown here) and rotate the secret if it was real")
                    }
                    stack.append(p.value)
                }
            }
        }
    }
}

/// Rules that relate manifests to each other.
struct CrossReferenceRules {
    let reader: NodeReader
    /// Stems of the integration files read, valid or not.
    var integrationFiles: Set<String> = []

    /// Keeps the first of each key and reports the others at their own position.
    func unique<T>(_ items: [T], key: KeyPath<T, String>, location: KeyPath<T, SourceLocation>, what: String) -> [T] {
        var seen: [String: SourceLocation] = [:]
        var kept: [T] = []
        for item in items {
            if let first = seen[item[keyPath: key]] {
                reader.error(item[keyPath: location], "\(what) '\(item[keyPath: key])' is already used by \(first.file):\(first.line); each must be unique")
            } else {
                seen[item[keyPath: key]] = item[keyPath: location]
                kept.append(item)
            }
        }
        return kept
    }

    mutating func check(integrations: [Integration], connectors: [Connector], catalogs: [ScopeCatalog]) {
        let byKey = Dictionary(uniqueKeysWithValues: integrations.map { ($0.key, $0) })
        var used: [String: Set<String>] = [:]
        let keys = integrations.map(\.key)
        for connector in connectors {
            guard let integration = byKey[connector.providerKey] else {
                // An integration file of that name that has errors of its own: those say it all.
                if integrationFiles.contains(connector.providerKey) { continue }
                let suggestion = reader.closest(to: connector.providerKey, in: keys)
                // Its tools probably belong to the suggested integration: no "unused scope" noise.
                if let suggestion { reader.integrationsWithBrokenConnectors.insert(suggestion) }
                let hint = suggestion.map { "; did you mean '\($0)'?" }
                    ?? "; add Manifests/integrations/\(connector.providerKey).yaml or fix the key"
                reader.error(connector.providerKeyLocation, "connector '\(connector.slug)' uses nango.provider_key '\(connector.providerKey)', which names no integration\(hint)")
                continue
            }
            let granted = Set(integration.auth.scopes.map(\.scope))
            let grantsComplete = !reader.integrationsWithBrokenScopes.contains(integration.key)
            for tool in connector.tools where grantsComplete {
                for scope in tool.scopes where !granted.contains(scope) {
                    reader.error(scopeLocation(of: scope, in: tool),
                                 "tool '\(tool.name)' needs scope '\(scope.forDiagnostic)', which integration '\(integration.key)' does not grant; add it to auth.scopes of \(integration.location.file) with a reason, or remove it here")
                }
                used[integration.key, default: []].formUnion(tool.scopes)
            }
        }
        for integration in integrations where !reader.integrationsWithBrokenConnectors.contains(integration.key) {
            for grant in integration.auth.scopes {
                let isUsed = used[integration.key]?.contains(grant.scope) ?? false
                if !isUsed && !grant.withoutTool {
                    reader.warning(grant.location, "scope '\(grant.scope.forDiagnostic)' is granted but no tool uses it; remove it (least privilege), add the tool that needs it, or mark it 'without_tool: true' if the provider requires it")
                } else if isUsed && grant.withoutTool {
                    reader.warning(grant.location, "scope '\(grant.scope.forDiagnostic)' is marked 'without_tool: true' but tools use it; remove the mark")
                }
            }
        }
        checkSwiftNames(integrations: integrations, connectors: connectors)
        checkScopeCatalogs(catalogs, integrations: integrations)
    }

    /// The position of a tool's scope entry: tools keep only their own location, so scan
    /// forward from it (scopes are listed after the tool's name).
    private func scopeLocation(of scope: String, in tool: Tool) -> SourceLocation {
        tool.scopeLocations[scope] ?? tool.location
    }

    /// Generated Swift names come from manifest names; two names that map to one
    /// identifier would not compile, so they are refused here, naming both.
    private func checkSwiftNames(integrations: [Integration], connectors: [Connector]) {
        var cases: [String: Integration] = [:]
        for i in integrations {
            let id = SwiftIdentifier.lowerCamel(i.key)
            if let other = cases[id] {
                reader.error(i.location, "integration '\(i.key)' and '\(other.key)' (\(other.location.file)) both become the Swift name '\(id)'; rename one")
            } else { cases[id] = i }
        }
        // Keyed without case: each type is a file, Swift/Tools/<Type>.swift, and `Ab.swift`
        // and `AB.swift` are one file on macOS and Windows.
        var types: [String: Connector] = [:]
        for c in connectors {
            let id = SwiftIdentifier.upperCamel(c.slug)
            if let other = types[id.lowercased()] {
                let otherID = SwiftIdentifier.upperCamel(other.slug)
                reader.error(c.location, otherID == id
                    ? "connector '\(c.slug)' and '\(other.slug)' (\(other.location.file)) both become the Swift type '\(id)'; rename one"
                    : "connector '\(c.slug)' and '\(other.slug)' (\(other.location.file)) become the Swift types '\(id)' and '\(otherID)', whose files are one on case-insensitive file systems (macOS, Windows); rename one")
            } else { types[id.lowercased()] = c }
            var tools: [String: Tool] = [:]
            for t in c.tools {
                let modelName = c.modelName(of: t)
                if modelName.count > 64 {
                    reader.error(t.location, "the name models see, '\(modelName)' (connector slug + '_' + tool name), is longer than 64 characters, the limit of model APIs; shorten the tool name or the slug")
                }
                let tid = SwiftIdentifier.upperCamel(t.name)
                if let other = tools[tid] {
                    reader.error(t.location, "tools '\(t.name)' and '\(other.name)' (line \(other.location.line)) both become the Swift type '\(tid)'; rename one")
                } else { tools[tid] = t }
                checkPropertyNames(t.inputs.map { NamedSchema(name: $0.name, schema: $0.schema) }, of: "tool '\(t.name)'", at: t.location)
            }
        }
    }

    /// Inputs (and the properties of object inputs, at every depth) become Swift
    /// properties: two names that map to one identifier are refused.
    private func checkPropertyNames(_ properties: [NamedSchema], of owner: String, at location: SourceLocation) {
        var seen: [String: String] = [:]
        for property in properties {
            let id = SwiftIdentifier.lowerCamel(property.name)
            if let other = seen[id] {
                reader.error(location, "inputs '\(property.name)' and '\(other)' of \(owner) both become the Swift property '\(id)'; rename one")
            } else { seen[id] = property.name }
            var schema = property.schema
            while true {
                if case .array(let items) = schema.type { schema = items } else if case .map(let values) = schema.type { schema = values } else { break }
            }
            if case .object(let nested) = schema.type { checkPropertyNames(nested, of: "'\(property.name)'", at: location) }
        }
    }

    private func checkScopeCatalogs(_ catalogs: [ScopeCatalog], integrations: [Integration]) {
        var owner: [String: ScopeCatalog] = [:]
        for catalog in catalogs {
            for provider in catalog.providers.isEmpty ? [catalog.provider] : catalog.providers {
                if let other = owner[provider] {
                    reader.error(catalog.location, "provider '\(provider)' is described by two scope catalogs (also \(other.location.file)); keep one")
                } else { owner[provider] = catalog }
            }
        }
    }
}
