import Foundation
import Testing
import KeywayCore
import KeywayDatabase
import KeywayMigrations
import PostgresNIO

@Suite("Migrations on a real PostgreSQL", .serialized)
struct PostgresTests {
    static let manifests = packageRoot.appendingPathComponent("Manifests").path
    static let shippedMigrations = packageRoot.appendingPathComponent("Generated/Migrations/postgres").path

    @Test("the shipped migrations applied to a fresh server give the schema the manifests describe")
    func roundTrip() async throws {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        let files = MigrationsFolder.files(in: Self.shippedMigrations)
        try #require(!files.isEmpty)
        let applied = try await applyPostgres(files, server, db)
        #expect(applied.map(\.version) == files.map(\.version))
        let catalog = try #require(Pipeline.validate(manifests: Self.manifests).catalog)
        #expect(try postgresState(server, db) == SchemaState(catalog))

        // Every table: RLS enabled and forced.
        let flags = server.psql(db, "select relname || ':' || relrowsecurity || ':' || relforcerowsecurity from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' order by 1").output
        #expect(flags == "connector_connections:true:true\nconnectors:true:true\nintegration_providers:true:true\nintegration_scopes:true:true\nintegrations:true:true\n")
        // Tenant tables: one policy per command, to authenticated, owner through (select …).
        for table in MigrationEmitter.tenantTables {
            let policies = server.psql(db, "select cmd || '|' || roles::text || '|' || coalesce(qual, '-') || '|' || coalesce(with_check, '-') from pg_policies where tablename = '\(table)' order by cmd").output
            let owner = "(owner_id = ( SELECT requesting_owner_id() AS requesting_owner_id))"
            #expect(policies == """
                DELETE|{authenticated}|\(owner)|-
                INSERT|{authenticated}|-|\(owner)
                SELECT|{authenticated}|\(owner)|-
                UPDATE|{authenticated}|\(owner)|\(owner)

                """)
            // A btree index led by the policy column.
            #expect(server.psql(db, "select count(*) from pg_indexes where tablename = '\(table)' and indexdef like '%USING btree (owner_id%'").output == "1\n")
        }
        // anon has no privilege on any table; nobody but migrations writes the catalog.
        #expect(server.psql(db, "select count(*) from information_schema.role_table_grants where table_schema = 'public' and grantee = 'anon'").output == "0\n")
        #expect(server.psql(db, "select count(*) from information_schema.role_table_grants where table_schema = 'public' and table_name in ('integration_providers', 'integration_scopes', 'connectors') and grantee in ('anon', 'authenticated', 'service_role') and privilege_type <> 'SELECT'").output == "0\n")
        // requesting_owner_id(): stable, fixed search_path; org_id wins over sub.
        #expect(server.psql(db, "select provolatile::text || ':' || array_to_string(proconfig, ',') from pg_proc where proname = 'requesting_owner_id'").output == "s:search_path=\"\"\n")
        #expect(server.psql(db, "set request.jwt.claims = '{\"sub\":\"u1\",\"org_id\":\"o1\"}'; select public.requesting_owner_id()").output == "o1\n")
        #expect(server.psql(db, "set request.jwt.claims = '{\"sub\":\"u1\"}'; select public.requesting_owner_id()").output == "u1\n")
        // The catalog refuses unknown providers and bad statuses.
        #expect(server.psql(db, "insert into public.integrations (owner_id, provider_config_key, connection_id) values ('o', 'unknown', 'c')").status != 0)
        #expect(server.psql(db, "insert into public.integrations (owner_id, provider_config_key, connection_id, status) values ('o', 'gmail', 'c', 'sleeping')").status != 0)
        #expect(server.psql(db, "insert into public.integrations (owner_id, provider_config_key, connection_id, status) values ('o', 'gmail', 'c', 'needs_reauth')").status == 0)
        #expect(server.psql(db, "insert into public.integrations (owner_id, provider_config_key, connection_id) values ('o', 'gmail', 'c2')").status != 0, "one connection per owner and provider config key")
    }

    @Test("row-level security for real: two tenants try every command across the line; zero leaks")
    func rlsForReal() async throws {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        try await applyPostgres(MigrationsFolder.files(in: Self.shippedMigrations), server, db)
        _ = server.psql(db, """
            insert into public.integrations (owner_id, provider_config_key, connection_id) values ('tenant-a', 'gmail', 'a'), ('tenant-b', 'gmail', 'b');
            insert into public.connector_connections (owner_id, user_id, connector_slug, connection_id) values ('tenant-a', 'ua', 'gmail', 'a'), ('tenant-b', 'ub', 'gmail', 'b');
            """)
        var leaks: [String] = []
        // Each attempt runs as `authenticated` with tenant A's claims (as PostgREST does)
        // in a transaction that is rolled back; `expect` is what a sound policy yields.
        func attempt(_ sql: String, claims: String = #"{"sub": "tenant-a"}"#, role: String = "authenticated", expect: String) {
            let script = "begin; set local role \(role); set local request.jwt.claims = '\(claims)';\n\(sql); rollback;"
            let result = server.psql(db, script)
            let outcome = result.status == 0 ? result.output.trimmingCharacters(in: .whitespacesAndNewlines) : (result.output.contains("row-level security") || result.output.contains("permission denied") ? "denied" : "error: \(result.output)")
            if outcome != expect { leaks.append("\(role) \(claims): \(sql) → \(outcome), expected \(expect)") }
        }
        for (table, columns, valuesB) in [
            ("integrations", "owner_id, provider_config_key, connection_id", "'tenant-b', 'slack', 'x'"),
            ("connector_connections", "owner_id, user_id, connector_slug, connection_id", "'tenant-b', 'ub', 'slack', 'x'"),
        ] {
            attempt("select count(*) from public.\(table)", expect: "1")
            attempt("select count(*) from public.\(table) where owner_id = 'tenant-b'", expect: "0")
            attempt("insert into public.\(table) (\(columns)) values (\(valuesB))", expect: "denied")
            attempt("with u as (update public.\(table) set connection_id = 'stolen' where owner_id = 'tenant-b' returning 1) select count(*) from u", expect: "0")
            attempt("update public.\(table) set owner_id = 'tenant-b' where owner_id = 'tenant-a'", expect: "denied")
            attempt("with d as (delete from public.\(table) where owner_id = 'tenant-b' returning 1) select count(*) from d", expect: "0")
            attempt("with d as (delete from public.\(table) where owner_id = 'tenant-a' returning 1) select count(*) from d", expect: "1")
            // org_id claim decides the tenant; no claims at all sees nothing.
            attempt("select count(*) from public.\(table)", claims: #"{"sub": "tenant-a", "org_id": "tenant-b"}"#, expect: "1")
            attempt("select count(*) from public.\(table) where owner_id = 'tenant-a'", claims: #"{"sub": "tenant-a", "org_id": "tenant-b"}"#, expect: "0")
            attempt("select count(*) from public.\(table)", claims: "", expect: "0")
            attempt("select count(*) from public.\(table)", role: "anon", expect: "denied")
            attempt("insert into public.\(table) (\(columns)) values (\(valuesB))", role: "anon", expect: "denied")
            attempt("select count(*) from public.\(table)", role: "service_role", expect: "2")
        }
        attempt("insert into public.integration_providers (provider_config_key, provider, name, category, auth_mode) values ('evil', 'e', 'E', 'c', 'oauth2')", expect: "denied")
        attempt("select count(*) from public.integration_providers where provider_config_key = 'gmail'", expect: "1")
        attempt("select count(*) from public.integration_providers", role: "anon", expect: "denied")
        #expect(leaks == [])

        // The harness sees a leak when there is one: a permissive select policy opens tenant B.
        _ = server.psql(db, "create policy leaky on public.integrations for select to authenticated using (true);")
        attempt("select count(*) from public.integrations where owner_id = 'tenant-b'", expect: "0")
        #expect(leaks.count == 1)
    }

    @Test("the generated pgTAP tests pass")
    func pgTAP() throws {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        let migrate = server.psqlFile(db, Self.shippedMigrations + "/0001_initial.sql")
        try #require(migrate.status == 0, "\(migrate.output)")
        let result = server.psqlFile(db, Self.shippedMigrations + "/tests/rls.sql")
        try #require(result.status == 0, "pgTAP failed to run (is postgresql-15-pgtap installed? bash .ci/run installs it): \(result.output)")
        let lines = result.output.split(separator: "\n").map(String.init)
        let plan = try #require(lines.first { $0.hasPrefix("1..") })
        let planned = Int(plan.dropFirst(3)) ?? -1
        #expect(planned == 27)
        #expect(lines.filter { $0.hasPrefix("ok ") }.count == planned)
        #expect(lines.filter { $0.hasPrefix("not ok") } == [])
    }
}
