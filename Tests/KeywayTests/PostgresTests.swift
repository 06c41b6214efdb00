import Foundation
import KeywayCore
import KeywayDatabase
import KeywayEmit
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayValidate
import KeywayFiles
import PostgresNIO
import Testing

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
        #expect(flags == "connector_connections:true:true\nconnectors:true:true\nintegration_providers:true:true\nintegration_scopes:true:true\nintegrations:true:true\ntool_calls:true:true\n")
        // Connection tables: the trust boundary. Tenants read (one select policy each, to
        // authenticated, through (select …)); only service_role writes.
        let policies = server.psql(db, "select tablename || '|' || policyname || '|' || cmd || '|' || roles::text || '|' || coalesce(qual, '-') || '|' || coalesce(with_check, '-') from pg_policies where tablename in ('integrations', 'connector_connections', 'tool_calls') order by 1").output
        let owner = "(owner_id = ( SELECT requesting_owner_id() AS requesting_owner_id))"
        let user = "(user_id = ( SELECT requesting_user_id() AS requesting_user_id))"
        #expect(policies == """
            connector_connections|connector_connections_select_own|SELECT|{authenticated}|(\(owner) AND \(user))|-
            integrations|integrations_select_own|SELECT|{authenticated}|\(owner)|-
            tool_calls|tool_calls_select_own|SELECT|{authenticated}|(\(owner) AND \(user))|-

            """)
        #expect(server.psql(db, "select table_name || ':' || grantee || ':' || string_agg(privilege_type, ',' order by privilege_type) from information_schema.role_table_grants where table_name in ('integrations', 'connector_connections', 'tool_calls') and grantee in ('anon', 'authenticated', 'service_role') group by table_name, grantee order by 1").output == """
            connector_connections:authenticated:SELECT
            connector_connections:service_role:DELETE,INSERT,SELECT,UPDATE
            integrations:authenticated:SELECT
            integrations:service_role:DELETE,INSERT,SELECT,UPDATE
            tool_calls:authenticated:SELECT
            tool_calls:service_role:DELETE,INSERT,SELECT

            """)
        for table in MigrationEmitter.tenantTables {
            // A btree index led by the policy column.
            #expect(server.psql(db, "select count(*) from pg_indexes where tablename = '\(table)' and indexdef like '%USING btree (owner_id%'").output == "1\n")
        }
        // The catalog refuses unknown providers and bad statuses.
        #expect(server.psql(db, "insert into public.integrations (owner_id, provider_config_key, connection_id) values ('o', 'unknown', 'c')").status != 0)
        #expect(server.psql(db, "insert into public.integrations (owner_id, provider_config_key, connection_id, status) values ('o', 'gmail', 'c', 'sleeping')").status != 0)
        #expect(server.psql(db, "insert into public.integrations (owner_id, provider_config_key, connection_id, status) values ('o', 'gmail', 'c', 'needs_reauth')").status == 0)
        #expect(server.psql(db, "insert into public.integrations (owner_id, provider_config_key, connection_id) values ('o', 'gmail', 'c2')").status != 0, "one connection per owner and provider config key")
    }

    /// Every attack a signed-in tenant (or a careless server) was seen to try, with the
    /// outcome a sound schema gives: the whole list is compared, so a new leak fails.
    @Test("the trust boundary for real: tenants attack across users, organisations and server-owned fields; zero leaks")
    func rlsForReal() async throws {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        try await applyPostgres(MigrationsFolder.files(in: Self.shippedMigrations), server, db)
        let seeded = server.psql(db, """
            insert into public.integrations (owner_id, provider_config_key, connection_id, status, granted_scopes) values
              ('org-a', 'gmail', 'conn-a', 'active', array['https://www.googleapis.com/auth/gmail.readonly']),
              ('org-b', 'gmail', 'conn-b', 'active', array['https://www.googleapis.com/auth/gmail.readonly']),
              ('org-a', 'slack', 'conn-a-slack', 'revoked', '{}');
            insert into public.connector_connections (owner_id, user_id, connector_slug, provider_config_key, connection_id) values
              ('org-a', 'a1', 'gmail', 'gmail', 'conn-a1'), ('org-a', 'a2', 'gmail', 'gmail', 'conn-a2'), ('org-b', 'b1', 'gmail', 'gmail', 'conn-b1'),
              ('org-a', 'a1', 'hubspot', 'hubspot', 'conn-a1-hubspot');
            """)
        try #require(seeded.status == 0, "\(seeded.output)")
        let a1 = #"{"sub": "a1", "v": 2, "o": {"id": "org-a", "rol": "member"}}"#   // Clerk v2
        let a2 = #"{"sub": "a2", "org_id": "org-a"}"#                                // Clerk v1
        var outcomes: [String] = []
        /// Runs `sql` as `role` with `claims` (as PostgREST does), in a transaction rolled
        /// back; records what happened: the rows' text, or the error class.
        func attempt(_ label: String, _ sql: String, claims: String = #"{"sub": "a1", "v": 2, "o": {"id": "org-a"}}"#, role: String = "authenticated") {
            let script = "begin; set local role \(role); set local request.jwt.claims = '\(claims)';\n\(sql); rollback;"
            let result = server.psql(db, script)
            let out = result.output
            let outcome: String
            if result.status == 0 { outcome = out.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: ",") }
            else if out.contains("permission denied") || out.contains("row-level security") { outcome = "denied" }
            else if out.contains("duplicate key") || out.contains("already backs") { outcome = "one row per connection" }
            else if out.contains("allows one connection per user") { outcome = "one connection per user" }
            else if out.contains("violates foreign key constraint") { outcome = "foreign key" }
            else if out.contains("violates check constraint") { outcome = "check" }
            else { outcome = "error: " + out }
            outcomes.append("\(label) → \(outcome)")
        }
        // Reading: the organisation's integrations, each member's own connector connections.
        attempt("A1 (Clerk v2) reads integrations", "select string_agg(connection_id, ' ' order by 1) from public.integrations", claims: a1)
        attempt("A2 (Clerk v1) reads integrations", "select string_agg(connection_id, ' ' order by 1) from public.integrations", claims: a2)
        attempt("A1 reads connector connections", "select string_agg(connection_id, ' ' order by 1) from public.connector_connections", claims: a1)
        attempt("A2 reads connector connections", "select string_agg(connection_id, ' ' order by 1) from public.connector_connections", claims: a2)
        attempt("no claims read integrations", "select count(*) from public.integrations", claims: "")
        attempt("A1 claiming org B by user_id reads", "select count(*) from public.connector_connections where owner_id = 'org-b'", claims: #"{"sub": "b1"}"#)
        // Pointing a row at another tenant's Nango connection.
        attempt("A1 repoints its integration at org B's connection", "update public.integrations set connection_id = 'conn-b' where owner_id = 'org-a'", claims: a1)
        attempt("A1 inserts an integration with org B's connection", "insert into public.integrations (owner_id, provider_config_key, connection_id) values ('org-a', 'hubspot', 'conn-b')", claims: a1)
        attempt("A1 upserts over its integration", "insert into public.integrations (owner_id, provider_config_key, connection_id) values ('org-a', 'gmail', 'conn-b') on conflict (owner_id, provider_config_key) do update set connection_id = excluded.connection_id", claims: a1)
        // Claiming what the server decides.
        attempt("A1 grants itself scopes", "update public.integrations set granted_scopes = array['https://mail.google.com/'] where owner_id = 'org-a'", claims: a1)
        attempt("A1 turns a revoked connection active", "update public.integrations set status = 'active' where connection_id = 'conn-a-slack'", claims: a1)
        attempt("A1 moves its row to org B", "update public.integrations set owner_id = 'org-b'", claims: a1)
        attempt("A1 edits metadata", "update public.integrations set metadata = '{\"x\": 1}'", claims: a1)
        attempt("A1 deletes the org's integration", "delete from public.integrations where owner_id = 'org-a'", claims: a1)
        attempt("A1 truncates", "truncate public.integrations", claims: a1)
        // Another member's connections in the same organisation.
        attempt("A1 rewrites A2's connection", "update public.connector_connections set connection_id = 'x' where user_id = 'a2'", claims: a1)
        attempt("A1 takes A2's connection", "update public.connector_connections set user_id = 'a1' where user_id = 'a2'", claims: a1)
        attempt("A1 deletes A2's connection", "delete from public.connector_connections where user_id = 'a2'", claims: a1)
        attempt("A1 inserts a connection for A2", "insert into public.connector_connections (owner_id, user_id, connector_slug, provider_config_key, connection_id) values ('org-a', 'a2', 'gmail', 'gmail', 'x')", claims: a1)
        attempt("A1 adds a second HubSpot connection", "insert into public.connector_connections (owner_id, user_id, connector_slug, provider_config_key, instance_id, connection_id) values ('org-a', 'a1', 'hubspot', 'hubspot', 'two', 'x')", claims: a1)
        // The private helpers and the catalog.
        attempt("A1 calls a trigger function", "select keyway.touch_updated_at()", claims: a1)
        attempt("A1 adds a provider to the catalog", "insert into public.integration_providers (provider_config_key, provider, name, category, auth_mode) values ('evil', 'e', 'E', 'c', 'oauth2')", claims: a1)
        attempt("anon reads integrations", "select count(*) from public.integrations", role: "anon")
        attempt("anon reads connector connections", "select count(*) from public.connector_connections", role: "anon")
        // The server writes, and the database still keeps its rules.
        attempt("server reads every tenant", "select count(*) from public.integrations", role: "service_role")
        attempt("server gives org C org B's connection", "insert into public.integrations (owner_id, provider_config_key, connection_id) values ('org-c', 'gmail', 'conn-b')", role: "service_role")
        attempt("server backs a connector connection with an integration's connection", "insert into public.connector_connections (owner_id, user_id, connector_slug, provider_config_key, connection_id) values ('org-c', 'c1', 'gmail', 'gmail', 'conn-a')", role: "service_role")
        attempt("server adds A1 a second HubSpot connection", "insert into public.connector_connections (owner_id, user_id, connector_slug, provider_config_key, instance_id, connection_id) values ('org-a', 'a1', 'hubspot', 'hubspot', 'two', 'x')", role: "service_role")
        attempt("server adds A1 a second Gmail account", "insert into public.connector_connections (owner_id, user_id, connector_slug, provider_config_key, instance_id, connection_id) values ('org-a', 'a1', 'gmail', 'gmail', 'work', 'conn-a1-work') returning instance_id", role: "service_role")
        attempt("server files a connector connection under another integration", "insert into public.connector_connections (owner_id, user_id, connector_slug, provider_config_key, connection_id) values ('org-a', 'a3', 'gmail', 'slack', 'y')", role: "service_role")
        attempt("server files a row with an empty owner", "insert into public.integrations (owner_id, provider_config_key, connection_id) values ('', 'hubspot', 'z')", role: "service_role")
        attempt("server marks needs_reauth; updated_at moves", "update public.integrations set status = 'needs_reauth', updated_at = '2000-01-01' where connection_id = 'conn-a' returning updated_at = now()", role: "service_role")
        #expect(outcomes == [
            "A1 (Clerk v2) reads integrations → conn-a conn-a-slack",
            "A2 (Clerk v1) reads integrations → conn-a conn-a-slack",
            "A1 reads connector connections → conn-a1 conn-a1-hubspot",
            "A2 reads connector connections → conn-a2",
            "no claims read integrations → 0",
            "A1 claiming org B by user_id reads → 0",
            "A1 repoints its integration at org B's connection → denied",
            "A1 inserts an integration with org B's connection → denied",
            "A1 upserts over its integration → denied",
            "A1 grants itself scopes → denied",
            "A1 turns a revoked connection active → denied",
            "A1 moves its row to org B → denied",
            "A1 edits metadata → denied",
            "A1 deletes the org's integration → denied",
            "A1 truncates → denied",
            "A1 rewrites A2's connection → denied",
            "A1 takes A2's connection → denied",
            "A1 deletes A2's connection → denied",
            "A1 inserts a connection for A2 → denied",
            "A1 adds a second HubSpot connection → denied",
            "A1 calls a trigger function → denied",
            "A1 adds a provider to the catalog → denied",
            "anon reads integrations → denied",
            "anon reads connector connections → denied",
            "server reads every tenant → 3",
            "server gives org C org B's connection → one row per connection",
            "server backs a connector connection with an integration's connection → one row per connection",
            "server adds A1 a second HubSpot connection → one connection per user",
            "server adds A1 a second Gmail account → work",
            "server files a connector connection under another integration → foreign key",
            "server files a row with an empty owner → check",
            "server marks needs_reauth; updated_at moves → t",
        ])

        // The harness sees a leak when there is one: a permissive select policy opens org B.
        _ = server.psql(db, "create policy leaky on public.integrations for select to authenticated using (true);")
        outcomes = []
        attempt("A1 reads org B", "select count(*) from public.integrations where owner_id = 'org-b'", claims: a1)
        #expect(outcomes == ["A1 reads org B → 1"])
    }

    @Test("the generated pgTAP tests pass")
    func pgTAP() throws {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        for file in MigrationsFolder.files(in: Self.shippedMigrations) {
            let migrate = server.psqlFile(db, Self.shippedMigrations + "/" + file.fileName)
            try #require(migrate.status == 0, "\(migrate.output)")
        }
        let result = server.psqlFile(db, Self.shippedMigrations + "/tests/rls.sql")
        try #require(result.status == 0, "pgTAP failed to run (is postgresql-15-pgtap installed? bash .ci/run installs it): \(result.output)")
        let lines = result.output.split(separator: "\n").map(String.init)
        let plan = try #require(lines.first { $0.hasPrefix("1..") })
        let planned = Int(plan.dropFirst(3)) ?? -1
        #expect(planned == 63)
        #expect(lines.filter { $0.hasPrefix("ok ") }.count == planned)
        #expect(lines.filter { $0.hasPrefix("not ok") } == [])
    }
}
