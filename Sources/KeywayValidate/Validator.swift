import KeywayLoad
import KeywayContract
import KeywayModel

public struct ValidationResult: Sendable {
    /// The model, when the manifests have no errors (warnings allowed).
    public var catalog: Catalog?
    public var diagnostics: [Diagnostic]
    /// The parse trees the catalog was read from. They are freed with the result: a
    /// command that keeps its result until it exits never spends time freeing them (the
    /// exit returns the memory at once), a server that drops it gets the memory back.
    public var documents: [ManifestDocument] = []

    public init(catalog: Catalog?, diagnostics: [Diagnostic]) {
        self.catalog = catalog
        self.diagnostics = diagnostics
    }
}

/// Stage 2: reads every parsed manifest by its schema, then checks what spans files
/// (unique keys, references, scopes, Swift names). All problems of a run are reported.
public struct Validator: Sendable {
    public init() {}

    /// `unreadFiles`: manifest files the loader found but could not read, and kind folders
    /// it could not read (`connectors/`); it reported why. A reference to one of them is not
    /// also reported as missing, and with a connector unread no scope is called unused.
    public func validate(_ documents: [ManifestDocument], unreadFiles: [String] = []) -> ValidationResult {
        // Documents arrive sorted by path; reading in that order makes "first at" stable.
        let documents = documents.sorted(by: { $0.relativePath < $1.relativePath })
        // Each document is read (and scanned for secrets) on its own, on all cores, then the
        // readings are put together in path order: what one reader reading them in order
        // would have found. The one thing readers share is the did-you-mean budget; a run
        // that exceeds it is read again in order, so that where suggestions stop does not
        // depend on timing.
        let pool = SuggestionPool()
        let readings = Parallel.map(documents) { doc in read(doc, NodeReader(pool: pool)) }
        let reader = NodeReader()
        var integrations: [Integration] = []
        var connectors: [Connector] = []
        var catalogs: [ProviderScopes] = []
        for reading in pool.exceeded ? documents.map({ read($0, reader) }) : readings {
            if reading.reader !== reader { reader.absorb(reading.reader) }
            switch reading.item {
            case .integration(let i)?: integrations.append(i)
            case .connector(let c)?: connectors.append(c)
            case .scopes(let s)?: catalogs.append(s)
            case nil: break
            }
        }
        var rules = CrossReferenceRules(reader: reader)
        rules.connectorFileUnread = unreadFiles.contains { $0.hasPrefix("connectors/") }
        rules.integrationFiles = Set((documents.filter { $0.kind == .integration }.map { $0.relativePath } + unreadFiles)
            .filter { $0.hasPrefix("integrations/") }
            .map { String($0.dropFirst("integrations/".count).prefix { $0 != "." }) })
        integrations = rules.unique(integrations, key: \.key, location: \.location, what: "integration key")
        connectors = rules.unique(connectors, key: \.slug, location: \.location, what: "connector slug")
        catalogs = rules.unique(catalogs, key: \.provider, location: \.location, what: "scope catalog provider")
        rules.check(integrations: integrations, connectors: connectors, catalogs: catalogs)
        let diagnostics = reader.diagnostics.sortedForReport()
        let catalog = diagnostics.hasErrors ? nil : Catalog(integrations: integrations, connectors: connectors, providerScopes: catalogs)
        return ValidationResult(catalog: catalog, diagnostics: diagnostics)
    }

    private enum Item {
        case integration(Integration)
        case connector(Connector)
        case scopes(ProviderScopes)
    }

    private struct Reading {
        var item: Item?
        var reader: NodeReader
    }

    /// One document read by its schema, then scanned for secrets, by `reader`.
    private func read(_ doc: ManifestDocument, _ reader: NodeReader) -> Reading {
        let item: Item?
        switch doc.kind {
        case .integration: item = reader.integration(doc).map(Item.integration)
        case .connector: item = reader.connector(doc).map(Item.connector)
        case .scopes: item = reader.providerScopes(doc).map(Item.scopes)
        }
        scanForSecrets(doc.root, reader)
        return Reading(item: item, reader: reader)
    }

