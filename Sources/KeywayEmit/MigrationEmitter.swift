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
    public static let tenantTables = ["integrations", "connector_connections", "tool_calls"]
    public static let catalogTables = ["integration_providers", "integration_scopes", "connectors"]

    public init() {}

    struct View: Encodable {
        struct Table: Encodable { var table: String }
        var version: String
        var name: String
        var initial: Bool
        /// (Re)defines `requesting_owner_id()` and `requesting_user_id()`.
        var definesTenantFunctions: Bool
        /// Upgrades tables of format 1 to format 2.
        var upgradeToFormat2: Bool
        /// Creates what format 2 adds: triggers, the trust boundary's grants and policies.
        var createsTrustBoundary: Bool
        /// Creates what format 3 adds: the call log (`tool_calls`).
        var createsCallLog: Bool
        /// Who reads the call log: `create policy tool_calls_select_own …;`.
        var callLogPolicy: String
        var replacesCallLogPolicy: Bool
        /// (Re)defines `requesting_is_admin()`, or drops it.
        var definesAdminFunction: Bool
        var dropsAdminFunction: Bool
        /// For `requesting_is_admin()`: the claim paths (a comment), their SQL expressions
        /// for `coalesce(…)`, and the roles as a SQL array.
        var adminClaims: String
        var adminExpression: String
        var adminValues: String
        /// The claim paths, for a comment: `sub`, `o.id, org_id`.
        var userClaims: String
        var organizationClaims: String
        /// SQL expressions over `request.claims` (jsonb), for `coalesce(…)`.
        var ownerExpression: String
        var userExpression: String
        var catalogTables: [Table]
        var hasStatements: Bool
        var statements: [String]
    }

    public func render(_ diff: SchemaDiff, dialect: SQLDialect, version: String, name: String, templates: TemplateSet) throws(DiagnosticsError) -> String {
        let statements = Self.statements(diff, dialect: dialect)
        let upgrade = diff.upgrades.contains(2)
        let claims = diff.tenancy
        let view = View(version: version, name: name, initial: diff.isInitial,
                        definesTenantFunctions: diff.definesTenantFunctions, upgradeToFormat2: upgrade,
                        createsTrustBoundary: diff.isInitial || upgrade,
                        createsCallLog: diff.isInitial || diff.upgrades.contains(3),
                        callLogPolicy: Self.callLogPolicy(admin: claims.admin != nil),
                        replacesCallLogPolicy: diff.replacesCallLogPolicy,
                        definesAdminFunction: diff.definesTenantFunctions && claims.admin != nil,
                        dropsAdminFunction: diff.dropsAdminFunction,
                        adminClaims: claims.admin?.claims.map(\.description).joined(separator: ", ") ?? "",
                        adminExpression: Self.claimExpression(claims.admin?.claims ?? []),
                        adminValues: "array[" + (claims.admin?.values ?? []).map { Literal.sql($0, dialect: .postgres) }.joined(separator: ", ") + "]::text[]",
                        userClaims: claims.user.map(\.description).joined(separator: ", "),
                        organizationClaims: claims.organization.map(\.description).joined(separator: ", "),
                        ownerExpression: Self.claimExpression(claims.organization + claims.user),
                        userExpression: Self.claimExpression(claims.user),
                        catalogTables: Self.catalogTables.map(View.Table.init),
                        hasStatements: !statements.isEmpty, statements: statements)
        return try templates.render(Self.templates[dialect]!, view, prototype: Self.prototype)
    }

    static let prototype = View(version: "", name: "", initial: true, definesTenantFunctions: true, upgradeToFormat2: true, createsTrustBoundary: true, createsCallLog: true,
                                callLogPolicy: "", replacesCallLogPolicy: true, definesAdminFunction: true, dropsAdminFunction: true,
                                adminClaims: "", adminExpression: "", adminValues: "",
                                userClaims: "", organizationClaims: "", ownerExpression: "", userExpression: "",
                                catalogTables: [.init(table: "")], hasStatements: true, statements: [""])

    /// The call log's read policy: a user reads its own calls; with `tenancy.admin`, an
    /// organisation's administrator reads every call of the organisation.
    static func callLogPolicy(admin: Bool) -> String {
        let own = "user_id = (select public.requesting_user_id())"
        return "create policy tool_calls_select_own on public.tool_calls for select to authenticated\n"
            + "  using (owner_id = (select public.requesting_owner_id()) and "
            + (admin ? "(\(own) or (select public.requesting_is_admin()))" : own) + ");"
    }

    /// `nullif(request.claims #>> '{o,id}', ''), …`: each path's text, empty as absent.
    static func claimExpression(_ paths: [TenantClaims.Path]) -> String {
        paths.map { path in
            // Claim names are plain (letters, digits, _ - :), so the array literal needs no quoting.
            "nullif(request.claims #>> \(Literal.sql("{" + path.keys.joined(separator: ",") + "}", dialect: .postgres)), '')"
        }.joined(separator: ", ")
    }

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
            case .restrictToOneConnection(let slug):
                // Slugs are validated, so one can name a constraint.
                precondition(Slug.isValid(slug))
                if pg {
                    // The share lock holds off new connections until this migration commits,
                    // so none slips in between the guard and the update.
                    out.append("""
                        lock table public.connector_connections in share mode;
                        do $guard$
                        begin
                          if exists (select 1 from public.connector_connections where connector_slug = \(q(slug)) and instance_id <> 'default') then
                            raise exception 'keyway: connector % now allows one connection per user (multiple_connections: false), but users hold several; remove the connections whose instance_id is not ''default'', then apply again', \(q(slug));
                          end if;
                        end
                        $guard$;
                        """)
                } else {
                    out.append("""
                        create temp table keyway_guard (ok integer constraint "keyway: connector \(slug) now allows one connection per user (multiple_connections: false), but users hold several; remove the connections whose instance_id is not 'default', then apply again" check (ok));
                        insert into keyway_guard (ok) select not exists (select 1 from connector_connections where connector_slug = \(q(slug)) and instance_id <> 'default');
                        drop table temp.keyway_guard;
                        """)
                }
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
