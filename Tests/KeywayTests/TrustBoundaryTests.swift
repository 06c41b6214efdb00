import Foundation
import GRDB
import KeywayCore
import KeywayDatabase
import KeywayEmit
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayValidate
import KeywayFiles
import Testing

/// The trust boundary as migrations ship it: an existing (format 1) database upgraded by
/// keyway's own `migrate diff` output, the claim paths of `keyway.yaml`, and the rules
/// the database keeps on both dialects.
@Suite("Trust boundary: upgrades, claims, database rules", .serialized)
struct TrustBoundaryTests {
    static let shipped = packageRoot.appendingPathComponent("Generated/Migrations").path

    /// The shipped history begins at format 1 (0001) and upgrades in 0002.
    @Test("PostgreSQL: the shipped history (format 1, then the upgrade) equals a fresh install, rows kept")
    func postgresUpgradeFromFormatOne() async throws {
        let server = try PostgresServer.get()
        let upgraded = try server.createDatabase(), fresh = try server.createDatabase()
        let history = MigrationsFolder.files(in: Self.shipped + "/postgres")
        #expect(history.map(\.fileName) == ["0001_initial.sql", "0002_trust_boundary.sql", "0003_calendar_events_scope.sql", "0004_call_log.sql"])
        try await applyPostgres([history[0]], server, upgraded)
        let seeded = server.psql(upgraded, """
            insert into public.integrations (owner_id, provider_config_key, connection_id, granted_scopes) values ('org-a', 'gmail', 'c1', array['s']);
            insert into public.connector_connections (owner_id, user_id, connector_slug, connection_id, instance_id) values
              ('org-a', 'u1', 'gmail', 'c2', 'work'), ('org-a', 'u1', 'hubspot', 'c3', 'default');
            """)
        try #require(seeded.status == 0, "\(seeded.output)")
        try await applyPostgres(history, server, upgraded)
        let out = TempDir(), manifests = TempDir()
        try FileManager.default.copyItem(atPath: packageRoot.appendingPathComponent("Manifests").path, toPath: manifests.path + "/m")
        _ = try withExtendedLifetime((out, manifests)) {
            try migrateDiffWriting(manifests: manifests.path + "/m", output: out.path, name: "initial", allowDestructive: false, templates: Pipeline.templates(overrides: nil))
        }
        try await applyPostgres(migrationFiles(out, .postgres), server, fresh)
        #expect(postgresStructure(server, upgraded) == postgresStructure(server, fresh))
        #expect(server.psql(upgraded, "select connector_slug || ':' || provider_config_key || ':' || instance_id || ':' || connection_id from public.connector_connections order by 1").output
                == "gmail:gmail:work:c2\nhubspot:hubspot:default:c3\n")
        #expect(server.psql(upgraded, "select owner_id || ':' || connection_id || ':' || array_to_string(granted_scopes, ',') || ':' || (connected_by is null) from public.integrations").output == "org-a:c1:s:true\n")
    }

    @Test("PostgreSQL: the upgrade refuses rows the new rules reject, names them, and changes nothing")
    func postgresUpgradeRefusesConflicts() async throws {
        let server = try PostgresServer.get()
        let history = MigrationsFolder.files(in: Self.shipped + "/postgres")
        for (seed, message) in [
            ("insert into public.integrations (owner_id, provider_config_key, connection_id) values ('org-a', 'gmail', 'same'), ('org-b', 'gmail', 'same')",
             "several integrations rows share one Nango connection (gmail/same)"),
            ("insert into public.connector_connections (owner_id, user_id, connector_slug, connection_id, instance_id) values ('org-a', 'u1', 'hubspot', 'h1', 'default'), ('org-a', 'u1', 'hubspot', 'h2', 'second')",
             "connectors that allow one connection per user hold connections with an instance_id other than 'default' (hubspot (user u1))"),
            ("insert into public.integrations (owner_id, provider_config_key, connection_id) values ('org-a', 'gmail', 'both'); insert into public.connector_connections (owner_id, user_id, connector_slug, connection_id) values ('org-a', 'u1', 'gmail', 'both')",
             "Nango connections back both an integrations row and a connector_connections row (gmail/both)"),
        ] {
            let db = try server.createDatabase()
            try await applyPostgres([history[0]], server, db)
            try #require(server.psql(db, seed).status == 0)
            let before = postgresStructure(server, db)
            do {
                try await applyPostgres(history, server, db)
                Issue.record("the upgrade ran over \(seed)")
            } catch {
                #expect("\(error)".hasPrefix("0002_trust_boundary.sql:37:1: migration 0002_trust_boundary.sql failed at line 37 (`do $check$`) and was rolled back, with nothing after it applied: keyway: \(message); "), "\(error)")
            }
            #expect(postgresStructure(server, db) == before)
            #expect(server.psql(db, "select string_agg(version, ',') from keyway.schema_migrations").output == "0001\n")
        }
    }

    @Test("SQLite: the shipped history equals a fresh install, rows kept; the database keeps the rules")
    func sqliteUpgradeAndRules() async throws {
        let dbs = TempDir()
        let history = MigrationsFolder.files(in: Self.shipped + "/sqlite")
        _ = try await Migrator.apply(files: [history[0]], to: SQLiteMigrationDatabase(path: dbs.path + "/up.sqlite"))
        let upgraded = try DatabaseQueue(path: dbs.path + "/up.sqlite")
        try await upgraded.write { db in
            try db.execute(sql: """
                insert into integrations (id, owner_id, provider_config_key, connection_id, granted_scopes) values ('i1', 'org-a', 'gmail', 'c1', '["s"]');
                insert into connector_connections (id, owner_id, user_id, connector_slug, connection_id, instance_id) values ('r1', 'org-a', 'u1', 'gmail', 'c2', 'work');
                """)
        }
        _ = try await Migrator.apply(files: history, to: SQLiteMigrationDatabase(path: dbs.path + "/up.sqlite"))
        let out = TempDir(), manifests = TempDir()
        try FileManager.default.copyItem(atPath: packageRoot.appendingPathComponent("Manifests").path, toPath: manifests.path + "/m")
        _ = try withExtendedLifetime((out, manifests)) {
            try migrateDiffWriting(manifests: manifests.path + "/m", output: out.path, name: "initial", allowDestructive: false, templates: Pipeline.templates(overrides: nil))
        }
        _ = try await Migrator.apply(files: migrationFiles(out, .sqlite), to: SQLiteMigrationDatabase(path: dbs.path + "/fresh.sqlite"))
        let fresh = try DatabaseQueue(path: dbs.path + "/fresh.sqlite")
        #expect(try await sqliteStructure(upgraded) == sqliteStructure(fresh))
        #expect(try await upgraded.read { try String.fetchAll($0, sql: "select id || ':' || provider_config_key || ':' || connection_id from connector_connections union all select id || ':' || connection_id || ':' || granted_scopes from integrations order by 1") }
                == ["i1:c1:[\"s\"]", "r1:gmail:c2"])

        // The rules, as the application (the server) writes.
        func attempt(_ sql: String) async -> String {
            do {
                try await upgraded.write { try $0.execute(sql: sql) }
                return "ok"
            } catch let error as DatabaseError {
                return error.message ?? "\(error)"
            } catch { return "\(error)" }
        }
        #expect(await attempt("insert into integrations (owner_id, provider_config_key, connection_id) values ('org-b', 'gmail', 'c1')") == "UNIQUE constraint failed: integrations.provider_config_key, integrations.connection_id")
        #expect(await attempt("insert into connector_connections (owner_id, user_id, connector_slug, provider_config_key, connection_id) values ('org-b', 'u9', 'gmail', 'gmail', 'c1')") == "keyway: this Nango connection already backs an integrations row; one Nango connection backs one row")
        #expect(await attempt("insert into integrations (owner_id, provider_config_key, connection_id) values ('org-b', 'gmail', 'c2')") == "keyway: this Nango connection already backs a connector_connections row; one Nango connection backs one row")
        #expect(await attempt("insert into connector_connections (owner_id, user_id, connector_slug, provider_config_key, instance_id, connection_id) values ('org-a', 'u1', 'hubspot', 'hubspot', 'two', 'h2')") == "keyway: this connector allows one connection per user (multiple_connections: false in its manifest); use instance_id 'default' to replace the connection")
        #expect(await attempt("insert into connector_connections (owner_id, user_id, connector_slug, provider_config_key, connection_id) values ('org-a', 'u1', 'gmail', 'slack', 'x')") == "FOREIGN KEY constraint failed")
        #expect(await attempt("insert into integrations (owner_id, provider_config_key, connection_id, status) values ('org-a', 'slack', 's1', 'expired')") == "ok")
        try await upgraded.write { try $0.execute(sql: "update integrations set updated_at = '2000-01-01T00:00:00.000Z' where id = 'i1'") }
        #expect(try await upgraded.read { try String.fetchOne($0, sql: "select updated_at from integrations where id = 'i1'") } == "2000-01-01T00:00:00.000Z", "an explicit updated_at is kept")
        try await upgraded.write { try $0.execute(sql: "update integrations set status = 'needs_reauth' where id = 'i1'") }
        #expect(try await upgraded.read { try Bool.fetchOne($0, sql: "select updated_at > '2020' from integrations where id = 'i1'") } == true, "updated_at moves on a change")
    }

    @Test("a connector that stops allowing several connections: the migration refuses while users hold several, on both dialects")
    func restrictToOneConnection() async throws {
        let server = try PostgresServer.get()
        let out = TempDir(), dbs = TempDir()
        try migrateDiff(Versions.v1(), into: out, name: "initial")
        let pg = try server.createDatabase()
        try await applyPostgres(migrationFiles(out, .postgres), server, pg)
        _ = try await Migrator.apply(files: migrationFiles(out, .sqlite), to: SQLiteMigrationDatabase(path: dbs.path + "/r.sqlite"))
        let rows = "insert into connector_connections (owner_id, user_id, connector_slug, provider_config_key, instance_id, connection_id) values ('o', 'u', 'mail', 'mail', 'default', 'c1'), ('o', 'u', 'mail', 'mail', 'work', 'c2')"
        try #require(server.psql(pg, rows.replacingOccurrences(of: "into connector", with: "into public.connector")).status == 0)
        try await DatabaseQueue(path: dbs.path + "/r.sqlite").write { try $0.execute(sql: rows) }
        let single = Fixture.folder(connector: Fixture.connector.replacing1("multiple_connections: true", "multiple_connections: false"))
        try migrateDiff(single, into: out, name: "one_mail")
        let message = "keyway: connector mail now allows one connection per user (multiple_connections: false), but users hold several; remove the connections whose instance_id is not 'default', then apply again"
        do {
            try await applyPostgres(migrationFiles(out, .postgres), server, pg)
            Issue.record("applied over two connections")
        } catch {
            #expect("\(error)" == "0002_one_mail.sql:6:1: migration 0002_one_mail.sql failed at line 6 (`do $guard$`) and was rolled back, with nothing after it applied: \(message)")
        }
        do {
            _ = try await Migrator.apply(files: migrationFiles(out, .sqlite), to: SQLiteMigrationDatabase(path: dbs.path + "/r.sqlite"))
            Issue.record("applied over two connections")
        } catch {
            #expect("\(error)".contains("CHECK constraint failed: \(message)"), "\(error)")
        }
        // Once the extra connection is gone, both apply.
        _ = server.psql(pg, "delete from public.connector_connections where instance_id = 'work'")
        try await DatabaseQueue(path: dbs.path + "/r.sqlite").write { try $0.execute(sql: "delete from connector_connections where instance_id = 'work'") }
        #expect(try await applyPostgres(migrationFiles(out, .postgres), server, pg).map(\.version) == ["0002"])
        #expect(try await Migrator.apply(files: migrationFiles(out, .sqlite), to: SQLiteMigrationDatabase(path: dbs.path + "/r.sqlite")).map(\.version) == ["0002"])
    }

    @Test("keyway.yaml's claim paths: a change is a migration that redefines the tenant functions, and they read the new paths")
    func claimPathsChange() async throws {
        let server = try PostgresServer.get()
        let manifests = Versions.v1(), out = TempDir()
        try migrateDiff(manifests, into: out, name: "initial")
        #expect(try migrateDiff(manifests, into: out, name: "nothing").written == [])
        let custom = ProjectConfig(tenancy: TenantClaims(user: [.init(["user_id"])], organization: [.init(["app_metadata", "tenant"])]))
        let result = try migrateDiff(manifests, into: out, name: "claims", config: custom)
        #expect(result.written.sorted() == ["Migrations/postgres/0002_claims.sql", "Migrations/postgres/keyway.sum", "Migrations/schema.json",
                                            "Migrations/sqlite/0002_claims.sql", "Migrations/sqlite/keyway.sum"].map { out.path + "/" + $0 })
        let sql = try #require(out.read("Migrations/postgres/0002_claims.sql"))
        #expect(sql.contains("coalesce(nullif(request.claims #>> '{app_metadata,tenant}', ''), nullif(request.claims #>> '{user_id}', ''))"))
        #expect(!sql.contains("create table") && !sql.contains("create policy"))
        let db = try server.createDatabase()
        try await applyPostgres(migrationFiles(out, .postgres), server, db)
        #expect(server.psql(db, #"set request.jwt.claims = '{"sub": "s", "user_id": "u", "app_metadata": {"tenant": "t"}}'; select public.requesting_owner_id() || '|' || public.requesting_user_id()"#).output == "t|u\n")
        #expect(server.psql(db, #"set request.jwt.claims = '{"sub": "s", "user_id": "u"}'; select public.requesting_owner_id()"#).output == "u\n")
        // check sees the snapshot matches this configuration, and not the default one.
        let catalog = try #require(Pipeline.validate(manifests: manifests.path, config: custom).catalog)
        #expect(MigrationsFolder(output: out.path).check(catalog) == [])
        let defaults = try #require(manifests.validate().catalog)
        #expect(MigrationsFolder(output: out.path).check(defaults).map(\.message) == ["the manifests changed since the last migration; run `keyway migrate diff --name NAME` and commit the new migration"])
    }

    @Test("tenancy.admin: adding it is a migration (requesting_is_admin(), the call log's policy replaced); the generated pgTAP tests pass with it; an organisation's administrator reads all of its calls, nobody more than their own; removing it is a migration back")
    func adminClaim() async throws {
        let server = try PostgresServer.get()
        let manifests = Versions.v1(), out = TempDir()
        try migrateDiff(manifests, into: out, name: "initial")
        var tenancy = TenantClaims.default
        tenancy.admin = .init(claims: [.init(["o", "rol"]), .init(["org_role"])], values: ["admin", "org:admin"])
        let admins = ProjectConfig(tenancy: tenancy)
        let added = try migrateDiff(manifests, into: out, name: "admins", config: admins)
        #expect(added.written.sorted() == ["Migrations/postgres/0002_admins.sql", "Migrations/postgres/keyway.sum", "Migrations/schema.json",
                                           "Migrations/sqlite/0002_admins.sql", "Migrations/sqlite/keyway.sum"].map { out.path + "/" + $0 })
        let sql = try #require(out.read("Migrations/postgres/0002_admins.sql"))
        // The whole file: the tenant functions again (the claims changed), the new one, the policy.
        func header(_ version: String, _ name: String) -> String {
            "-- keyway migration \(version) \"\(name)\" for PostgreSQL (Supabase roles: anon, authenticated, service_role).\n"
                + "-- Released history: never edit this file; change the manifests and run `keyway migrate diff`.\n\n"
        }
        let tenantFunctions = """
            -- (anon is named in the revokes: Supabase's default privileges grant it every new
            -- function in public, which revoking from public alone leaves in place.)
            -- The tenant of a request, from the JWT claims PostgREST sets (request.jwt.claims), by
            -- the claim paths of keyway.yaml's `tenancy:` (sub for the user;
            -- o.id, org_id for the organisation). requesting_owner_id(): the organisation,
            -- else the user; requesting_user_id(): the user. Stable, so that policies call them once
            -- per statement when wrapped as (select …); fixed search_path.
            create or replace function public.requesting_owner_id()
            returns text
            language sql
            stable
            set search_path = ''
            as $function$
              select coalesce(nullif(request.claims #>> '{o,id}', ''), nullif(request.claims #>> '{org_id}', ''), nullif(request.claims #>> '{sub}', ''))
              from (select nullif(current_setting('request.jwt.claims', true), '')::jsonb as claims) as request
            $function$;
            revoke all on function public.requesting_owner_id() from public, anon;
            grant execute on function public.requesting_owner_id() to authenticated, service_role;

            create or replace function public.requesting_user_id()
            returns text
            language sql
            stable
            set search_path = ''
            as $function$
              select coalesce(nullif(request.claims #>> '{sub}', ''))
              from (select nullif(current_setting('request.jwt.claims', true), '')::jsonb as claims) as request
            $function$;
            revoke all on function public.requesting_user_id() from public, anon;
            grant execute on function public.requesting_user_id() to authenticated, service_role;

            """
        #expect(sql == header("0002", "admins") + tenantFunctions + """

            -- An organisation's administrator (keyway.yaml's `tenancy.admin`: the first of
            -- o.rol, org_role present holds one of the roles below) reads all of its call log.
            create or replace function public.requesting_is_admin()
            returns boolean
            language sql
            stable
            set search_path = ''
            as $function$
              select coalesce(coalesce(nullif(request.claims #>> '{o,rol}', ''), nullif(request.claims #>> '{org_role}', '')) = any (array['admin', 'org:admin']::text[]), false)
              from (select nullif(current_setting('request.jwt.claims', true), '')::jsonb as claims) as request
            $function$;
            revoke all on function public.requesting_is_admin() from public, anon;
            grant execute on function public.requesting_is_admin() to authenticated, service_role;

            -- Who reads the call log changed (keyway.yaml's `tenancy.admin`).
            drop policy tool_calls_select_own on public.tool_calls;
            create policy tool_calls_select_own on public.tool_calls for select to authenticated
              using (owner_id = (select public.requesting_owner_id()) and (user_id = (select public.requesting_user_id()) or (select public.requesting_is_admin())));

            """)


        // The pgTAP tests generated for this configuration, on a database of its history.
        let catalog = try #require(Pipeline.validate(manifests: manifests.path, config: admins).catalog)
        let rls = try RLSTestsEmitter().emit(catalog, templates: Pipeline.templates(overrides: nil))
        out.write("rls-admins.sql", rls[0].contents)
        let tapDB = try server.createDatabase()
        try await applyPostgres(migrationFiles(out, .postgres), server, tapDB)
        let tap = server.psqlFile(tapDB, out.path + "/rls-admins.sql")
        try #require(tap.status == 0, "\(tap.output)")
        let lines = tap.output.split(separator: "\n").map(String.init)
        #expect(lines.first { $0.hasPrefix("1..") } == "1..67")
        #expect(lines.filter { $0.hasPrefix("ok ") }.count == 67)
        #expect(lines.filter { $0.hasPrefix("not ok") } == [])

        // Tenants of every kind, reading three calls.
        let db = try server.createDatabase()
        try await applyPostgres(migrationFiles(out, .postgres), server, db)
        #expect(server.psql(db, """
            insert into public.tool_calls (tool, connector_slug, provider_config_key, owner_id, user_id, outcome, latency_ms) values
              ('a1', 'mail', 'mail', 'org-a', 'user-a1', 'ok', 1), ('a2', 'mail', 'mail', 'org-a', 'user-a2', 'ok', 1), ('b', 'mail', 'mail', 'user-b', 'user-b', 'ok', 1)
            """).status == 0)
        func read(_ claims: String) -> String {
            server.psql(db, """
                begin;
                set local role authenticated;
                set local request.jwt.claims = '\(claims)';
                select coalesce(string_agg(tool, ',' order by tool), '') from public.tool_calls;
                commit;
                """).output
        }
        let readers = [
            #"{"sub": "user-a2", "o": {"id": "org-a", "rol": "admin"}}"#,
            #"{"sub": "user-a1", "org_id": "org-a", "org_role": "org:admin"}"#,
            #"{"sub": "user-a1", "o": {"id": "org-a", "rol": "member"}}"#,
            #"{"sub": "user-a1", "o": {"id": "org-a", "rol": "member"}, "org_role": "org:admin"}"#,
            #"{"sub": "user-a1", "o": {"id": "org-a"}, "role": "admin"}"#,
            #"{"sub": "user-c", "o": {"id": "org-c", "rol": "admin"}}"#,
            #"{"sub": "user-b", "o": {"rol": "admin"}}"#,
        ]
        #expect(readers.map(read) == ["a1,a2\n", "a1,a2\n", "a1\n", "a1\n", "a1\n", "\n", "b\n"])

        // Without it again: the policy goes back to each user's own, the function goes.
        let removed = try migrateDiff(manifests, into: out, name: "no-admins")
        #expect(removed.written.count == 5)
        let back = try #require(out.read("Migrations/postgres/0003_no-admins.sql"))
        #expect(back == header("0003", "no-admins") + tenantFunctions + """

            -- Who reads the call log changed (keyway.yaml's `tenancy.admin`).
            drop policy tool_calls_select_own on public.tool_calls;
            create policy tool_calls_select_own on public.tool_calls for select to authenticated
              using (owner_id = (select public.requesting_owner_id()) and user_id = (select public.requesting_user_id()));

            -- Nobody administers an organisation's call log any more.
            drop function public.requesting_is_admin();

            """)

        try await applyPostgres(migrationFiles(out, .postgres), server, db)
        #expect(readers.map(read) == ["a2\n", "a1\n", "a1\n", "a1\n", "a1\n", "\n", "b\n"])
        #expect(server.psql(db, "select count(*) from pg_proc where proname = 'requesting_is_admin'").output == "0\n")
    }

    @Test("keyway.yaml is strict: every problem at its line and column, with what to do")
    func configDiagnostics() throws {
        let dir = TempDir()
        dir.write("keyway.yaml", """
            tenancy:
              user_claims: [sub, sub]
              organisation_claims: [o.id]
              organization_claims: ["o..id", sub, "https://x"]
            extra: 1

            """)
        do {
            _ = try Pipeline.projectConfig(path: dir.path + "/keyway.yaml")
            Issue.record("accepted a bad keyway.yaml")
        } catch {
            let file = dir.path + "/keyway.yaml"
            #expect(error.diagnostics.map(\.formatted) == [
                "\(file):2:22: error: claim 'sub' is listed twice in 'user_claims'; remove one",
                "\(file):3:3: error: unknown key 'organisation_claims'; did you mean 'organization_claims'?",
                "\(file):4:25: error: 'o..id' is not a claim path; write claim names (letters, digits, _, -, :) joined by '.', like o.id",
                "\(file):4:34: error: claim 'sub' is listed as both a user and an organisation claim; a claim names one or the other",
                "\(file):4:39: error: 'https://x' is not a claim path; write claim names (letters, digits, _, -, :) joined by '.', like o.id",
                "\(file):5:1: error: unknown key 'extra' in keyway.yaml; allowed keys: manifests, output, artifacts, templates, swift, migrations, tenancy",
            ])
        }
        dir.write("admin.yaml", """
            tenancy:
              admin:
                claims: [user_metadata.role, o.id, "a..b"]
                values: [admin, admin, "bad role"]

            """)
        do {
            _ = try Pipeline.projectConfig(path: dir.path + "/admin.yaml")
            Issue.record("accepted a bad admin claim")
        } catch {
            let file = dir.path + "/admin.yaml"
            #expect(error.diagnostics.map(\.formatted) == [
                "\(file):3:14: error: 'user_metadata.role' is in user_metadata, which users edit themselves (Supabase): anyone could make themselves an admin; put the role in app_metadata",
                "\(file):3:34: error: claim 'o.id' names a user or an organisation; an admin claim holds a role",
                "\(file):3:40: error: 'a..b' is not a claim path; write claim names (letters, digits, _, -, :) joined by '.', like o.id",
                "\(file):4:21: error: 'admin' is listed twice in 'values'; remove one",
                "\(file):4:28: error: 'bad role' is not a role; write letters, digits, _, -, : and . (at most 64), like org:admin",
            ])
        }
        dir.write("half.yaml", "tenancy:\n  admin: { claims: [o.rol] }\n")
        #expect(throws: DiagnosticsError.self) { try Pipeline.projectConfig(path: dir.path + "/half.yaml") }
        do {
            _ = try Pipeline.projectConfig(path: dir.path + "/half.yaml")
        } catch {
            #expect(error.diagnostics.map(\.formatted) == [
                "\(dir.path)/half.yaml:2:10: error: 'admin' needs 'claims' (where the role is, like [o.rol]) and 'values' (the roles that administer, like [admin])",
            ])
        }
        // A list whose one role is refused says so once; an empty list and a scalar say
        // their own thing, once each.
        for (values, expected) in [
            (#"["bad'"]"#, "4:14: error: 'bad'' is not a role; write letters, digits, _, -, : and . (at most 64), like org:admin"),
            ("[]", "4:13: error: 'values' must name at least one role, like [admin]"),
            ("admin", "4:13: error: 'values' must be a list of strings, found 'admin'; write it as […] or one '- item' a line"),
        ] {
            dir.write("roles.yaml", "tenancy:\n  admin:\n    claims: [o.rol]\n    values: \(values)\n")
            do {
                _ = try Pipeline.projectConfig(path: dir.path + "/roles.yaml")
                Issue.record("accepted admin values \(values)")
            } catch {
                #expect(error.diagnostics.map(\.formatted) == ["\(dir.path)/roles.yaml:\(expected)"])
            }
        }
        dir.write("ok.yaml", "tenancy:\n  organization_claims: [org_id]\n")
        #expect(try Pipeline.projectConfig(path: dir.path + "/ok.yaml") == ProjectConfig(
            manifests: dir.path + "/Manifests", output: dir.path + "/Generated", migrations: .init(supabaseOutput: dir.path + "/supabase/migrations"),
            tenancy: TenantClaims(user: [.init(["sub"])], organization: [.init(["org_id"])])))
        #expect(throws: DiagnosticsError.self) { try Pipeline.projectConfig(path: dir.path + "/missing.yaml") }
        // The shipped keyway.yaml spells out the default tenancy; its Swift goes to the reference target.
        let root = packageRoot.path
        #expect(try Pipeline.projectConfig(path: root + "/keyway.yaml") == ProjectConfig(
            manifests: root + "/Manifests", output: root + "/Generated", swiftOutput: root + "/Tests/ReferenceTools/Generated",
            migrations: .init(supabaseOutput: root + "/supabase/migrations")))
    }
}

/// The attacks of a second, independent pass (isolation levels, Supabase's default
/// privileges), kept as regressions.
@Suite("Trust boundary: isolation levels and Supabase's default privileges", .serialized)
struct TrustBoundaryIsolationTests {
    @Test("one Nango connection backs one row even when the second writer reads an older snapshot (REPEATABLE READ, SERIALIZABLE)")
    func isolationLevels() async throws {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        try await applyPostgres(MigrationsFolder.files(in: PostgresTests.shippedMigrations), server, db)
        for level in ["repeatable read", "serializable"] {
            let id = "dup-" + level.prefix(3)
            let first = try await connect(server, db), second = try await connect(server, db)
            var outcome = ""
            do {
                try await second.run(script: "begin isolation level \(level); set local role service_role; select count(*) from public.connectors")
                try await first.run(script: "set role service_role; insert into public.integrations (owner_id, provider_config_key, connection_id) values ('org-\(id)', 'slack', '\(id)')")
                do {
                    try await second.run(script: "insert into public.connector_connections (owner_id, user_id, connector_slug, provider_config_key, connection_id) values ('org-b', 'b1', 'slack', 'slack', '\(id)')")
                    try await second.run(script: "commit")
                    outcome = "committed"
                } catch {
                    outcome = PostgresMigrationDatabase.describe(error)
                    try? await second.run(script: "rollback")
                }
            } catch {
                outcome = "setup failed: \(PostgresMigrationDatabase.describe(error))"
            }
            await first.close()
            await second.close()
            #expect(outcome.hasPrefix("keyway: Nango connection \(id) of slack already backs a row") || outcome.contains("could not serialize"), "\(level): \(outcome)")
            #expect(server.psql(db, "select count(*) from public.connector_connections where connection_id = '\(id)'").output == "0\n")
        }
    }

    @Test("with Supabase's default privileges (every new public function executable by anon), anon still cannot call the tenant functions")
    func supabaseDefaultPrivileges() async throws {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        try #require(server.psql(db, "alter default privileges in schema public grant execute on functions to anon, authenticated, service_role; alter default privileges in schema public grant all on tables to anon, authenticated, service_role;").status == 0)
        try await applyPostgres(MigrationsFolder.files(in: PostgresTests.shippedMigrations), server, db)
        #expect(server.psql(db, "select string_agg(p.proname || ':' || has_function_privilege('anon', p.oid, 'execute'), ',' order by p.proname) from pg_proc p where p.pronamespace in ('public'::regnamespace, 'keyway'::regnamespace)").output
                == "one_connection_unless_multiple:false,one_row_per_connection:false,requesting_owner_id:false,requesting_user_id:false,touch_updated_at:false\n")
        #expect(server.psql(db, "select count(*) from information_schema.role_table_grants where table_schema = 'public' and grantee = 'anon'").output == "0\n")
        #expect(server.psql(db, "select string_agg(table_name || ':' || privilege_type, ',' order by table_name, privilege_type) from information_schema.role_table_grants where table_schema = 'public' and grantee = 'authenticated'").output
                == "connector_connections:SELECT,connectors:SELECT,integration_providers:SELECT,integration_scopes:SELECT,integrations:SELECT,tool_calls:SELECT\n")
    }
}