    /// Every scalar of every manifest, keys included, is checked for credential shapes.
    /// Depth first, in the order written; nodes are read in place (the loader bounds the
    /// depth of a document and the number of its nodes).
    private func scanForSecrets(_ node: YAMLNode, _ reader: NodeReader) {
        switch node.value {
        case .scalar(let s):
            if let kind = SecretScanner.looksLikeSecret(s.text), reader.flaggedSecretLocations.insert(node.location).inserted {
                reader.error(node.location, "this value looks like a credential (\(kind)); manifests name environment variables only — remove it (it is not shown here) and rotate the secret if it was real")
            }
        case .sequence(let items):
            for index in items.indices { scanForSecrets(items[index], reader) }
        case .mapping(let pairs):
            for index in pairs.indices {
                // Once a place: an alias repeats the mapping, not the key.
                if let kind = SecretScanner.looksLikeSecret(pairs[index].key), reader.flaggedSecretLocations.insert(pairs[index].keyLocation).inserted {
                    reader.error(pairs[index].keyLocation, "this key looks like a credential (\(kind)); remove it (it is not shown here) and rotate the secret if it was real")
                }
                scanForSecrets(pairs[index].value, reader)
            }
        }
    }
}

/// Rules that relate manifests to each other.
struct CrossReferenceRules {
    let reader: NodeReader
    /// Stems of the integration files read, valid or not.
    var integrationFiles: Set<String> = []
    /// A connector file (or the connectors folder) could not be read, and its error is
    /// reported: which scopes its tools use is unknown, so no scope is called unused.
    var connectorFileUnread = false

