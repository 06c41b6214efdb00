import KeywayMigrations
import KeywayModel

/// Renders a schema diff as one migration file per dialect. Pure: the caller reads the
/// snapshot and writes the files.
public struct MigrationEmitter: Sendable {
    public static let templates: [SQLDialect: String] = [
        .postgres: "postgres.migration.sql.mustache",
        .sqlite: "sqlite.migration.sql.mustache",
    ]

    /// Tables whose rows belong to a tenant (RLS by owner) and catalog tables (read-only).
    public static let tenantTables = ["integrations", "connector_connections"]
    public static let catalogTables = ["integration_providers", "integration_scopes", "connectors"]

    public init() {}

    struct View {
        struct Table { var table: String }
        var version: String
        var name: String
        var initial: Bool
        var tenantTables: [Table]
        var catalogTables: [Table]
        var hasStatements: Bool
        var statements: [String]
    }

    public func render(_ diff: SchemaDiff, dialect: SQLDialect, version: String, name: String, templates: TemplateSet) throws(DiagnosticsError) -> String {
        let statements = Self.statements(diff, dialect: dialect)
        let view = View(version: version, name: name, initial: diff.isInitial,
                        tenantTables: Self.tenantTables.map(View.Table.init), catalogTables: Self.catalogTables.map(View.Table.init),
                        hasStatements: !statements.isEmpty, statements: statements)
        return try templates.render(Self.templates[dialect]!, view, prototype: Self.prototype)
    }

    static let prototype = View(version: "", name: "", initial: true, tenantTables: [.init(table: "")], catalogTables: [.init(table: "")],
                                hasStatements: true, statements: [""])

    /// The SQL statements of the catalog changes, every manifest string a SQL literal.
    static func statements(_ diff: SchemaDiff, dialect: SQLDialect) -> [String] {
        let q = { (s: String) in Literal.sql(s, dialect: dialect) }
        let pg = dialect == .postgres
        let schema = pg ? "public." : ""
        let now = pg ? "now()" : "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
        var out: [String] = []
        for change in diff.changes {
            switch change {
            case .addIntegration(let row):
                out.append("insert into \(schema)integration_providers (provider_config_key, provider, name, category, auth_mode) values (\(q(row.key)), \(q(row.provider)), \(q(row.name)), \(q(row.category)), \(q(row.authMode)));")
                for scope in row.scopes {
                    out.append("insert into \(schema)integration_scopes (provider_config_key, scope) values (\(q(row.key)), \(q(scope)));")
                }
            case .updateIntegration(let row):
                out.append("update \(schema)integration_providers set provider = \(q(row.provider)), name = \(q(row.name)), category = \(q(row.category)), auth_mode = \(q(row.authMode)) where provider_config_key = \(q(row.key));")
            case .addScopes(let key, let scopes):
                for scope in scopes {
                    out.append("insert into \(schema)integration_scopes (provider_config_key, scope) values (\(q(key)), \(q(scope)));")
                }
                // Connections granted before the new scope existed must be re-authorised.
                let lacking: (String) -> String
                if pg {
                    let array = "array[" + scopes.map(q).joined(separator: ", ") + "]::text[]"
                    lacking = { column in "not (\(column) @> \(array))" }
                } else {
                    lacking = { column in "(" + scopes.map { "not exists (select 1 from json_each(\(column)) where value = \(q($0)))" }.joined(separator: " or ") + ")" }
                }
                out.append("update \(schema)integrations set status = 'needs_reauth', updated_at = \(now) where provider_config_key = \(q(key)) and status <> 'revoked' and \(lacking("granted_scopes"));")
                out.append("update \(schema)connector_connections set status = 'needs_reauth', updated_at = \(now) where connector_slug in (select slug from \(schema)connectors where provider_config_key = \(q(key))) and status <> 'revoked' and \(lacking("granted_scopes"));")
            case .removeScopes(let key, let scopes):
                out.append("delete from \(schema)integration_scopes where provider_config_key = \(q(key)) and scope in (" + scopes.map(q).joined(separator: ", ") + ");")
            case .removeIntegration(let key):
                out.append("delete from \(schema)integrations where provider_config_key = \(q(key));")
                out.append("delete from \(schema)integration_providers where provider_config_key = \(q(key));")
            case .addConnector(let row):
                out.append("insert into \(schema)connectors (slug, name, provider_config_key, multiple_connections) values (\(q(row.slug)), \(q(row.name)), \(q(row.providerKey)), \(pg ? (row.multipleConnections ? "true" : "false") : (row.multipleConnections ? "1" : "0")));")
            case .updateConnector(let row):
                out.append("update \(schema)connectors set name = \(q(row.name)), provider_config_key = \(q(row.providerKey)), multiple_connections = \(pg ? (row.multipleConnections ? "true" : "false") : (row.multipleConnections ? "1" : "0")) where slug = \(q(row.slug));")
            case .removeConnector(let slug):
                out.append("delete from \(schema)connector_connections where connector_slug = \(q(slug));")
                out.append("delete from \(schema)connectors where slug = \(q(slug));")
            }
        }
        return out
    }
}
