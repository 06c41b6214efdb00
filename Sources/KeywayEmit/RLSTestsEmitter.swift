import KeywayModel

/// `Migrations/postgres/tests/rls.sql`: pgTAP tests of the row-level-security policies and
/// the trust boundary, run by `supabase test db` or pg_prove against a migrated database.
/// Needs one connector to build rows from; emits nothing without one.
public struct RLSTestsEmitter: Emitter {
    public static let template = "postgres.rls-tests.sql.mustache"
    public static let path = "Migrations/postgres/tests/rls.sql"

    public init() {}

    struct View: Encodable {
        struct Column: Encodable {
            var column: String
            /// A SQL literal of the column's type.
            var value: String
        }
        struct ConnectorRow: Encodable {
            var slug: String
            var key: String
        }
        struct CatalogTable: Encodable { var table: String }
        /// Claims with `tenancy.admin`'s role: A2 administering organisation A, A1 with
        /// another role, B administering no organisation, C administering another one.
        struct Admin: Encodable {
            var claimsAdminA2: String
            var claimsOtherRoleA1: String
            var claimsAdminB: String
            var claimsAdminC: String
        }
        var marker: String
        var planCount: Int
        var key: String
        var slug: String
        var claimPaths: String
        var claimsA1: String
        var claimsA2: String
        var claimsB: String
        var integrationColumns: [Column]
        var connectorColumns: [Column]
        var singleConnector: [ConnectorRow]
        var multipleConnector: [ConnectorRow]
        var catalogTables: [CatalogTable]
        /// One when keyway.yaml names who administers an organisation.
        var admin: [Admin]
    }

    public func emit(_ catalog: Catalog, templates: TemplateSet) throws(DiagnosticsError) -> [GeneratedFile] {
        guard let connector = catalog.connectors.first else { return [] }
        let view = Self.view(connector: connector, all: catalog.connectors, tenancy: catalog.tenancy)
        return [GeneratedFile(path: Self.path, contents: try templates.render(Self.template, view, prototype: Self.prototype), artifact: .migrations)]
    }

    static let prototype: View = {
        var view = RLSTestsEmitter.view(connector: nil, all: [], tenancy: .default)
        view.singleConnector = [.init(slug: "", key: "")]
        view.multipleConnector = [.init(slug: "", key: "")]
        view.admin = [.init(claimsAdminA2: "", claimsOtherRoleA1: "", claimsAdminB: "", claimsAdminC: "")]
        return view
    }()

    static func view(connector: Connector?, all: [Connector], tenancy: TenantClaims) -> View {
        let sql = { (s: String) in Literal.sql(s, dialect: .postgres) }
        let k = sql(connector?.providerKey ?? "k"), s = sql(connector?.slug ?? "s")
        let integrationColumns: [View.Column] = [
            .init(column: "connection_id", value: "'keyway-stolen'"),
            .init(column: "status", value: "'active'"),
            .init(column: "granted_scopes", value: "array['keyway-scope']"),
            .init(column: "owner_id", value: "'keyway-user-b'"),
            .init(column: "provider_config_key", value: k),
            .init(column: "connected_by", value: "'keyway-user-a1'"),
            .init(column: "expires_at", value: "null"),
            .init(column: "metadata", value: "'{}'::jsonb"),
        ]
        let connectorColumns: [View.Column] = [
            .init(column: "connection_id", value: "'keyway-stolen'"),
            .init(column: "status", value: "'active'"),
            .init(column: "granted_scopes", value: "array['keyway-scope']"),
            .init(column: "owner_id", value: "'keyway-user-b'"),
            .init(column: "user_id", value: "'keyway-user-a2'"),
            .init(column: "connector_slug", value: s),
            .init(column: "instance_id", value: "'other'"),
            .init(column: "provider_config_key", value: k),
            .init(column: "expires_at", value: "null"),
            .init(column: "metadata", value: "'{}'::jsonb"),
        ]
        let row = { (c: Connector) in View.ConnectorRow(slug: sql(c.slug), key: sql(c.providerKey)) }
        let single = all.first { !$0.multipleConnections }.map(row).map { [$0] } ?? []
        let multiple = all.first { $0.multipleConnections }.map(row).map { [$0] } ?? []
        let catalogTables = MigrationEmitter.catalogTables.map(View.CatalogTable.init)
        let userPath = tenancy.user[0], orgA1 = tenancy.organization.first, orgA2 = tenancy.organization.dropFirst().first ?? orgA1
        func claims(_ entries: [(TenantClaims.Path?, String)]) -> String {
            var tree = ClaimTree.object([:])
            for (path, value) in entries { if let path { tree.set(path.keys[...], value) } }
            return sql(tree.json)
        }
        let paths = "user: " + tenancy.user.map(\.description).joined(separator: ", ")
            + "; organisation: " + (tenancy.organization.isEmpty ? "none" : tenancy.organization.map(\.description).joined(separator: ", "))
        let admin = tenancy.admin.map { admin in
            // (keyway.yaml's reader refuses an admin without claims or roles.)
            let role = admin.claims.first, value = admin.values.first ?? ""
            return View.Admin(claimsAdminA2: claims([(userPath, "keyway-user-a2"), (orgA2, "keyway-org-a"), (role, value)]),
                              claimsOtherRoleA1: claims([(userPath, "keyway-user-a1"), (orgA1, "keyway-org-a"), (role, "keyway-not-a-role")]),
                              claimsAdminB: claims([(userPath, "keyway-user-b"), (role, value)]),
                              claimsAdminC: claims([(userPath, "keyway-user-c"), (orgA1, "keyway-org-c"), (role, value)]))
        }
        let planCount = 5 + 3 + 1 + integrationColumns.count + 1 + 3 + 1 + connectorColumns.count + 1 + 3 + 8 + 8
            + single.count + multiple.count + catalogTables.count * 3 + (admin == nil ? 0 : 5)
        return View(marker: GeneratedFile.marker + " from the manifests; do not edit, run `keyway generate`",
                    planCount: planCount, key: k, slug: s, claimPaths: paths,
                    claimsA1: claims([(userPath, "keyway-user-a1"), (orgA1, "keyway-org-a")]),
                    claimsA2: claims([(userPath, "keyway-user-a2"), (orgA2, "keyway-org-a")]),
                    claimsB: claims([(userPath, "keyway-user-b")]),
                    integrationColumns: integrationColumns, connectorColumns: connectorColumns,
                    singleConnector: single, multipleConnector: multiple, catalogTables: catalogTables, admin: admin.map { [$0] } ?? [])
    }
}

/// A JSON object of claims built from paths, with sorted keys.
enum ClaimTree {
    case object([String: ClaimTree])
    case string(String)

    mutating func set(_ keys: ArraySlice<String>, _ value: String) {
        guard let first = keys.first else { self = .string(value); return }
        var children: [String: ClaimTree] = [:]
        if case .object(let existing) = self { children = existing }
        var child = children[first] ?? .object([:])
        child.set(keys.dropFirst(), value)
        children[first] = child
        self = .object(children)
    }

    var json: String {
        switch self {
        case .string(let s): Literal.json(s)
        case .object(let o): "{" + o.keys.sorted().map { Literal.json($0) + ": " + o[$0]!.json }.joined(separator: ", ") + "}"
        }
    }
}