    /// Keeps the first of each key and reports the others at their own position.
    func unique<T>(_ items: [T], key: KeyPath<T, String>, location: KeyPath<T, SourceLocation>, what: String) -> [T] {
        // Usually every key is unique: then the array is returned as it is, not copied
        // item by item.
        var keys = Set<String>(minimumCapacity: items.count)
        if items.allSatisfy({ keys.insert($0[keyPath: key]).inserted }) { return items }
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

    /// The rules across files. The scope rules, the Swift names of integrations and
    /// connectors, and each connector's tool and input names read the same manifests and
    /// nothing of each other's: they are one set of jobs on all cores (a map inside a job of
    /// another runs on that job's core alone), each but the scope rules with a reader of
    /// its own, absorbed after (the report is sorted).
    func check(integrations: [Integration], connectors: [Connector], catalogs: [ProviderScopes]) {
        enum Job { case scopes, swiftNames, toolNames(Int) }
        let jobs = [Job.scopes, .swiftNames] + connectors.indices.map(Job.toolNames)
        let found = Parallel.map(jobs, threshold: 2) { job -> NodeReader? in
            switch job {
            case .scopes:
                checkScopes(integrations: integrations, connectors: connectors)
                return nil
            case .swiftNames:
                return Self.swiftNameProblems(integrations: integrations, connectors: connectors)
            case .toolNames(let index):
                return Self.toolNameProblems(connectors[index])
            }
        }
        for other in found { if let other { reader.absorb(other) } }
        checkProviderScopes(catalogs, integrations: integrations)
    }

    /// Every tool's scopes granted by its integration; every granted scope used by a tool
    /// (or marked `without_tool`); every connector's integration there.
    private func checkScopes(integrations: [Integration], connectors: [Connector]) {
        let byKey = Dictionary(uniqueKeysWithValues: integrations.indices.map { (integrations[$0].key, $0) })
        var used: [String: Set<String>] = [:]
        // Each integration's grants as a set, made once however many connectors use it.
        var grantedByKey: [String: Set<String>] = [:]
        let keys = integrations.map(\.key)
        for connector in connectors {
            guard let integration = byKey[connector.providerKey].map({ integrations[$0] }) else {
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
            let granted = grantedByKey[integration.key] ?? Set(integration.auth.scopes.map { $0.scope })
            grantedByKey[integration.key] = granted
            let grantsComplete = !reader.integrationsWithBrokenScopes.contains(integration.key)
            for tool in connector.tools where grantsComplete {
                for scope in tool.scopes where !granted.contains(scope) {
                    reader.error(scopeLocation(of: scope, in: tool),
                                 "tool '\(tool.name)' needs scope '\(scope.forDiagnostic)', which integration '\(integration.key)' does not grant; add it to auth.scopes of \(integration.location.file) with a reason, or remove it here")
                }
                used[integration.key, default: []].formUnion(tool.scopes)
            }
        }
        for integration in integrations where !connectorFileUnread && !reader.integrationsWithBrokenConnectors.contains(integration.key) {
            for grant in integration.auth.scopes {
                let isUsed = used[integration.key]?.contains(grant.scope) ?? false
                if !isUsed && !grant.withoutTool {
                    reader.warning(grant.location, "scope '\(grant.scope.forDiagnostic)' is granted but no tool uses it; remove it (least privilege), add the tool that needs it, or mark it 'without_tool: true' if the provider requires it")
                } else if isUsed && grant.withoutTool {
                    reader.warning(grant.location, "scope '\(grant.scope.forDiagnostic)' is marked 'without_tool: true' but tools use it; remove the mark")
                }
            }
        }
    }

    /// The position of a tool's scope entry: tools keep only their own location, so scan
    /// forward from it (scopes are listed after the tool's name).
    private func scopeLocation(of scope: String, in tool: Tool) -> SourceLocation {
        tool.scopeLocations[scope] ?? tool.location
    }

    /// Generated Swift names come from manifest names; two names that map to one
    /// identifier would not compile, so they are refused here, naming both (and, for the
    /// tools and inputs of each connector, by `toolNameProblems`).
    private static func swiftNameProblems(integrations: [Integration], connectors: [Connector]) -> NodeReader {
        let reader = NodeReader()
        // Dictionaries of indices, not of manifests: nothing large is copied as they grow.
        var cases: [String: Int] = [:]
        cases.reserveCapacity(integrations.count)
        for (index, i) in integrations.enumerated() {
            let id = SwiftIdentifier.lowerCamel(i.key)
            if let other = cases[id].map({ integrations[$0] }) {
                reader.error(i.location, "integration '\(i.key)' and '\(other.key)' (\(other.location.file)) both become the Swift name '\(id)'; rename one")
            } else { cases[id] = index }
        }
        // Keyed without case: each type is a file, Swift/Tools/<Type>.swift, and `Ab.swift`
        // and `AB.swift` are one file on macOS and Windows.
        var types: [String: Int] = [:]
        types.reserveCapacity(connectors.count)
        for (index, c) in connectors.enumerated() {
            let id = SwiftIdentifier.upperCamel(c.slug)
            if let other = types[id.lowercased()].map({ connectors[$0] }) {
                let otherID = SwiftIdentifier.upperCamel(other.slug)
                reader.error(c.location, otherID == id
                    ? "connector '\(c.slug)' and '\(other.slug)' (\(other.location.file)) both become the Swift type '\(id)'; rename one"
                    : "connector '\(c.slug)' and '\(other.slug)' (\(other.location.file)) become the Swift types '\(id)' and '\(otherID)', whose files are one on case-insensitive file systems (macOS, Windows); rename one")
            } else { types[id.lowercased()] = index }
        }
        return reader
    }

    /// Tool and input names of one connector that models or Swift cannot tell apart.
    private static func toolNameProblems(_ c: Connector) -> NodeReader {
        let reader = NodeReader()
        var tools: [String: Int] = [:]
        tools.reserveCapacity(c.tools.count)
        for (toolIndex, t) in c.tools.enumerated() {
            let modelName = c.modelName(of: t)
            if modelName.utf8.count > 64, modelName.count > 64 {
                reader.error(t.location, "the name models see, '\(modelName)' (connector slug + '_' + tool name), is longer than 64 characters, the limit of model APIs; shorten the tool name or the slug")
            }
            let tid = SwiftIdentifier.upperCamel(t.name)
            if let other = tools[tid].map({ c.tools[$0] }) {
                reader.error(t.location, "tools '\(t.name)' and '\(other.name)' (line \(other.location.line)) both become the Swift type '\(tid)'; rename one")
            } else { tools[tid] = toolIndex }
            checkPropertyNames(t.inputContract.properties, of: "tool '\(t.name)'", at: { t.inputLocations[$0] ?? t.location }, reader)
        }
        return reader
    }

    /// Inputs (and the properties of object inputs, at every depth) become Swift
    /// properties: two names that map to one identifier are refused, at the second
    /// (`location` of a name: the input's line; nested properties keep no line of their
    /// own, so their input's).
    private static func checkPropertyNames(_ properties: [NamedSchema], of owner: String, at location: (String) -> SourceLocation, _ reader: NodeReader) {
        var seen: [String: String] = [:]
        for property in properties {
            let id = SwiftIdentifier.lowerCamel(property.name)
            if let other = seen[id] {
                reader.error(location(property.name), "inputs '\(property.name)' and '\(other)' of \(owner) both become the Swift property '\(id)'; rename one")
            } else { seen[id] = property.name }
            var schema = property.schema
            while true {
                if case .array(let items) = schema.type { schema = items } else if case .map(let values) = schema.type { schema = values } else { break }
            }
            if case .object(let nested) = schema.type {
                let here = location(property.name)
                checkPropertyNames(nested, of: "'\(property.name)'", at: { _ in here }, reader)
            }
        }
    }

    private func checkProviderScopes(_ catalogs: [ProviderScopes], integrations: [Integration]) {
        var owner: [String: Int] = [:]
        for (index, catalog) in catalogs.enumerated() {
            for provider in catalog.providers.isEmpty ? [catalog.provider] : catalog.providers {
                if let other = owner[provider].map({ catalogs[$0] }) {
                    reader.error(catalog.location, "provider '\(provider)' is described by two scope catalogs (also \(other.location.file)); keep one")
                } else { owner[provider] = index }
            }
        }
    }
}
