import Foundation
import KeywayCore
import KeywayDatabase
import KeywayEmit
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayValidate
import KeywayFiles
import Testing

@Suite("Applying and linting on a real PostgreSQL", .serialized)
struct PostgresApplyTests {
    static let shippedMigrations = PostgresTests.shippedMigrations

    @Test("upgrading step by step equals a fresh install; a new scope marks connections needs_reauth")
    func upgradeEqualsFresh() async throws {
        let server = try PostgresServer.get()
        let upgraded = try server.createDatabase(), installed = try server.createDatabase()
        let out = TempDir(), fresh = TempDir()
        try migrateDiff(Versions.v1(), into: out, name: "initial")
        try await applyPostgres(migrationFiles(out, .postgres), server, upgraded)
        let seeded = server.psql(upgraded, """
            insert into public.integrations (owner_id, provider_config_key, connection_id, granted_scopes) values
              ('a', 'mail', 'c1', array['https://www.googleapis.com/auth/gmail.send']),
              ('b', 'mail', 'c2', array['https://www.googleapis.com/auth/gmail.send', 'https://www.googleapis.com/auth/gmail.readonly']);
            insert into public.connector_connections (owner_id, user_id, connector_slug, provider_config_key, connection_id) values ('a', 'u', 'mail', 'mail', 'c1-user');
            """)
        try #require(seeded.status == 0, "\(seeded.output)")
        try migrateDiff(Versions.v2(), into: out, name: "add_chat")
        try await applyPostgres(migrationFiles(out, .postgres), server, upgraded)
        #expect(server.psql(upgraded, "select owner_id || ':' || status from public.integrations order by owner_id").output == "a:needs_reauth\nb:active\n")
        #expect(server.psql(upgraded, "select status from public.connector_connections").output == "needs_reauth\n")
        try migrateDiff(Versions.v3(), into: out, name: "drop_chat", allowDestructive: true)
        let applied = try await applyPostgres(migrationFiles(out, .postgres), server, upgraded)
        #expect(applied.map(\.version) == ["0003"])

        try migrateDiff(Versions.v3(), into: fresh, name: "initial")
        try await applyPostgres(migrationFiles(fresh, .postgres), server, installed)
        #expect(try postgresState(server, upgraded) == postgresState(server, installed))
        #expect(try postgresState(server, installed) == SchemaState(try #require(Versions.v3().validate().catalog)))
        #expect(postgresStructure(server, upgraded) == postgresStructure(server, installed))
    }

