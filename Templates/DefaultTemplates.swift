// The built-in templates, embedded in the binary so that `keyway` runs from any folder.
// The .mustache files beside this one are the source; SwiftPM embeds them at build time.

public enum DefaultTemplates {
    /// File name → text of every built-in template.
    public static let all: [String: String] = [
        "IntegrationCatalog.swift.mustache": String(decoding: PackageResources.IntegrationCatalog_swift_mustache, as: UTF8.self),
        "catalog.json.mustache": String(decoding: PackageResources.catalog_json_mustache, as: UTF8.self),
        "postgres.migration.sql.mustache": String(decoding: PackageResources.postgres_migration_sql_mustache, as: UTF8.self),
        "sqlite.migration.sql.mustache": String(decoding: PackageResources.sqlite_migration_sql_mustache, as: UTF8.self),
        "postgres.rls-tests.sql.mustache": String(decoding: PackageResources.postgres_rls_tests_sql_mustache, as: UTF8.self),
        "Tools.swift.mustache": String(decoding: PackageResources.Tools_swift_mustache, as: UTF8.self),
        "AllTools.swift.mustache": String(decoding: PackageResources.AllTools_swift_mustache, as: UTF8.self),
        "checklist.md.mustache": String(decoding: PackageResources.checklist_md_mustache, as: UTF8.self),
        "checklists-index.md.mustache": String(decoding: PackageResources.checklists_index_md_mustache, as: UTF8.self),
        "scopes.md.mustache": String(decoding: PackageResources.scopes_md_mustache, as: UTF8.self),
    ]
}
