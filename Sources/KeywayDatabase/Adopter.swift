import Foundation
import KeywayMigrations
import PostgresNIO

/// `keyway migrate adopt`: turns a database that already holds the seed guide's
/// `public.integrations` table (owner_id, provider, nango_connection_id, status, scopes,
/// connected_by, connected_at, expires_at, metadata) and no keyway history into keyway's
/// schema, without losing a row. In one transaction, serialised with `migrate apply`:
/// the old table moves to the private schema `keyway` (as `keyway.adopted_integrations`,
/// kept until you drop it), every migration runs and is recorded in the ledger, and the
/// rows are copied into the new `public.integrations`. Anything that would lose or
/// misfile a row — a provider the manifests do not know, a status keyway has no word
/// for, two rows for one owner and provider or one Nango connection, an object that
/// depends on the old table — refuses the whole run by name, and nothing changes.
public enum Adopter {
    public struct Report: Equatable, Sendable {
        public var rows: Int
        public var applied: [String]
        /// Where the old table is kept.
        public var keptAs: String
    }

    static let required = ["owner_id", "provider", "nango_connection_id"]
    static let optional = ["id", "status", "scopes", "connected_by", "connected_at", "expires_at", "metadata"]
    static let statuses = ["active", "needs_reauth", "expired", "error", "revoked"]

    public static func adopt(files: [MigrationFile], database: PostgresMigrationDatabase) async throws -> Report {
        guard !files.isEmpty else { throw MigrationError("no migrations to adopt with; run `keyway migrate diff --name initial` first") }
        try await database.run(script: "begin")
        do {
            let report = try await run(files: files, database)
            try await database.run(script: "commit")
            return report
        } catch {
            try? await database.run(script: "rollback")
            if let error = error as? MigrationError { throw error }
            throw MigrationError("adopt failed and changed nothing: \(PostgresMigrationDatabase.describe(error))")
        }
    }

