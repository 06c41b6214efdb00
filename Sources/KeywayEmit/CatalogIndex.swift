import KeywayModel

/// The catalog's cross references as dictionaries, built once per emitter run, so that
/// what each integration needs (its connectors, its scope catalog, a scope's level) is a
/// lookup and not a scan of every manifest: emitting stays linear in the manifests.
struct CatalogIndex {
    let catalog: Catalog
    private let connectorsByKey: [String: [Connector]]
    private let providerScopesByProvider: [String: Int]
    private let scopesByProviderScopes: [[String: ScopeInfo]]

    init(_ catalog: Catalog) {
        self.catalog = catalog
        var connectors: [String: [Connector]] = [:]
        for c in catalog.connectors { connectors[c.providerKey, default: []].append(c) }
        connectorsByKey = connectors
        var byProvider: [String: Int] = [:]
        for (index, scopes) in catalog.providerScopes.enumerated() {
            // `Catalog.providerScopes(for:)`: the first catalog (by provider) that covers it.
            for provider in scopes.providers.isEmpty ? [scopes.provider] : scopes.providers where byProvider[provider] == nil {
                byProvider[provider] = index
            }
        }
        providerScopesByProvider = byProvider
        scopesByProviderScopes = catalog.providerScopes.map { scopes in
            // `ProviderScopes.info(for:)`: the first entry of a scope.
            Dictionary(scopes.scopes.map { ($0.scope, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// `Catalog.connectors(of:)`: in the catalog's order.
    func connectors(of integration: Integration) -> [Connector] { connectorsByKey[integration.key] ?? [] }

    /// `ProviderScopes.info(for:)` in `Catalog.providerScopes(for:)` of the integration.
    func scopeInfo(_ scope: String, for integration: Integration) -> ScopeInfo? {
        providerScopesByProvider[integration.provider].flatMap { scopesByProviderScopes[$0][scope] }
    }
}
