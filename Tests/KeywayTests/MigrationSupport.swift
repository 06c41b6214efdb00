import Foundation
import KeywayCommandLine
import KeywayCore
import KeywayFiles
import KeywayDatabase
import KeywayEmit
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayValidate
import KeywayFiles
import PostgresNIO

/// `keyway migrate diff` as the command line runs it: the pipeline's files, written by
/// the one write step; the paths written, as the command prints them.
struct WrittenMigration {
    var written: [String]
    var diff: SchemaDiff
}

@discardableResult
func migrateDiffWriting(manifests: String, output: String, name: String, allowDestructive: Bool, templates: TemplateSet,
                        supabaseFolder: String? = nil, supabaseVersion: String? = nil, config: ProjectConfig = .default, force: Bool = false) throws -> WrittenMigration {
    let migration = try Pipeline.migrateDiff(manifests: LocalFolder(manifests), output: LocalFolder(output), name: name, allowDestructive: allowDestructive, templates: templates,
                                             supabaseFolder: supabaseFolder, supabaseVersion: supabaseVersion, config: config)
    let diagnostics = Diagnostics()
    guard let plans = try writeOutputs(migration.roots, force: force, into: diagnostics) else { throw DiagnosticsError(diagnostics.all) }
    return WrittenMigration(written: zip(migration.roots, plans).flatMap { root, plan in (plan.missing + plan.stale).map { root.display($0.path) } }, diff: migration.diff)
}

/// Writes the next migration of a manifests folder into an output folder.
@discardableResult
func migrateDiff(_ manifests: TempDir, into output: TempDir, name: String, allowDestructive: Bool = false, config: ProjectConfig = .default) throws -> WrittenMigration {
    try withExtendedLifetime((manifests, output)) {
        try migrateDiffWriting(manifests: manifests.path, output: output.path, name: name, allowDestructive: allowDestructive,
                               templates: Pipeline.templates(overrides: nil), config: config)
    }
}

func migrationFiles(_ output: TempDir, _ dialect: SQLDialect) -> [MigrationFile] {
    MigrationsFolder(output: output.path).files(dialect)
}

/// Applies migrations to a PostgreSQL database through keyway's own applier.
@discardableResult
func applyPostgres(_ files: [MigrationFile], _ server: PostgresServer, _ database: String) async throws -> [AppliedMigration] {
    let db = try await connect(server, database)
    do {
        let applied = try await Migrator.apply(files: files, to: db)
        await db.close()
        return applied
    } catch {
        await db.close()
        throw error
    }
}

/// The catalog rows of a migrated PostgreSQL database, as a schema state.
func postgresState(_ server: PostgresServer, _ database: String) throws -> SchemaState {
    func rows(_ sql: String) -> [[String]] {
        let result = server.psql(database, sql)
        precondition(result.status == 0, result.output)
        return result.output.split(separator: "\n").map { $0.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init) }
    }
    return state(
        providers: rows("select json_build_array(provider_config_key, provider, name, category, auth_mode)::text from public.integration_providers order by 1"),
        scopes: rows("select json_build_array(provider_config_key, scope)::text from public.integration_scopes order by 1"),
        connectors: rows("select json_build_array(slug, name, provider_config_key, multiple_connections::text)::text from public.connectors order by 1"))
}

/// Builds a state from rows that are each one JSON array (so any string survives).
func state(providers: [[String]], scopes: [[String]], connectors: [[String]]) -> SchemaState {
    func decode(_ row: [String]) -> [String] {
        (try? JSONSerialization.jsonObject(with: Data(row[0].utf8)) as? [Any])?.map { "\($0)" } ?? []
    }
    let scopePairs = scopes.map(decode)
    return SchemaState(
        format: SchemaState.currentFormat,
        integrations: providers.map(decode).map { p in
            SchemaState.IntegrationRow(key: p[0], provider: p[1], name: p[2], category: p[3], authMode: p[4],
                                       scopes: scopePairs.filter { $0[0] == p[0] }.map { $0[1] }.sorted())
        },
        connectors: connectors.map(decode).map { c in
            SchemaState.ConnectorRow(slug: c[0], name: c[1], providerKey: c[2], multipleConnections: c[3] == "true" || c[3] == "1")
        })
}

/// The structure of the public schema, as text, for comparing two databases.
func postgresStructure(_ server: PostgresServer, _ database: String) -> String {
    let queries = [
        "select table_name, column_name, data_type, is_nullable, coalesce(column_default, '') from information_schema.columns where table_schema = 'public' order by table_name, ordinal_position",
        "select conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) from pg_constraint where connamespace = 'public'::regnamespace order by 1, 2",
        "select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' order by 1, 2",
        "select tablename, policyname, permissive, roles::text, cmd, coalesce(qual, ''), coalesce(with_check, '') from pg_policies where schemaname = 'public' order by 1, 2",
        "select relname, relrowsecurity, relforcerowsecurity from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' order by 1",
        "select table_name, grantee, privilege_type from information_schema.role_table_grants where table_schema = 'public' and grantee in ('anon', 'authenticated', 'service_role') order by 1, 2, 3",
        "select p.proname, p.provolatile, coalesce(array_to_string(p.proconfig, ','), ''), pg_get_functiondef(p.oid) from pg_proc p where p.pronamespace = 'public'::regnamespace order by 1",
    ]
    return queries.map { server.psql(database, $0).output }.joined(separator: "\n---\n")
}