    @Test("apply: ledger with checksums, a failing migration rolled back, an edited one refused")
    func applySemantics() async throws {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        let folder = TempDir()
        folder.write("0001_good.sql", "create table public.t (x int);\ncomment on table public.t is 'semi; colon $$ in ''quotes''';\n")
        folder.write("0002_bad.sql", "create table public.u (x int);\ninsert into public.nowhere values (1);\n")
        await #expect(throws: MigrationError.self) { try await applyPostgres(MigrationsFolder.files(in: folder.path), server, db) }
        #expect(server.psql(db, "select version || ':' || name || ':' || checksum from keyway.schema_migrations").output
                == "0001:good:\(MigrationsFolder.files(in: folder.path)[0].checksum)\n")
        #expect(server.psql(db, "select count(*) from pg_tables where tablename = 'u'").output == "0\n", "the failed migration rolled back")
        #expect(server.psql(db, "select obj_description('public.t'::regclass)").output == "semi; colon $$ in 'quotes'\n")
        folder.write("0002_bad.sql", "create table public.u (x int);\n")
        #expect(try await applyPostgres(MigrationsFolder.files(in: folder.path), server, db).map(\.version) == ["0002"])
        folder.write("0001_good.sql", "create table public.t (x int, y int);\n")
        do {
            try await applyPostgres(MigrationsFolder.files(in: folder.path), server, db)
            Issue.record("an edited migration was applied")
        } catch {
            #expect("\(error)".contains("applied with another checksum"))
        }
    }

    @Test("two appliers at once: the second waits for the first and then finds nothing to do")
    func concurrentAppliers() async throws {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        let folder = TempDir()
        folder.write("0001_slow.sql", "select pg_sleep(1);\ncreate table public.slow (x int);\n")
        let files = MigrationsFolder.files(in: folder.path)
        let clock = ContinuousClock()
        let start = clock.now
        async let first = applyPostgres(files, server, db)
        try await Task.sleep(for: .milliseconds(200))
        async let second = applyPostgres(files, server, db)
        let (a, b) = try await (first, second)
        #expect(a.count + b.count == 1, "exactly one applier ran the migration")
        #expect(clock.now - start >= .seconds(1))
        #expect(server.psql(db, "select count(*) from keyway.schema_migrations").output == "1\n")
    }

    @Test("hostile strings reach PostgreSQL only as literals, and come back byte for byte")
    func hostileStringsApplied() async throws {
        let server = try PostgresServer.get()
        for text in hostileStrings + ["'; drop table public.integrations; --", "\\'); delete from public.connectors; --", "$$ $function$ \" ; /* */ E'\\x'"] {
            let manifests = CatalogEmitterTests.hostileFolder(text), out = TempDir()
            try migrateDiff(manifests, into: out, name: "initial")
            let db = try server.createDatabase()
            try await applyPostgres(migrationFiles(out, .postgres), server, db)
            let state = try postgresState(server, db)
            #expect(state.integrations.first?.name == text)
            #expect(state == SchemaState(try #require(manifests.validate().catalog)))
            // With standard_conforming_strings off (old servers) the literals mean the same.
            let legacy = try server.createDatabase()
            _ = server.psql(legacy, "alter database \(legacy) set standard_conforming_strings = off;")
            try await applyPostgres(migrationFiles(out, .postgres), server, legacy)
            #expect(try postgresState(server, legacy).integrations.first?.name == text)
        }
    }

    @Test("lint: no finding on keyway's schema; each rule fires on a hand-broken one")
    func lint() async throws {
        let server = try PostgresServer.get()
        let ours = try server.createDatabase()
        try await applyPostgres(MigrationsFolder.files(in: Self.shippedMigrations), server, ours)
        let clean = try await connect(server, ours)
        let findings = try await Linter().run(on: clean)
        await clean.close()
        #expect(findings == [])

        let broken = try server.createDatabase()
        let setup = server.psql(broken, """
            create table public.no_rls (id int, api_token text);
            create table public.no_policy (id int);
            alter table public.no_policy enable row level security;
            create table public.policy_off (id int);
            create policy p on public.policy_off for select to authenticated using (true);
            create function public.owner() returns text language sql stable as $$ select current_setting('request.jwt.claims', true) $$;
            create table public.docs (owner text);
            alter table public.docs enable row level security;
            create policy no_role on public.docs for select using (owner = public.owner());
            create policy bare on public.docs for update to authenticated using (owner = current_setting('request.jwt.claims', true)) with check (true);
            create policy second on public.docs for select to authenticated using (owner = (select public.owner()));
            create policy third on public.docs for select to authenticated using (owner = (select public.owner()));
            create table public.links (owner text, connection_id text);
            alter table public.links enable row level security;
            create policy links_own on public.links for all to authenticated using (owner = (select public.owner())) with check (owner = (select public.owner()));
            grant select, insert on public.links to authenticated;
            grant update (connection_id) on public.links to anon;
            """)
        try #require(setup.status == 0, "\(setup.output)")
        let db = try await connect(server, broken)
        let found = try await Linter().run(on: db)
        await db.close()
        let rules = Set(found.map { "\($0.rule) \($0.object)" })
        for expected in [
            "rls_disabled_in_public public.no_rls", "rls_enabled_no_policy public.no_policy", "policy_exists_rls_disabled public.policy_off",
            "policy_without_role public.docs", "auth_rls_initplan public.docs", "permissive_true_on_write public.docs",
            "multiple_permissive_policies public.docs", "function_search_path_mutable public.owner", "sensitive_columns_exposed public.no_rls",
            "tenant_writable_connection_id public.links",
        ] {
            #expect(rules.contains(expected), "\(expected) not in \(rules.sorted())")
        }
        #expect(found.filter { $0.code == TenantWritableConnectionID.code }.map(\.message) == [
            "anon may update connection_id: a tenant could point its row at another tenant's Nango connection and act with that grant; `revoke insert, update on public.links from anon` and let the server (service_role) write connections",
            "authenticated may insert connection_id: a tenant could point its row at another tenant's Nango connection and act with that grant; `revoke insert, update on public.links from authenticated` and let the server (service_role) write connections",
        ])
        // keyway's own schema as it was before the trust boundary (0001 alone) is flagged.
        let before = try server.createDatabase()
        try await applyPostgres([MigrationsFolder.files(in: Self.shippedMigrations)[0]], server, before)
        let old = try await connect(server, before)
        let oldFindings = try await Linter().run(on: old).filter { $0.code == TenantWritableConnectionID.code }.map(\.object)
        await old.close()
        #expect(oldFindings == ["public.connector_connections", "public.integrations"])
        #expect(try KeywayRun.run(["migrate", "lint", "--database", server.urlString(broken)]).status == 1)
        let run = try KeywayRun.run(["migrate", "lint", "--database", server.urlString(ours)])
        #expect(run.status == 0 && run.stdout == "" && run.stderr == "", "\(run.stdout)\(run.stderr)")
    }

    @Test("the keyway command applies to PostgreSQL and reports status")
    func command() throws {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        let apply = try KeywayRun.run(["migrate", "apply", "--database", server.urlString(db), "--migrations", Self.shippedMigrations])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(apply.stdout.contains("applied 0001_initial"))
        let status = try KeywayRun.run(["migrate", "status", "--database", server.urlString(db), "--migrations", Self.shippedMigrations])
        #expect(status.status == 0 && status.stdout.hasPrefix("applied  0001_initial"), "\(status.stdout)\(status.stderr)")
        let again = try KeywayRun.run(["migrate", "apply", "--database", server.urlString(db), "--migrations", Self.shippedMigrations])
        #expect(again.stdout.contains("(0 applied now)"))
    }
}

@Suite("TLS to PostgreSQL")
struct PostgresTLSTests {
    @Test("sslmode=require encrypts the connection; verify-full refuses a self-signed certificate")
    func tls() async throws {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        let url = try DatabaseURL.parse("postgres://postgres@127.0.0.1:\(server.port)/\(db)?sslmode=require")
        let connection = try await PostgresMigrationDatabase.connect(url)
        let rows = try await connection.query("select ssl from pg_stat_ssl where pid = pg_backend_pid()")
        await connection.close()
        #expect(try rows.first?.decode(Bool.self) == true)
        let strict = try DatabaseURL.parse("postgres://postgres@127.0.0.1:\(server.port)/\(db)?sslmode=verify-full")
        await #expect(throws: MigrationError.self) { try await PostgresMigrationDatabase.connect(strict) }
        #expect(url.redacted == "postgres://postgres@127.0.0.1:\(server.port)/\(db)?sslmode=require")
        #expect(try DatabaseURL.parse("postgres://u:p%40ss@h/d").redacted == "postgres://u@h:5432/d?sslmode=require")
    }
}
