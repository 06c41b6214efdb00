import Logging
import PostgresNIO

/// One finding of `keyway migrate lint`.
public struct LintFinding: Equatable, Sendable, Codable {
    public enum Level: String, Sendable, Codable { case error, warning }
    public var level: Level
    public var rule: String
    /// `schema.table` or `schema.function`.
    public var object: String
    public var message: String
}

/// Splinter-style checks on a live database's catalogs, so they hold for any schema, not
/// only keyway's. Exposed schemas are those PostgREST serves (Supabase: public).
public struct Linter: Sendable {
    public var schemas: [String]

    public init(schemas: [String] = ["public"]) { self.schemas = schemas }

    /// The owner/auth functions whose bare call in a policy re-runs on every row.
    static let authCalls = ["requesting_owner_id()", "auth.uid()", "auth.jwt()", "auth.role()", "auth.email()", "current_setting("]

    public func run(on database: PostgresMigrationDatabase) async throws -> [LintFinding] {
        var findings: [LintFinding] = []
        let tables = try await database.query("""
            select n.nspname, c.relname, c.relrowsecurity,
                   (select count(*) from pg_policy p where p.polrelid = c.oid)::int4
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p') and n.nspname = any(\(schemas))
            order by 1, 2
            """)
        for row in tables {
            let (schema, table, rls, policies) = try row.decode((String, String, Bool, Int32).self)
            let object = "\(schema).\(table)"
            if !rls {
                findings.append(.init(level: .error, rule: "rls_disabled_in_public", object: object,
                                      message: "the table is exposed without row level security; `alter table \(object) enable row level security` and add policies"))
                if policies > 0 {
                    findings.append(.init(level: .error, rule: "policy_exists_rls_disabled", object: object,
                                          message: "the table has policies but row level security is off, so they do nothing; enable it"))
                }
            } else if policies == 0 {
                findings.append(.init(level: .warning, rule: "rls_enabled_no_policy", object: object,
                                      message: "row level security is on but no policy exists: nobody but the owner and BYPASSRLS roles can reach rows; add policies or say so in a comment"))
            }
        }
        let policies = try await database.query("""
            select n.nspname, c.relname, p.polname, p.polcmd::text, p.polpermissive,
                   coalesce(pg_get_expr(p.polqual, p.polrelid), ''), coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''),
                   coalesce((select array_agg(case when r = 0 then 'public' else pg_get_userbyid(r)::text end order by 1) from unnest(p.polroles) r), '{}')
            from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = any(\(schemas))
            order by 1, 2, 3
            """)
        var permissive: [String: [String]] = [:]
        for row in policies {
            let (schema, table, name, command, isPermissive, using, check, roles) = try row.decode((String, String, String, String, Bool, String, String, [String]).self)
            let object = "\(schema).\(table)"
            if roles == ["public"] {
                findings.append(.init(level: .warning, rule: "policy_without_role", object: object,
                                      message: "policy \(name) applies to every role (no TO clause); write `to authenticated` (or the role it is for)"))
            }
            for expression in [using, check] {
                for call in Self.authCalls where Self.hasBareCall(call, in: expression) {
                    findings.append(.init(level: .warning, rule: "auth_rls_initplan", object: object,
                                          message: "policy \(name) calls \(call)… once per row; wrap it as (select \(call)…) so it runs once per statement"))
                }
            }
            let writes = ["a", "w", "d", "*"]
            if writes.contains(command), using == "true" || check == "true" {
                findings.append(.init(level: .error, rule: "permissive_true_on_write", object: object,
                                      message: "policy \(name) allows writes with `true`: any signed-in user may change any row; check the owner instead"))
            }
            if isPermissive {
                let commands = command == "*" ? ["r", "a", "w", "d"] : [command]
                for role in roles { for cmd in commands { permissive["\(object)|\(role)|\(cmd)", default: []].append(name) } }
            }
        }
        let commandNames = ["r": "select", "a": "insert", "w": "update", "d": "delete"]
        for (key, names) in permissive.sorted(by: { $0.key < $1.key }) where names.count > 1 {
            let parts = key.split(separator: "|").map(String.init)
            findings.append(.init(level: .warning, rule: "multiple_permissive_policies", object: parts[0],
                                  message: "\(names.count) permissive policies (\(names.joined(separator: ", "))) for role \(parts[1]) on \(commandNames[parts[2]] ?? parts[2]); each runs for every query: merge them into one"))
        }
        let functions = try await database.query("""
            select n.nspname, p.proname
            from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = any(\(schemas)) and p.prokind in ('f', 'p')
              and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
              and not coalesce(exists (select 1 from unnest(p.proconfig) c where c like 'search_path=%'), false)
            order by 1, 2
            """)
        for row in functions {
            let (schema, name) = try row.decode((String, String).self)
            findings.append(.init(level: .warning, rule: "function_search_path_mutable", object: "\(schema).\(name)",
                                  message: "the function has no fixed search_path; add `set search_path = ''` and qualify the names it uses"))
        }
        let columns = try await database.query("""
            select n.nspname, c.relname, a.attname
            from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = any(\(schemas)) and c.relkind in ('r', 'p', 'v', 'm') and a.attnum > 0 and not a.attisdropped
              and (c.relkind in ('v', 'm') or not c.relrowsecurity)
              and a.attname ~* '(token|secret|password|passwd|api_?key|private_?key|credential)'
            order by 1, 2, 3
            """)
        for row in columns {
            let (schema, table, column) = try row.decode((String, String, String).self)
            findings.append(.init(level: .error, rule: "sensitive_columns_exposed", object: "\(schema).\(table)",
                                  message: "column \(column) looks like a credential and the table is exposed without row level security; enable RLS or move the column out of \(schema)"))
        }
        // A Nango connection id a signed-in user can write: the tenant could point its row
        // at another tenant's connection, and the server would then call the provider with
        // the victim's grant. Only the server's role may write it.
        let writable = try await database.query("""
            select n.nspname, c.relname, a.attname, r.rolname,
                   has_column_privilege(r.oid, c.oid, a.attnum, 'INSERT'), has_column_privilege(r.oid, c.oid, a.attnum, 'UPDATE')
            from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
            cross join pg_roles r
            where n.nspname = any(\(schemas)) and c.relkind in ('r', 'p', 'v') and a.attnum > 0 and not a.attisdropped
              and a.attname in ('connection_id', 'nango_connection_id') and r.rolname in ('anon', 'authenticated')
              and (has_column_privilege(r.oid, c.oid, a.attnum, 'INSERT') or has_column_privilege(r.oid, c.oid, a.attnum, 'UPDATE'))
            order by 1, 2, 3, 4
            """)
        for row in writable {
            let (schema, table, column, role, insert, update) = try row.decode((String, String, String, String, Bool, Bool).self)
            let privileges = [insert ? "insert" : nil, update ? "update" : nil].compactMap { $0 }.joined(separator: " and ")
            findings.append(.init(level: .error, rule: "tenant_writable_connection_id", object: "\(schema).\(table)",
                                  message: "\(role) may \(privileges) \(column): a tenant could point its row at another tenant's Nango connection and act with that grant; `revoke insert, update on \(schema).\(table) from \(role)` and let the server (service_role) write connections"))
        }
        return findings
    }

    /// Whether `call` occurs in the deparsed expression outside a `(SELECT …)` wrapper.
    static func hasBareCall(_ call: String, in expression: String) -> Bool {
        let lowered = expression.lowercased()
        var searchFrom = lowered.startIndex
        while let range = lowered.range(of: call, range: searchFrom..<lowered.endIndex) {
            let before = lowered[lowered.startIndex..<range.lowerBound]
            // PostgreSQL deparses a wrapped call as "( SELECT public.fn() AS fn)".
            let prefix = before.reversed().prefix(40)
            let text = String(prefix.reversed())
            if !(text.hasSuffix("select ") || text.range(of: #"select [a-z_]+\.$"#, options: .regularExpression) != nil) { return true }
            searchFrom = range.upperBound
        }
        return false
    }
}
