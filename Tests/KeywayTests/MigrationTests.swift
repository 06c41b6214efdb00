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

/// Manifest versions for the upgrade tests: v1 (the fixture), v2 adds a scope, an
/// integration and its connector, and renames; v3 removes the integration again.
enum Versions {
    static let readonlyGrant = "    - scope: https://www.googleapis.com/auth/gmail.readonly\n      reason: Agents read email\n"
    static let readTool = """
      - name: read_email
        description: Read emails
        method: GET
        endpoint: /gmail/v1/users/me/messages
        scopes: [https://www.googleapis.com/auth/gmail.readonly]

    """
    static let chatIntegration = Fixture.integration.replacing1("key: mail", "key: chat").replacing1("provider: google-mail", "provider: slack")
        .replacing1("scopes:\n    - scope: https://www.googleapis.com/auth/gmail.send\n      reason: Agents send email\n", "scopes:\n    - scope: chat:write\n      reason: Post\n")
    static let chatConnector = Fixture.connector.replacing1("slug: mail", "slug: chat").replacing1("provider_key: mail", "provider_key: chat")
        .replacing1("scopes: [https://www.googleapis.com/auth/gmail.send]", "scopes: [chat:write]")

    static func v1() -> TempDir { Fixture.folder() }

    static func v2() -> TempDir {
        let dir = Fixture.folder(
            integration: Fixture.integration.replacing1("name: Mail", "name: Mail (renamed)")
                .replacing1("      reason: Agents send email\n", "      reason: Agents send email\n" + readonlyGrant),
            connector: Fixture.connector + readTool)
        dir.write("integrations/chat.yaml", chatIntegration)
        dir.write("connectors/chat.yaml", chatConnector)
        return dir
    }

    static func v3() -> TempDir {
        let dir = v2()
        try? FileManager.default.removeItem(atPath: dir.path + "/integrations/chat.yaml")
        try? FileManager.default.removeItem(atPath: dir.path + "/connectors/chat.yaml")
        return dir
    }
}

