import KeywayLoad
import KeywayModel

/// Reads `keyway.yaml` into a `ProjectConfig`. Every key is optional:
///
/// ```yaml
/// manifests: Manifests                 # the manifests folder
/// output: Generated                    # the output folder
/// artifacts: [swift, catalog, checklists, audit, migrations]
/// templates: Templates                 # overrides of the built-in templates
/// swift:
///   output: Sources/App/Generated      # default <output>/Swift
///   layout: per-connector              # or single-file
/// migrations:
///   dialects: [postgres, sqlite]
///   layout: keyway                     # or supabase
///   supabase_output: supabase/migrations
/// tenancy:
///   user_claims: [sub]                    # requesting_user_id(): the first present
///   organization_claims: [o.id, org_id]   # requesting_owner_id(): the first present, else the user
///   admin:                                # requesting_is_admin(): reads the organisation's call log
///     claims: [o.rol, org_role]           # the first present…
///     values: [admin, "org:admin"]        # …holds one of these
/// ```
///
/// Relative paths are resolved against `base`, the folder that holds the file.
public enum ProjectConfigReader {
    static let keys = ["manifests", "output", "artifacts", "templates", "swift", "migrations", "tenancy"]
    static let swiftKeys = ["output", "layout"]
    static let migrationKeys = ["dialects", "layout", "supabase_output"]
    static let tenancyKeys = ["user_claims", "organization_claims", "admin"]
    static let adminKeys = ["claims", "values"]

    /// The configuration, or nil with the diagnostics that explain why not.
    public static func read(_ root: YAMLNode, base: String = "") -> (config: ProjectConfig?, diagnostics: [Diagnostic]) {
        let reader = NodeReader()
        var config = defaults(base: base)
        func located(_ fields: Fields, _ key: String, _ what: String) -> Located<String>? {
            // A folder written as YAML's null (`output: ~`) would silently be the default.
            if let pair = fields[key], case .scalar(let scalar) = pair.value.value, scalar.isNull {
                reader.error(pair.value.location, "'\(key)' has no value (YAML reads a plain ~, null or nothing as none); name a folder (\"~\" in quotes is a folder named ~), or leave the key out for the default")
                return nil
            }
            guard let text = reader.string(fields, key, what, required: false) else { return nil }
            if let problem = ProjectConfig.folderProblem(text.value, name: "'\(key)'") {
                reader.error(text.location, problem)
                return nil
            }
            return Located(value: text.value.hasPrefix("/") ? text.value : ProjectConfig.join(base, text.value), location: text.location)
        }
        if let f = reader.mapping(root, "keyway.yaml", allowed: keys) {
            if let manifests = located(f, "manifests", "keyway.yaml") {
                config.manifests = manifests.value
                config.origins.manifests = manifests.location
            }
            if let output = located(f, "output", "keyway.yaml") {
                config.output = output.value
                config.origins.output = output.location
            }
            if let templates = located(f, "templates", "keyway.yaml") {
                config.templates = templates.value
                config.origins.templates = templates.location
            }
            if let artifacts = choices(reader, f, "artifacts", Artifact.self) { config.artifacts = artifacts }
            if let pair = f["swift"], let s = reader.mapping(pair.value, "'swift'", allowed: swiftKeys) {
                if let output = located(s, "output", "'swift'") {
                    config.swiftOutput = output.value
                    config.origins.swiftOutput = output.location
                }
                if let layout: Located<SwiftLayout> = reader.choice(s, "layout", "'swift'", required: false) { config.swiftLayout = layout.value }
            }
            if let pair = f["migrations"], let m = reader.mapping(pair.value, "'migrations'", allowed: migrationKeys) {
                if let dialects = choices(reader, m, "dialects", SQLDialect.self) {
                    config.migrations.dialects = dialects
                    config.origins.dialects = m["dialects"]?.value.location
                }
                if let layout: Located<MigrationLayout> = reader.choice(m, "layout", "'migrations'", required: false) {
                    config.migrations.layout = layout.value
                    if layout.value == .supabase && !config.migrations.dialects.contains(.postgres) {
                        reader.error(layout.location, "the supabase layout copies the PostgreSQL migrations; add postgres to 'dialects' or use layout: keyway")
                    }
                }
                if let output = located(m, "supabase_output", "'migrations'") {
                    config.migrations.supabaseOutput = output.value
                    config.origins.supabaseOutput = output.location
                }
            }
            if let pair = f["tenancy"], let t = reader.mapping(pair.value, "'tenancy'", allowed: tenancyKeys) {
                let user = claimPaths(reader, t, "user_claims", default: TenantClaims.default.user)
                let organization = claimPaths(reader, t, "organization_claims", default: TenantClaims.default.organization)
                let userPaths = Set(user.map(\.value))
                for path in organization where userPaths.contains(path.value) {
                    reader.error(path.location, "claim '\(path.value)' is listed as both a user and an organisation claim; a claim names one or the other")
                }
                config.tenancy = TenantClaims(user: user.map(\.value), organization: organization.map(\.value))
                if let pair = t["admin"] {
                    config.tenancy.admin = admin(reader, pair.value, taken: userPaths.union(organization.map(\.value)))
                }
            }
        }
        let diagnostics = reader.diagnostics.sortedForReport()
        return (diagnostics.hasErrors ? nil : config, diagnostics)
    }

