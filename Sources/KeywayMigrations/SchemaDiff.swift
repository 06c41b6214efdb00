import KeywayModel

/// What changes between two schema states, as catalog operations in a safe order.
public struct SchemaDiff: Equatable, Sendable {
    public enum Change: Equatable, Sendable {
        case addIntegration(SchemaState.IntegrationRow)
        case updateIntegration(SchemaState.IntegrationRow)
        case addScopes(key: String, scopes: [String])
        case removeScopes(key: String, scopes: [String])
        case removeIntegration(key: String)
        case addConnector(SchemaState.ConnectorRow)
        /// A connector that allowed several connections per user now allows one: the
        /// migration refuses to run while a user still holds several.
        case restrictToOneConnection(slug: String)
        case updateConnector(SchemaState.ConnectorRow)
        case removeConnector(slug: String)
    }

    /// In the order they must run: integrations and scopes before the connectors that
    /// reference them; connector removals before integration removals.
    public var changes: [Change]
    /// Whether this is the first migration (it creates the tables).
    public var isInitial: Bool
    /// The table formats to upgrade to, in order (empty for a first migration, which
    /// creates the current format).
    public var upgrades: [Int]
    /// Whether the tenant functions must be (re)defined: a first migration, an upgrade,
    /// or other claim paths in `keyway.yaml`.
    public var definesTenantFunctions: Bool
    /// The claims the functions read after this migration.
    public var tenancy: TenantClaims
    /// Whether the call log's read policy changes: who administers an organisation
    /// (`tenancy.admin`) changed on a database that has the log.
    public var replacesCallLogPolicy: Bool
    /// Whether `requesting_is_admin()` goes: nobody administers any more.
    public var dropsAdminFunction: Bool

    public var isEmpty: Bool { changes.isEmpty && !isInitial && upgrades.isEmpty && !definesTenantFunctions }

    /// Changes that delete rows a tenant's connections depend on.
    public var destructiveChanges: [String] {
        changes.compactMap {
            switch $0 {
            case .removeIntegration(let key): "integration '\(key)' is removed: its connections would be deleted"
            case .removeConnector(let slug): "connector '\(slug)' is removed: its connections would be deleted"
            default: nil
            }
        }
    }

    public init(from old: SchemaState?, to new: SchemaState) {
        isInitial = old == nil
        let upgrades = old.map { Array(stride(from: $0.format + 1, through: new.format, by: 1)) } ?? []
        self.upgrades = upgrades
        tenancy = new.effectiveTenancy
        // Format 2 brought requesting_user_id(); later formats read the functions as they are.
        definesTenantFunctions = old.map { upgrades.contains(2) || $0.effectiveTenancy != new.effectiveTenancy } ?? true
        let oldAdmin = old?.effectiveTenancy.admin, newAdmin = new.effectiveTenancy.admin
        replacesCallLogPolicy = old.map { $0.format >= 3 && oldAdmin != newAdmin } ?? false
        dropsAdminFunction = oldAdmin != nil && newAdmin == nil
        let old = old ?? .empty
        var early: [Change] = [], late: [Change] = [], removals: [Change] = []
        let oldIntegrations = Dictionary(uniqueKeysWithValues: old.integrations.map { ($0.key, $0) })
        let newIntegrations = Dictionary(uniqueKeysWithValues: new.integrations.map { ($0.key, $0) })
        for row in new.integrations {
            guard let before = oldIntegrations[row.key] else {
                early.append(.addIntegration(row))
                continue
            }
            var a = before, b = row
            a.scopes = []; b.scopes = []
            if a != b { early.append(.updateIntegration(row)) }
            let added = row.scopes.filter { !before.scopes.contains($0) }
            let removed = before.scopes.filter { !row.scopes.contains($0) }
            if !removed.isEmpty { early.append(.removeScopes(key: row.key, scopes: removed)) }
            if !added.isEmpty { early.append(.addScopes(key: row.key, scopes: added)) }
        }
        let oldConnectors = Dictionary(uniqueKeysWithValues: old.connectors.map { ($0.slug, $0) })
        let newConnectors = Set(new.connectors.map(\.slug))
        for row in new.connectors {
            if let before = oldConnectors[row.slug] {
                if before.multipleConnections && !row.multipleConnections { late.append(.restrictToOneConnection(slug: row.slug)) }
                if before != row { late.append(.updateConnector(row)) }
            } else {
                late.append(.addConnector(row))
            }
        }
        for row in old.connectors where !newConnectors.contains(row.slug) { removals.append(.removeConnector(slug: row.slug)) }
        for row in old.integrations where newIntegrations[row.key] == nil { removals.append(.removeIntegration(key: row.key)) }
        // Connectors may move to another integration before the old one goes.
        changes = early + late + removals
    }
}