@Suite("Migrations: diff, history, SQLite")
struct MigrationTests {
    @Test("diff writes both dialects, the sums and the snapshot; a second diff writes nothing; check then passes")
    func diffAndCheck() throws {
        let manifests = Versions.v1(), out = TempDir()
        let first = try migrateDiff(manifests, into: out, name: "initial")
        #expect(first.written.sorted() == ["Migrations/postgres/0001_initial.sql", "Migrations/postgres/keyway.sum", "Migrations/schema.json",
                                           "Migrations/sqlite/0001_initial.sql", "Migrations/sqlite/keyway.sum"].map { out.path + "/" + $0 })
        #expect(try migrateDiff(manifests, into: out, name: "again").written == [])
        let catalog = try #require(manifests.validate().catalog)
        #expect(MigrationsFolder(output: out.path).check(catalog) == [])
        // Manifests move on: check says to diff.
        let v2 = Versions.v2()
        let newer = try #require(v2.validate().catalog)
        #expect(MigrationsFolder(output: out.path).check(newer).map(\.formatted) == [
            "\(out.path)/Migrations/schema.json:1:1: error: the manifests changed since the last migration; run `keyway migrate diff --name NAME` and commit the new migration",
        ])
        try migrateDiff(v2, into: out, name: "add_chat")
        #expect(migrationFiles(out, .postgres).map(\.fileName) == ["0001_initial.sql", "0002_add_chat.sql"])
        #expect(MigrationsFolder(output: out.path).check(newer) == [])
    }

    @Test("an edited, removed or inserted released migration fails check and blocks diff")
    func editedHistory() throws {
        let out = TempDir()
        try migrateDiff(Versions.v1(), into: out, name: "initial")
        try migrateDiff(Versions.v2(), into: out, name: "add_chat")
        let catalog = try #require(Versions.v2().validate().catalog)
        let original = try #require(out.read("Migrations/postgres/0001_initial.sql"))
        out.write("Migrations/postgres/0001_initial.sql", original + "-- sneaky\n")
        let problems = MigrationsFolder(output: out.path).check(catalog)
        #expect(problems.map(\.formatted) == [
            "\(out.path)/Migrations/postgres/0001_initial.sql:1:1: error: the migration history was edited: 0001_initial.sql changed since keyway.sum recorded it; released migrations are never changed — restore the history from version control, and let `keyway migrate diff` add migrations",
        ])
        #expect(throws: DiagnosticsError.self) { try migrateDiff(Versions.v3(), into: out, name: "drop_chat", allowDestructive: true) }
        out.write("Migrations/postgres/0001_initial.sql", original)
        out.write("Migrations/sqlite/0003_inserted.sql", "select 1;\n")
        #expect(MigrationsFolder(output: out.path).check(catalog).map(\.location.file) == [out.path + "/Migrations/sqlite/0003_inserted.sql"])
    }

    @Test("removing an integration that may have connections needs --allow-destructive")
    func destructive() throws {
        let out = TempDir()
        try migrateDiff(Versions.v2(), into: out, name: "initial")
        #expect(throws: DiagnosticsError.self) { try migrateDiff(Versions.v3(), into: out, name: "drop_chat") }
        #expect(migrationFiles(out, .postgres).count == 1, "a refused diff writes nothing")
        try migrateDiff(Versions.v3(), into: out, name: "drop_chat", allowDestructive: true)
        let sql = String(decoding: migrationFiles(out, .postgres)[1].contents, as: UTF8.self)
        #expect(sql.contains("delete from public.connector_connections where connector_slug = 'chat';"))
        #expect(sql.contains("delete from public.integration_providers where provider_config_key = 'chat';"))
    }

    @Test("Supabase layout: <14-digit version>_name.sql in the Supabase folder")
    func supabaseLayout() throws {
        let manifests = Versions.v1(), out = TempDir(), supabase = TempDir()
        let result = try withExtendedLifetime((manifests, out)) {
            try migrateDiffWriting(manifests: manifests.path, output: out.path, name: "initial", allowDestructive: false,
                                     templates: Pipeline.templates(overrides: nil), supabaseFolder: supabase.path + "/migrations",
                                     supabaseVersion: "20261121120000")
        }
        #expect(result.written.last == supabase.path + "/migrations/20261121120000_initial.sql")
        #expect(supabase.read("migrations/20261121120000_initial.sql") == out.read("Migrations/postgres/0001_initial.sql"))
    }

    @Test("Supabase layout into a folder that cannot be written: neither the history nor the Supabase file changes")
    func supabaseLayoutFails() throws {
        let manifests = Versions.v1(), out = TempDir(), supabase = TempDir()
        supabase.write("migrations", "a file where the folder should be\n")
        let before = out.snapshot()
        #expect(throws: WriteError.self) {
            try withExtendedLifetime((manifests, out)) {
                _ = try migrateDiffWriting(manifests: manifests.path, output: out.path, name: "initial", allowDestructive: false,
                                             templates: Pipeline.templates(overrides: nil), supabaseFolder: supabase.path + "/migrations",
                                             supabaseVersion: "20261121120000")
            }
        }
        #expect(out.snapshot() == before)
        // Once the folder is there, the same command writes both.
        try FileManager.default.removeItem(atPath: supabase.path + "/migrations")
        _ = try migrateDiffWriting(manifests: manifests.path, output: out.path, name: "initial", allowDestructive: false,
                                     templates: Pipeline.templates(overrides: nil), supabaseFolder: supabase.path + "/migrations",
                                     supabaseVersion: "20261121120000")
        #expect(supabase.read("migrations/20261121120000_initial.sql") == out.read("Migrations/postgres/0001_initial.sql"))
    }

    @Test("SQLite: apply, ledger, catalog rows equal the manifests, foreign keys refuse unknown providers")
    func sqliteRoundTrip() async throws {
        let manifests = Versions.v1(), out = TempDir(), dbFolder = TempDir()
        try migrateDiff(manifests, into: out, name: "initial")
        let path = dbFolder.path + "/k.sqlite"
        let applied = try await Migrator.apply(files: migrationFiles(out, .sqlite), to: SQLiteMigrationDatabase(path: path))
        #expect(applied.map(\.version) == ["0001"])
        let queue = try DatabaseQueue(path: path)
        let state = try await sqliteState(queue)
        #expect(state == SchemaState(try #require(manifests.validate().catalog)))
        let ledger = try queue.read { try Row.fetchAll($0, sql: "select version, name, checksum from keyway_schema_migrations") }
        #expect(ledger.map { $0["checksum"] as String } == [migrationFiles(out, .sqlite)[0].checksum])
        let db = try SQLiteMigrationDatabase(path: path)
        await #expect(throws: (any Error).self) {
            try await db.queue.write { try $0.execute(sql: "insert into integrations (owner_id, provider_config_key, connection_id) values ('o', 'nope', 'c')") }
        }
        // Nothing pending: a second apply applies nothing.
        #expect(try await Migrator.apply(files: migrationFiles(out, .sqlite), to: SQLiteMigrationDatabase(path: path)) == [])
    }

    @Test("SQLite: upgrading step by step equals a fresh install; a new scope marks connections needs_reauth")
    func sqliteUpgradeEqualsFresh() async throws {
        let out = TempDir(), fresh = TempDir(), dbs = TempDir()
        try migrateDiff(Versions.v1(), into: out, name: "initial")
        let upgraded = try DatabaseQueue(path: dbs.path + "/up.sqlite")
        _ = try await Migrator.apply(files: migrationFiles(out, .sqlite), to: SQLiteMigrationDatabase(path: dbs.path + "/up.sqlite"))
        try await upgraded.write { db in
            try db.execute(sql: """
                insert into integrations (owner_id, provider_config_key, connection_id, granted_scopes) values
                  ('a', 'mail', 'c1', '["https://www.googleapis.com/auth/gmail.send"]'),
                  ('b', 'mail', 'c2', '["https://www.googleapis.com/auth/gmail.send", "https://www.googleapis.com/auth/gmail.readonly"]');
                insert into connector_connections (owner_id, user_id, connector_slug, provider_config_key, connection_id) values ('a', 'u', 'mail', 'mail', 'c1-user');
                """)
        }
        try migrateDiff(Versions.v2(), into: out, name: "add_chat")
        _ = try await Migrator.apply(files: migrationFiles(out, .sqlite), to: SQLiteMigrationDatabase(path: dbs.path + "/up.sqlite"))
        let statuses = try await upgraded.read { try Row.fetchAll($0, sql: "select owner_id, status from integrations order by owner_id").map { "\($0["owner_id"] as String):\($0["status"] as String)" } }
        #expect(statuses == ["a:needs_reauth", "b:active"])
        #expect(try await upgraded.read { try String.fetchOne($0, sql: "select status from connector_connections") } == "needs_reauth")
        try migrateDiff(Versions.v3(), into: out, name: "drop_chat", allowDestructive: true)
        _ = try await Migrator.apply(files: migrationFiles(out, .sqlite), to: SQLiteMigrationDatabase(path: dbs.path + "/up.sqlite"))

        try migrateDiff(Versions.v3(), into: fresh, name: "initial")
        let installed = try DatabaseQueue(path: dbs.path + "/fresh.sqlite")
        _ = try await Migrator.apply(files: migrationFiles(fresh, .sqlite), to: SQLiteMigrationDatabase(path: dbs.path + "/fresh.sqlite"))
        #expect(try await sqliteState(upgraded) == sqliteState(installed))
        #expect(try await sqliteState(installed) == SchemaState(try #require(Versions.v3().validate().catalog)))
        #expect(try await sqliteStructure(upgraded) == sqliteStructure(installed))
    }

    @Test("SQLite: a failing migration rolls back and leaves the ledger at the last good version; an edited file is refused")
    func sqliteFailureAndChecksum() async throws {
        let folder = TempDir(), dbs = TempDir()
        folder.write("0001_good.sql", "create table t (x integer);\n")
        folder.write("0002_bad.sql", "create table u (x integer);\ninsert into nowhere values (1);\n")
        let path = dbs.path + "/f.sqlite"
        await #expect(throws: MigrationError.self) {
            _ = try await Migrator.apply(files: MigrationsFolder.files(in: folder.path), to: SQLiteMigrationDatabase(path: path))
        }
        let queue = try DatabaseQueue(path: path)
        #expect(try await queue.read { try String.fetchAll($0, sql: "select version from keyway_schema_migrations") } == ["0001"])
        #expect(try await queue.read { try Bool.fetchOne($0, sql: "select count(*) > 0 from sqlite_master where name = 'u'") } == false)
        folder.write("0001_good.sql", "create table t (x integer, y integer);\n")
        folder.write("0002_bad.sql", "select 1;\n")
        await #expect(throws: MigrationError.self) {
            _ = try await Migrator.apply(files: MigrationsFolder.files(in: folder.path), to: SQLiteMigrationDatabase(path: path))
        }
    }

    @Test("hostile strings reach SQLite only as literals, and come back byte for byte", arguments: hostileStrings + ["'; drop table integrations; --", "\\'); delete from connectors; --", "$$ $function$ \" ; /* */"])
    func hostileSQLite(_ text: String) async throws {
        let manifests = CatalogEmitterTests.hostileFolder(text), out = TempDir(), dbs = TempDir()
        try migrateDiff(manifests, into: out, name: "initial")
        _ = try await Migrator.apply(files: migrationFiles(out, .sqlite), to: SQLiteMigrationDatabase(path: dbs.path + "/h.sqlite"))
        let queue = try DatabaseQueue(path: dbs.path + "/h.sqlite")
        #expect(try await queue.read { try String.fetchOne($0, sql: "select name from integration_providers") } == text)
        #expect(try await sqliteState(queue) == SchemaState(try #require(manifests.validate().catalog)))
    }
}

func sqliteState(_ queue: DatabaseQueue) async throws -> SchemaState {
    try await queue.read { db in
        func rows(_ sql: String) throws -> [[String]] { try String.fetchAll(db, sql: sql).map { [$0] } }
        return state(
            providers: try rows("select json_array(provider_config_key, provider, name, category, auth_mode) from integration_providers order by 1"),
            scopes: try rows("select json_array(provider_config_key, scope) from integration_scopes order by 1"),
            connectors: try rows("select json_array(slug, name, provider_config_key, case multiple_connections when 1 then 'true' else 'false' end) from connectors order by 1"))
    }
}

func sqliteStructure(_ queue: DatabaseQueue) async throws -> [String] {
    try await queue.read { try String.fetchAll($0, sql: "select type || ' ' || name || ' ' || coalesce(sql, '') from sqlite_master where name not like 'sqlite_%' order by type, name") }
}
