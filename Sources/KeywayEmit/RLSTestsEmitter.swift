import KeywayModel

/// `Migrations/postgres/tests/rls.sql`: pgTAP tests of the row-level-security policies,
/// run by `supabase test db` or pg_prove against a migrated database. Needs one
/// integration with a connector to build rows from; emits nothing without one.
public struct RLSTestsEmitter: Emitter {
    public static let template = "postgres.rls-tests.sql.mustache"
    public static let path = "Migrations/postgres/tests/rls.sql"

    public init() {}

    struct View {
        struct Table {
            var table: String
            var insertA: String
            var insertB: String
            var insertOwn: String
            var insertOther: String
            /// Rows of both tenants after tenant A's own write.
            var serviceRoleCount: Int
        }
        struct CatalogTable { var table: String }
        var marker: String
        var planCount: Int
        var tables: [Table]
        var catalogTables: [CatalogTable]
    }

    public func emit(_ catalog: Catalog, templates: TemplateSet) throws(DiagnosticsError) -> [GeneratedFile] {
        guard let connector = catalog.connectors.first else { return [] }
        let view = Self.view(key: connector.providerKey, slug: connector.slug)
        return [GeneratedFile(path: Self.path, contents: try templates.render(Self.template, view, prototype: Self.view(key: "k", slug: "s")))]
    }

    static func view(key: String, slug: String) -> View {
        let k = Literal.sql(key, dialect: .postgres), s = Literal.sql(slug, dialect: .postgres)
        func integration(_ owner: String, _ connection: String) -> String {
            "insert into public.integrations (owner_id, provider_config_key, connection_id) values ('\(owner)', \(k), '\(connection)')"
        }
        func connection(_ owner: String, _ instance: String) -> String {
            "insert into public.connector_connections (owner_id, user_id, connector_slug, instance_id, connection_id) values ('\(owner)', 'user-\(owner)', \(s), '\(instance)', 'conn-\(owner)-\(instance)')"
        }
        let tables = [
            // One integration per owner and key: the tenant's own write is an upsert.
            View.Table(table: "integrations", insertA: integration("keyway-tenant-a", "conn-a") + ";", insertB: integration("keyway-tenant-b", "conn-b") + ";",
                       insertOwn: integration("keyway-tenant-a", "conn-a2") + " on conflict (owner_id, provider_config_key) do update set connection_id = excluded.connection_id",
                       insertOther: integration("keyway-tenant-b", "conn-x"), serviceRoleCount: 2),
            View.Table(table: "connector_connections", insertA: connection("keyway-tenant-a", "default") + ";", insertB: connection("keyway-tenant-b", "default") + ";",
                       insertOwn: connection("keyway-tenant-a", "second"), insertOther: connection("keyway-tenant-b", "second"), serviceRoleCount: 3),
        ]
        let catalogTables = MigrationEmitter.catalogTables.map(View.CatalogTable.init)
        return View(marker: GeneratedFile.marker + " from the manifests; do not edit, run `keyway generate`",
                    planCount: tables.count * 9 + catalogTables.count * 3, tables: tables, catalogTables: catalogTables)
    }
}
