import ArgumentParser
import Foundation
import KeywayCommandLine
import KeywayCore
import KeywayDatabase
import KeywayEmit
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayValidate
import KeywayFiles

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Writes and applies SQL migrations (PostgreSQL with RLS, and SQLite).",
        subcommands: [MigrateDiff.self, MigrateApply.self, MigrateStatus.self, MigrateLint.self, MigrateAdopt.self]
    )
}


struct MigrateDiff: KeywayCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Writes the next migration, in each dialect of keyway.yaml (default both), from the last snapshot to the manifests.")

    @OptionGroup var options: CommonOptions
    @Option(name: .long, help: "The output folder that holds Migrations/ (default: keyway.yaml's output, else Generated).")
    var output: String?
    @Option(name: .long, help: "The migration's name: lower-case letters, digits and '_'.")
    var name: String
    @Flag(name: .long, help: "Allow a migration that removes an integration or connector (and its connections).")
    var allowDestructive = false
    @Option(name: .long, help: "keyway (Generated/Migrations/<dialect>/NNNN_name.sql) or supabase (also writes <14-digit version>_name.sql to --supabase-output) (default: keyway.yaml's migrations.layout, else keyway).")
    var layout: MigrationLayout?
    @Option(name: .long, help: "Where the Supabase layout writes (default: keyway.yaml's migrations.supabase_output, else supabase/migrations).")
    var supabaseOutput: String?
    @Option(name: .long, help: "The Supabase version (14 digits); default: now, in UTC.")
    var supabaseVersion: String?
    @Option(name: .long, help: "A folder of templates that replace the built-in ones of the same name (default: keyway.yaml's templates).")
    var templates: String?
    @Flag(name: .long, help: "Take over files in the way that keyway did not write (or that were edited since), instead of stopping.")
    var force = false

    func validate() throws {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) else {
            throw ValidationError("--name must be lower-case letters, digits and '_' (at most 64), like add_linear")
        }
        if let v = supabaseVersion, !MigrationsFolder.isSupabaseVersion(v) {
            throw ValidationError("--supabase-version must be 14 digits (YYYYMMDDHHMMSS)")
        }
    }

    var diagnosticsFormat: OutputFormat { options.format }

    func run(_ run: CommandRun) throws {
        var config = try options.projectConfig()
        if let output {
            config.output = output
            config.origins.output = .commandLine
        }
        if let layout { config.migrations.layout = layout }
        if let supabaseOutput {
            config.migrations.supabaseOutput = supabaseOutput
            config.origins.supabaseOutput = .commandLine
        }
        if let templates {
            try CommonOptions.checkFolder(templates, flag: "--templates")
            config.templates = templates
            config.origins.templates = nil
        }
        try Pipeline.checkOutputFolders(config, identity: LocalFolder.identity(of:))
        let set = try templatesOrEveryProblem(config)
        let migration = try Pipeline.migrateDiff(manifests: config.manifestsFolder, output: config.outputFolder, name: name, allowDestructive: allowDestructive,
                                                 templates: set, supabaseFolder: config.migrations.layout == .supabase ? config.migrations.supabaseOutput : nil,
                                                 supabaseVersion: supabaseVersion ?? Self.utcVersion(now: Date()), config: config)
        guard let plans = try writeOutputs(migration.roots, force: force, into: run.diagnostics) else { return }
        let written = zip(migration.roots, plans).flatMap { root, plan in (plan.missing + plan.stale).map { root.display($0.path) } }
        if written.isEmpty {
            run.say("keyway: the schema already matches the manifests; no migration written")
        } else {
            for path in written { run.say("wrote \(path)") }
        }
    }

    /// Supabase CLI's migration version: the UTC time as YYYYMMDDHHMMSS. The clock is
    /// read here, at the edge; the pipeline takes the version.
    static func utcVersion(now: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss"
        return formatter.string(from: now)
    }
}

struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "sqlite:PATH or postgres://user:password@host:port/db?sslmode=require|disable (or $KEYWAY_DATABASE_URL).")
    var database: String = ProcessInfo.processInfo.environment["KEYWAY_DATABASE_URL"] ?? "sqlite:keyway.sqlite"
    @Option(name: .long, help: "The migrations folder (default: <output>/Migrations/postgres or …/sqlite, by the URL; the output folder is keyway.yaml's, else Generated).")
    var migrations: String?
    @Option(name: .long, help: "The project configuration (default: keyway.yaml in the working directory, when there is one).")
    var config: String?

    func url() throws -> DatabaseURL {
        do { return try DatabaseURL.parse(database) } catch { throw ValidationError(error.description) }
    }

    /// A URL that does not parse is a usage error of the command that takes it, reported
    /// with that command's usage line (as parsing reports it, before anything runs).
    func validate() throws { _ = try url() }

    /// The migrations folder: --migrations, else `<output>/Migrations/<dialect>` of
    /// keyway.yaml's output (an error in keyway.yaml is thrown, before anything is opened).
    func folder(_ url: DatabaseURL) throws(DiagnosticsError) -> String {
        if let migrations { return migrations }
        let output = try ProjectConfig.load(path: config).output
        switch url {
        case .sqlite: return ProjectConfig.join(output, MigrationsFolder.folder(.sqlite))
        case .postgres: return ProjectConfig.join(output, MigrationsFolder.folder(.postgres))
        }
    }

    /// The migrations folder, as messages name it.
    func display(_ url: DatabaseURL) throws(DiagnosticsError) -> String {
        let folder = try folder(url)
        return folder.count > 1 && folder.hasSuffix("/") ? String(folder.dropLast()) : folder
    }

    /// The migrations of the folder; every problem of the folder (see
    /// `MigrationsFolder.read`) is thrown before anything is opened or run.
    func migrations(_ url: DatabaseURL, _ consequence: String) throws(DiagnosticsError) -> [MigrationFile] {
        let display = try display(url)
        let (files, problems) = MigrationsFolder.read(LocalFolder(display))
        guard problems.isEmpty else {
            throw DiagnosticsError(problems + [.error(.start(of: display), "the migrations folder is not in order (\(problems.count) problem\(problems.count == 1 ? "" : "s")); \(consequence)")])
        }
        return files
    }

    /// A failure of a run as the user reads it: at the migration file and line it is
    /// about, else at the database; never a raw driver error.
    func failure(_ error: any Error, _ url: DatabaseURL) throws -> DiagnosticsError {
        if let error = error as? DiagnosticsError { return error }
        if let error = error as? MigrationError, let file = error.file {
            return DiagnosticsError([.error(SourceLocation(file: try display(url) + "/" + file, line: error.line, column: 1), error.message)])
        }
        return url.failure(error)
    }

    /// Opens the database, runs `body`, and closes it whatever happens.
    func withDatabase<T>(_ url: DatabaseURL, _ body: (any MigrationDatabase) async throws -> T) async throws -> T {
        switch url {
        case .sqlite(let path):
            return try await body(try SQLiteMigrationDatabase(path: path))
        case .postgres:
            let db = try await PostgresMigrationDatabase.connect(url)
            do {
                let result = try await body(db)
                await db.close()
                return result
            } catch {
                await db.close()
                throw error
            }
        }
    }
}

struct MigrateApply: KeywayCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Applies pending migrations in order, each in its own transaction, recording them in a ledger.")

    @OptionGroup var db: DatabaseOptions

    func run(_ run: CommandRun) async throws {
        let url = try db.url()
        let files = try db.migrations(url, "nothing was applied")
        if files.isEmpty {
            throw DiagnosticsError([.error(.start(of: try db.display(url)), "no migrations here; run `keyway migrate diff --name initial` first")])
        }
        do {
            let applied = try await db.withDatabase(url) {
                try await Migrator.run(files: files, to: $0) { row in run.say("applied \(row.version)_\(row.name) (\(row.executionMs) ms)") }
            }
            for file in applied.appliedElsewhere { run.say("already applied by another process: \(file.version)_\(file.name)") }
            run.say("keyway: \(url.redacted) is at \(files.last!.version) (\(applied.applied.count) applied now)")
        } catch {
            throw try db.failure(error, url)
        }
    }
}

struct MigrateStatus: KeywayCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Lists each migration: applied, pending, edited since applied, or applied but missing here.")

    @OptionGroup var db: DatabaseOptions

    /// Read-only: opens nothing for writing, takes no lock, creates neither a SQLite
    /// file nor a ledger.
    func run(_ run: CommandRun) async throws {
        let url = try db.url()
        let display = try db.display(url)
        let (files, problems) = MigrationsFolder.read(LocalFolder(display))
        let ledger: [AppliedMigration]?
        var absent: String?
        do {
            switch url {
            case .sqlite(let path):
                if let database = try SQLiteMigrationDatabase.existing(path: path) {
                    ledger = try await database.ledger()
                } else {
                    ledger = nil
                    absent = "keyway: no database at \(path); nothing applied"
                }
            case .postgres:
                ledger = try await db.withDatabase(url) { try await $0.ledger() }
            }
        } catch {
            throw try db.failure(error, url)
        }
        let states = Migrator.status(files: files, applied: ledger ?? [])
        for s in states { run.say("\(s.state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(s.version)_\(s.name)\(s.appliedAt.map { "  \($0)" } ?? "")") }
        if let absent { run.say(absent) } else if ledger == nil { run.say("keyway: \(url.redacted) has no migration ledger; nothing applied") }
        run.diagnostics.emit(contentsOf: problems)
        if !problems.isEmpty {
            run.diagnostics.error(.start(of: display), "the migrations folder is not in order (\(problems.count) problem\(problems.count == 1 ? "" : "s")); `apply` will refuse it")
        }
        for s in states where s.state == .edited || s.state == .missing {
            let file = display + "/" + s.version + "_" + s.name + ".sql"
            run.diagnostics.error(.start(of: file), s.state == .edited
                ? "this migration changed since it was applied; restore it from version control (released migrations are never edited)"
                : "this migration was applied but is not here; restore it from version control")
        }
    }
}

