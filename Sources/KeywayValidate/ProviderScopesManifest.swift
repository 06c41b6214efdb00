import KeywayLoad
import KeywayModel

/// Reads `scopes/<provider>.yaml` into a `ProviderScopes`.
extension NodeReader {
    static let providerScopesKeys = ["provider", "providers", "scopes"]
    static let scopeInfoKeys = ["scope", "level", "description"]

    func providerScopes(_ doc: ManifestDocument) -> ProviderScopes? {
        guard let f = mapping(doc.root, "a scope catalog", allowed: Self.providerScopesKeys) else { return nil }
        let provider = slug(f, "provider", "the scope catalog")
        var providers: [String] = []
        var providerSet: Set<String> = []
        for p in stringList(f, "providers", "the scope catalog") ?? [] {
            if !FormatRules.isSlug(p.value) {
                error(p.location, "each of 'providers' must be a Nango provider name (^[a-z0-9][a-z0-9-]*$), not '\(p.value.forDiagnostic)'")
            } else if !providerSet.insert(p.value).inserted {
                error(p.location, "provider '\(p.value)' is listed twice; remove one")
            } else {
                providers.append(p.value)
            }
        }
        var scopes: [ScopeInfo] = []
        var seen: [String: SourceLocation] = [:]
        for item in list(f, "scopes", "the scope catalog", required: true) ?? [] {
            guard let s = mapping(item, "each scope", allowed: Self.scopeInfoKeys),
                  let scope = string(s, "scope", "the scope"),
                  let level: Located<ScopeLevel> = choice(s, "level", "the scope") else { continue }
            let description = string(s, "description", "the scope")
            if let first = seen[scope.value] {
                error(scope.location, "scope '\(scope.value.forDiagnostic)' is described twice (first at line \(first.line)); remove one")
                continue
            }
            seen[scope.value] = scope.location
            if let description { scopes.append(ScopeInfo(scope: scope.value, level: level.value, description: description.value)) }
        }
        guard let provider else { return nil }
        return ProviderScopes(provider: provider.value, providers: providers, scopes: scopes, location: provider.location)
    }
}