    static func run(files: [MigrationFile], _ db: PostgresMigrationDatabase) async throws -> Report {
        _ = try await db.query("select pg_advisory_xact_lock(\(PostgresMigrationDatabase.lockKey))")
        if try await !db.query("select 1 from pg_tables where schemaname = 'keyway' and tablename = 'schema_migrations'").isEmpty,
           try await !db.query("select 1 from keyway.schema_migrations limit 1").isEmpty {
            throw MigrationError("the database already has keyway's migration history; use `keyway migrate apply`, not adopt")
        }
        var columns: [String: String] = [:]
        for row in try await db.query("select column_name, data_type from information_schema.columns where table_schema = 'public' and table_name = 'integrations'") {
            let (name, type) = try row.decode((String, String).self)
            columns[name] = type
        }
        if columns.isEmpty {
            throw MigrationError("there is no public.integrations table to adopt; on a new database use `keyway migrate apply`")
        }
        if columns["connection_id"] != nil && columns["provider_config_key"] != nil {
            throw MigrationError("public.integrations already has keyway's columns (connection_id, provider_config_key) but no keyway history; restore the ledger keyway.schema_migrations instead of adopting")
        }
        let missing = required.filter { columns[$0] == nil }
        if !missing.isEmpty {
            throw MigrationError("public.integrations lacks \(missing.joined(separator: ", ")): adopt reads the seed guide's table (owner_id, provider, nango_connection_id, status, scopes, connected_by, connected_at, expires_at, metadata)")
        }
        let dependents = try await db.query("""
            select distinct d.classid::regclass::text || ' ' || coalesce(c.relname, con.conname, '?')
            from pg_depend d
            left join pg_rewrite r on d.classid = 'pg_rewrite'::regclass and r.oid = d.objid
            left join pg_class c on c.oid = r.ev_class
            left join pg_constraint con on d.classid = 'pg_constraint'::regclass and con.oid = d.objid
            where d.refobjid = 'public.integrations'::regclass and d.deptype = 'n'
              and ((d.classid = 'pg_rewrite'::regclass and r.ev_class <> 'public.integrations'::regclass)
                or (d.classid = 'pg_constraint'::regclass and con.contype = 'f' and con.conrelid <> 'public.integrations'::regclass))
            order by 1
            """).map { try $0.decode(String.self) }
        if !dependents.isEmpty {
            throw MigrationError("other objects depend on public.integrations (\(dependents.joined(separator: ", "))); drop them or point them elsewhere first, then adopt (nothing was changed)")
        }
        _ = try await db.query("create schema if not exists keyway")
        _ = try await db.query("revoke all on schema keyway from public")
        _ = try await db.query("alter table public.integrations set schema keyway")
        _ = try await db.query("alter table keyway.integrations rename to adopted_integrations")
        _ = try await db.query("""
            create table if not exists keyway.schema_migrations (
              version text primary key, name text not null, checksum text not null,
              applied_at timestamptz not null default now(), execution_ms integer not null)
            """)
        var applied: [String] = []
        for file in files {
            try await db.run(script: String(decoding: file.contents, as: UTF8.self))
            _ = try await db.query("insert into keyway.schema_migrations (version, name, checksum, execution_ms) values (\(file.version), \(file.name), \(file.checksum), 0)")
            applied.append(file.fileName)
        }
        // The provider column holds a provider config key, or a Nango provider name that
        // exactly one integration uses.
        let keyOfA = """
            coalesce((select p.provider_config_key from public.integration_providers p where p.provider_config_key = a.provider::text),
                     (select min(p.provider_config_key) from public.integration_providers p where p.provider = a.provider::text
                      having count(*) = 1))
            """
        // The old rows with the provider config key each maps to (null: none).
        let mapped = "(select a.*, \(keyOfA) as keyway_key from keyway.adopted_integrations a) a"
        let key = "a.keyway_key"
        let unknown = try await db.query(PostgresQuery(unsafeSQL: """
            select a.provider::text || ' (' || count(*) || ' row' || case when count(*) = 1 then '' else 's' end || ')'
            from \(mapped) where \(key) is null group by a.provider order by a.provider
            """)).map { try $0.decode(String.self) }
        if !unknown.isEmpty {
            throw MigrationError("rows name providers the manifests do not have: \(unknown.joined(separator: ", ")); add an integration manifest for each (or delete the rows), run `keyway migrate diff`, then adopt again (nothing was changed)")
        }
        let status = columns["status"] != nil ? "coalesce(a.status::text, 'active')" : "'active'"
        let strange = try await db.query(PostgresQuery(unsafeSQL: """
            select \(status) || ' (' || count(*) || ')' from keyway.adopted_integrations a
            where \(status) <> all(array['active', 'needs_reauth', 'expired', 'error', 'revoked']) group by \(status) order by 1
            """)).map { try $0.decode(String.self) }
        if !strange.isEmpty {
            throw MigrationError("rows have statuses keyway does not know: \(strange.joined(separator: ", ")); set each to one of \(statuses.joined(separator: ", ")), then adopt again (nothing was changed)")
        }
        for (what, group) in [("one owner and provider", "a.owner_id::text, (\(key))"), ("one Nango connection", "(\(key)), a.nango_connection_id::text")] {
            let duplicates = try await db.query(PostgresQuery(unsafeSQL: """
                select string_agg(x, ', ' order by x) from (select concat_ws('/', \(group)) as x from \(mapped) group by \(group) having count(*) > 1) d
                """)).first.flatMap { try $0.decode(String?.self) }
            if let duplicates {
                throw MigrationError("several rows for \(what): \(duplicates); keep one row each, then adopt again (nothing was changed)")
            }
        }
        func expression(_ column: String, _ conversion: (String) -> String, otherwise: String) -> String {
            guard let type = columns[column] else { return otherwise }
            return conversion(type)
        }
        let scopes = expression("scopes", { type in
            switch type {
            case "ARRAY": "coalesce(a.scopes::text[], '{}')"
            case "json", "jsonb": "coalesce(array(select jsonb_array_elements_text(case when jsonb_typeof(a.scopes::jsonb) = 'array' then a.scopes::jsonb else '[]' end)), '{}')"
            default: "coalesce(regexp_split_to_array(nullif(btrim(a.scopes::text), ''), '[[:space:],]+'), '{}')"
            }
        }, otherwise: "'{}'")
        let metadata = expression("metadata", { type in
            type == "json" || type == "jsonb"
                ? "case when jsonb_typeof(a.metadata::jsonb) = 'object' then a.metadata::jsonb when a.metadata is null then '{}'::jsonb else jsonb_build_object('value', a.metadata::jsonb) end"
                : "case when a.metadata is null then '{}'::jsonb else jsonb_build_object('value', a.metadata::text) end"
        }, otherwise: "'{}'::jsonb")
        let id = columns["id"] == "uuid" ? "coalesce(a.id, gen_random_uuid())" : "gen_random_uuid()"
        let created = columns["connected_at"].map { _ in "coalesce(a.connected_at::timestamptz, now())" } ?? "now()"
        let connectedBy = columns["connected_by"].map { _ in "a.connected_by::text" } ?? "null"
        let expires = columns["expires_at"].map { _ in "a.expires_at::timestamptz" } ?? "null"
        let inserted = try await db.query(PostgresQuery(unsafeSQL: """
            insert into public.integrations (id, owner_id, provider_config_key, connection_id, status, granted_scopes, metadata, created_at, updated_at, connected_by, expires_at)
            select \(id), a.owner_id::text, \(key), a.nango_connection_id::text, \(status), \(scopes), \(metadata), \(created), \(created), \(connectedBy), \(expires)
            from \(mapped)
            returning 1
            """)).count
        let total = try await db.query("select count(*)::int8 from keyway.adopted_integrations").first?.decode(Int64.self) ?? -1
        guard inserted == Int(total) else {
            throw MigrationError("copied \(inserted) of \(total) rows; nothing was changed")
        }
        _ = try await db.query("revoke all on table keyway.adopted_integrations from public, anon, authenticated")
        return Report(rows: inserted, applied: applied, keptAs: "keyway.adopted_integrations")
    }
}
