/// A project's `keyway.yaml`: settings that are not manifests (the role of `swiftgen.yml`
/// or `openapi-generator-config.yaml`). Strict like the manifests (unknown keys are errors
/// with a did-you-mean); every key optional; flags given on the command line win.
///
/// Relative paths are taken from the folder that holds `keyway.yaml`, so a project can be
/// generated from anywhere with `--config path/to/keyway.yaml`; the values here are
/// already resolved against it.
public struct ProjectConfig: Sendable, Equatable {
    /// The file name looked for in the working directory.
    public static let fileName = "keyway.yaml"

    /// The manifests folder.
    public var manifests: String
    /// The output folder of `generate`, `check` and `migrate diff`.
    public var output: String
    /// What `generate` writes; the others are neither written nor checked (and files of
    /// them keyway wrote before are removed like any file it no longer generates).
    public var artifacts: [Artifact]
    /// Where the Swift artifact goes; nil: `<output>/Swift`.
    public var swiftOutput: String?
    public var swiftLayout: SwiftLayout
    /// A folder of templates that replace the built-in ones of the same name; nil: built-ins.
    public var templates: String?
    public var migrations: Migrations
    public var tenancy: TenantClaims
    /// Where keyway.yaml named the folders that must exist, so that a missing one is
    /// reported at that line; nil for a default or a flag.
    public var origins = Origins()

    /// Where settings were written: for messages only. Two configurations that say the
    /// same are equal wherever they say it.
    public struct Origins: Sendable, Equatable {
        public var manifests: SourceLocation?
        public var templates: SourceLocation?
        public var output: SourceLocation?
        public var swiftOutput: SourceLocation?
        public var dialects: SourceLocation?
        public var supabaseOutput: SourceLocation?

        public init(manifests: SourceLocation? = nil, templates: SourceLocation? = nil) {
            self.manifests = manifests
            self.templates = templates
        }

        public static func == (_: Origins, _: Origins) -> Bool { true }
    }

    public struct Migrations: Sendable, Equatable {
        /// The dialects `migrate diff` writes and `check` holds to their history.
        public var dialects: [SQLDialect]
        public var layout: MigrationLayout
        /// Where the Supabase layout writes its copy of each PostgreSQL migration.
        public var supabaseOutput: String

        public init(dialects: [SQLDialect] = SQLDialect.allCases, layout: MigrationLayout = .keyway, supabaseOutput: String = "supabase/migrations") {
            self.dialects = dialects
            self.layout = layout
            self.supabaseOutput = supabaseOutput
        }
    }

    public init(
        manifests: String = "Manifests", output: String = "Generated", artifacts: [Artifact] = Artifact.allCases,
        swiftOutput: String? = nil, swiftLayout: SwiftLayout = .perConnector, templates: String? = nil,
        migrations: Migrations = Migrations(), tenancy: TenantClaims = .default
    ) {
        self.manifests = manifests
        self.output = output
        self.artifacts = artifacts
        self.swiftOutput = swiftOutput
        self.swiftLayout = swiftLayout
        self.templates = templates
        self.migrations = migrations
        self.tenancy = tenancy
    }

    public static let `default` = ProjectConfig()

    /// The folder the Swift artifact is written to.
    public var swiftFolder: String { swiftOutput ?? Self.join(output, "Swift") }

    /// What is wrong with a folder named for a setting (`name` as messages show it:
    /// `'output'`, `--output`), or nil: the rule for a path in keyway.yaml and on the
    /// command line alike. A path is a path: `~` is a folder named `~`, not a home directory.
    public static func folderProblem(_ value: String, name: String) -> String? {
        if value.isEmpty { return "\(name) is empty; name a folder" }
        if value.unicodeScalars.contains(where: \.isInvisible) { return "\(name) must be a path without control or invisible characters" }
        return nil
    }

    /// `folder/name`, without doubling a slash; `name` alone when the folder is the
    /// working directory ("" or ".").
    public static func join(_ folder: String, _ name: String) -> String {
        if folder.isEmpty || folder == "." { return name }
        return folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }
}

/// Where `migrate diff` writes.
public enum MigrationLayout: String, Sendable, CaseIterable {
    /// `<output>/Migrations/<dialect>/NNNN_name.sql` with `keyway.sum`.
    case keyway
    /// The same, plus `<supabase_output>/<14-digit version>_name.sql` for the Supabase CLI.
    case supabase
}