    /// The defaults of a file in `base` that sets nothing: its paths are relative to that folder too.
    public static func defaults(base: String) -> ProjectConfig {
        let defaults = ProjectConfig()
        var config = ProjectConfig(manifests: ProjectConfig.join(base, defaults.manifests), output: ProjectConfig.join(base, defaults.output))
        config.migrations.supabaseOutput = ProjectConfig.join(base, defaults.migrations.supabaseOutput)
        return config
    }

    /// A list of words of a fixed set: at least one, none twice, in the order written.
    private static func choices<T: RawRepresentable & CaseIterable & Equatable>(_ reader: NodeReader, _ fields: Fields, _ key: String, _: T.Type) -> [T]? where T.RawValue == String {
        guard let items = reader.stringList(fields, key, "keyway.yaml") else { return nil }
        let options = T.allCases.map(\.rawValue)
        if items.isEmpty, let pair = fields[key] {
            reader.error(pair.value.location, "'\(key)' must name at least one of: \(options.joined(separator: ", "))")
            return nil
        }
        var values: [T] = []
        for item in items {
            guard let value = T(rawValue: item.value) else {
                let hint = reader.closest(to: item.value, in: options).map { "; did you mean '\($0)'?" } ?? "; use one of: \(options.joined(separator: ", "))"
                reader.error(item.location, "'\(key)' cannot list '\(item.value.forDiagnostic)'\(hint)")
                continue
            }
            if values.contains(value) {
                reader.error(item.location, "'\(item.value)' is listed twice in '\(key)'; remove one")
                continue
            }
            values.append(value)
        }
        return values
    }

    /// `tenancy.admin`: claim paths (none a user's or an organisation's) and the values
    /// that mark an administrator.
    private static func admin(_ reader: NodeReader, _ node: YAMLNode, taken: Set<TenantClaims.Path>) -> TenantClaims.Admin? {
        guard let fields = reader.mapping(node, "'admin'", allowed: adminKeys) else { return nil }
        guard fields["claims"] != nil, fields["values"] != nil else {
            reader.error(node.location, "'admin' needs 'claims' (where the role is, like [o.rol]) and 'values' (the roles that administer, like [admin])")
            return nil
        }
        let claims = claimPaths(reader, fields, "claims", default: [], example: "[o.rol]")
        for path in claims {
            if taken.contains(path.value) {
                reader.error(path.location, "claim '\(path.value)' names a user or an organisation; an admin claim holds a role")
            } else if path.value.keys.first == "user_metadata" {
                reader.error(path.location, "'\(path.value)' is in user_metadata, which users edit themselves (Supabase): anyone could make themselves an admin; put the role in app_metadata")
            }
        }
        var values: [String] = []
        let listed = reader.stringList(fields, "values", "'admin'")
        for item in listed ?? [] {
            if !TenantClaims.Admin.isValue(item.value) {
                reader.error(item.location, "'\(item.value.forDiagnostic)' is not a role; write letters, digits, _, -, : and . (at most 64), like org:admin")
            } else if values.contains(item.value) {
                reader.error(item.location, "'\(item.value)' is listed twice in 'values'; remove one")
            } else {
                values.append(item.value)
            }
        }
        // An empty list (not one whose every role was refused above, nor one that is no
        // list: those said why).
        if listed?.isEmpty == true, let pair = fields["values"] {
            reader.error(pair.value.location, "'values' must name at least one role, like [admin]")
        }
        return TenantClaims.Admin(claims: claims.map(\.value), values: values)
    }

    private static func claimPaths(_ reader: NodeReader, _ fields: Fields, _ key: String, default fallback: [TenantClaims.Path], example: String = "[sub]") -> [Located<TenantClaims.Path>] {
        guard let items = reader.stringList(fields, key, "'tenancy'") else {
            return fallback.map { Located(value: $0, location: fields.node.location) }
        }
        if items.isEmpty, let pair = fields[key] {
            reader.error(pair.value.location, "'\(key)' must name at least one claim, like \(example)")
        }
        var paths: [Located<TenantClaims.Path>] = []
        var seen: Set<TenantClaims.Path> = []
        for item in items {
            guard let path = TenantClaims.Path(dotted: item.value) else {
                reader.error(item.location, "'\(item.value.forDiagnostic)' is not a claim path; write claim names (letters, digits, _, -, :) joined by '.', like o.id")
                continue
            }
            if !seen.insert(path).inserted {
                reader.error(item.location, "claim '\(path)' is listed twice in '\(key)'; remove one")
                continue
            }
            paths.append(Located(value: path, location: item.location))
        }
        return paths
    }
}