struct MigrateLint: KeywayCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Checks a live PostgreSQL database for row-level-security mistakes (splinter-style); exit 1 on any error.")

    @Option(name: .long, help: "postgres://user:password@host:port/db?sslmode=require|disable (or $KEYWAY_DATABASE_URL).")
    var database: String = ProcessInfo.processInfo.environment["KEYWAY_DATABASE_URL"] ?? ""
    @Option(name: .long, help: "An exposed schema to check (repeatable; default public).")
    var schema: [String] = []
    @Option(name: .long, help: "How to print the findings: text (one a line, on stderr) or json.")
    var format: OutputFormat = .text

    var diagnosticsFormat: OutputFormat { format }

    /// Each finding is a diagnostic at the database object it is about
    /// (`postgres://user@host:5432/db/public.docs:1:1`), its rule's code and name at the end of
    /// the message; with --format json, the run's one JSON document.
    func validate() throws { _ = try postgresURL() }

    func postgresURL() throws -> DatabaseURL {
        let url: DatabaseURL
        do { url = try DatabaseURL.parse(database) } catch { throw ValidationError(error.description) }
        guard case .postgres = url else { throw ValidationError("lint needs a postgres:// database (SQLite has no row level security)") }
        return url
    }

    func run(_ run: CommandRun) async throws {
        let url = try postgresURL()
        let at = SourceLocation.start(of: url.location)
        let db: PostgresMigrationDatabase
        do { db = try await PostgresMigrationDatabase.connect(url) } catch { throw url.failure(error) }
        let findings: [LintFinding]
        do {
            findings = try await Linter(schemas: schema.isEmpty ? ["public"] : schema).run(on: db)
        } catch {
            await db.close()
            throw DiagnosticsError([.error(at, "lint queries failed: \(PostgresMigrationDatabase.describe(error))")])
        }
        await db.close()
        for f in findings {
            let location = SourceLocation.start(of: url.location + "/" + f.object)
            run.diagnostics.emit(Diagnostic(f.level == .error ? .error : .warning, location, "\(f.message) [\(f.code) \(f.rule)]"))
        }
    }
}

struct MigrateAdopt: KeywayCommand {
    static let configuration = CommandConfiguration(
        commandName: "adopt",
        abstract: "Turns a PostgreSQL database that holds the seed guide's integrations table (and no keyway history) into keyway's schema, keeping every row.",
        discussion: """
            In one transaction: the old table moves to the private schema keyway (keyway.adopted_integrations, \
            kept until you drop it), every migration runs and is recorded, and the rows are copied into the new \
            public.integrations (provider → provider_config_key, nango_connection_id → connection_id, scopes → \
            granted_scopes, connected_at → created_at). A provider the manifests lack, an unknown status, duplicate \
            rows, or an object that depends on the old table refuses the run by name, and nothing changes.
            """)

    @OptionGroup var db: DatabaseOptions

    func validate() throws {
        guard case .postgres = try db.url() else { throw ValidationError("adopt needs a postgres:// database") }
    }

    func run(_ run: CommandRun) async throws {
        let url = try db.url()
        let files = try db.migrations(url, "nothing was changed")
        do {
            let report = try await db.withDatabase(url) { database in
                guard let postgres = database as? PostgresMigrationDatabase else { throw MigrationError("adopt needs a postgres:// database") }
                return try await Adopter.adopt(files: files, database: postgres)
            }
            for name in report.applied { run.say("applied \(name)") }
            run.say("keyway: adopted \(report.rows) row\(report.rows == 1 ? "" : "s") into public.integrations; the old table is kept as \(report.keptAs) (not exposed): drop it once you are satisfied")
        } catch {
            throw try db.failure(error, url)
        }
    }
}

extension DatabaseURL {
    /// A failure to reach or use the database, as every command reports it: at the
    /// database (`postgres://user@host:5432/db:1:1`), in the database's own words.
    func failure(_ error: any Error) -> DiagnosticsError {
        DiagnosticsError([.error(.start(of: location), MigrationError.reason(error))])
    }
}
