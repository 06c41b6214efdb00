import KeywayModel

/// The part of the database that the manifests decide: the catalog rows (integrations
/// with their granted scopes, connectors). The tables themselves are fixed by keyway's
/// version. A snapshot of this state after the last migration is kept in
/// `Generated/Migrations/schema.json`; `migrate diff` compares it with the manifests.
public struct SchemaState: Codable, Equatable, Sendable {
    public struct IntegrationRow: Codable, Equatable, Sendable {
        public var key: String
        public var provider: String
        public var name: String
        public var category: String
        public var authMode: String
        /// Sorted.
        public var scopes: [String]

        public init(key: String, provider: String, name: String, category: String, authMode: String, scopes: [String]) {
            self.key = key
            self.provider = provider
            self.name = name
            self.category = category
            self.authMode = authMode
            self.scopes = scopes
        }
    }

    public struct ConnectorRow: Codable, Equatable, Sendable {
        public var slug: String
        public var name: String
        public var providerKey: String
        public var multipleConnections: Bool

        public init(slug: String, name: String, providerKey: String, multipleConnections: Bool) {
            self.slug = slug
            self.name = name
            self.providerKey = providerKey
            self.multipleConnections = multipleConnections
        }
    }

    /// Bumped when the fixed tables change shape: 1, the first tables; 2, the trust
    /// boundary (server-owned connection rows, per-user isolation, one row per Nango
    /// connection, `requesting_user_id()`); 3, the call log (`tool_calls`).
    public var format: Int
    /// Sorted by key.
    public var integrations: [IntegrationRow]
    /// Sorted by slug.
    public var connectors: [ConnectorRow]
    /// The claims the tenant functions read (`keyway.yaml`'s `tenancy:`). Absent from
    /// format-1 snapshots, whose functions read `org_id`, else `sub`.
    public var tenancy: TenantClaims?

    public static let currentFormat = 3
    public static let empty = SchemaState(format: currentFormat, integrations: [], connectors: [])

    public init(format: Int, integrations: [IntegrationRow], connectors: [ConnectorRow], tenancy: TenantClaims? = .default) {
        self.format = format
        self.integrations = integrations.sorted { $0.key < $1.key }
        self.connectors = connectors.sorted { $0.slug < $1.slug }
        self.tenancy = format >= 2 ? tenancy : nil
    }

    /// The claims the database's functions read in this state.
    public var effectiveTenancy: TenantClaims { tenancy ?? .formatOne }

    public init(_ catalog: Catalog) {
        self.init(
            format: Self.currentFormat,
            integrations: catalog.integrations.map {
                IntegrationRow(key: $0.key, provider: $0.provider, name: $0.name, category: $0.category,
                               authMode: $0.auth.mode.rawValue, scopes: $0.auth.scopes.map(\.scope).sorted())
            },
            connectors: catalog.connectors.map {
                ConnectorRow(slug: $0.slug, name: $0.name, providerKey: $0.providerKey, multipleConnections: $0.multipleConnections)
            },
            tenancy: catalog.tenancy)
    }
}
