import Foundation
import KeywayEmit
import KeywayMigrations
import KeywayModel
import KeywayFiles

/// The migration history kept in the output folder:
/// `Migrations/schema.json` (the state the last migration brought the schema to) and, per
/// dialect, `Migrations/<dialect>/NNNN_name.sql` with its `keyway.sum`.
public struct MigrationsFolder: Sendable {
    /// The output folder that holds `Migrations/`.
    public let output: any Folder
    /// The dialects whose history is kept (`keyway.yaml`'s `migrations.dialects`).
    public let dialects: [SQLDialect]

    public init(output: any Folder, dialects: [SQLDialect] = SQLDialect.allCases) {
        self.output = output
        self.dialects = dialects
    }

    /// The folder, inside the output folder, that holds every migration and the snapshot.
    public static let root = "Migrations"
    public static let snapshotPath = root + "/schema.json"
    public static func folder(_ dialect: SQLDialect) -> String { root + "/" + dialect.rawValue }

    /// The display path of a file inside the output folder.
    public func display(_ relative: String) -> String { output.display(relative) }

    /// The migrations of a dialect, sorted by file name.
    public func files(_ dialect: SQLDialect) -> [MigrationFile] {
        Self.files(in: output.subfolder(Self.folder(dialect)))
    }

    public static func files(in folder: some Folder) -> [MigrationFile] {
        guard case .names(let names) = folder.list("") else { return [] }
        return names.compactMap { name in
            guard MigrationFile.isMigration(name), let bytes = folder.contents(name) else { return nil }
            return MigrationFile(fileName: name, contents: Data(bytes))
        }
    }

    public enum SnapshotError: Error { case unreadable(String) }

    /// The last snapshot, nil when there is no history yet.
    public func snapshot() throws(SnapshotError) -> SchemaState? {
        guard let bytes = output.contents(Self.snapshotPath) else { return nil }
        do {
            return try JSONDecoder().decode(SchemaState.self, from: Data(bytes))
        } catch {
            throw .unreadable("\(error)")
        }
    }

    public static func encode(_ state: SchemaState) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(state), as: UTF8.self) + "\n"
    }

    /// Problems of the history against the manifests: manifests that changed since the
    /// snapshot, and everything `historyProblems()` finds.
    public func check(_ catalog: Catalog) -> [Diagnostic] {
        let snapshotLocation = SourceLocation(file: display(Self.snapshotPath), line: 1, column: 1)
        var problems: [Diagnostic] = []
        do {
            guard let snapshot = try snapshot() else {
                return [.error(snapshotLocation, "there is no migration history yet; run `keyway migrate diff --name initial` (the full `keyway` CLI; keyway-generator has no migrate), or leave `migrations` out of `artifacts` in keyway.yaml if this project keeps no migrations")]
            }
            if snapshot != SchemaState(catalog) {
                problems.append(.error(snapshotLocation, "the manifests changed since the last migration; run `keyway migrate diff --name NAME` and commit the new migration"))
            }
        } catch {
            problems.append(.error(snapshotLocation, "the snapshot cannot be read; restore it from version control"))
        }
        return problems + historyProblems()
    }

    /// Released migrations that do not match their integrity file (edited, removed,
    /// inserted or reordered history), a missing integrity file, and files of a dialect's
    /// folder that are not migrations or are out of sequence.
    public func historyProblems() -> [Diagnostic] {
        dialects.flatMap { dialect in
            Self.read(output.subfolder(Self.folder(dialect))).problems
        }
    }

    /// The Supabase layout's copies against the PostgreSQL history: `supabase db push`
    /// applies `folder` (`<14-digit version>_name.sql`, as `migrate diff --layout supabase`
    /// writes them), so each migration of the history must be there with the same bytes. A
    /// copy is matched by its bytes first (two migrations may share a name); a migration
    /// left without one is an edited copy of its name, or a missing one.
    public func supabaseCopyProblems(in folder: some Folder) -> [Diagnostic] {
        let history = Self.read(output.subfolder(Self.folder(.postgres))).files
        guard !history.isEmpty else { return [] }
        var copies: [(fileName: String, name: Substring, bytes: [UInt8])] = []
        if case .names(let names) = folder.list("") {
            for fileName in names where Self.isSupabaseCopyName(fileName) {
                if let bytes = folder.contents(fileName) { copies.append((fileName, fileName.dropFirst(15).dropLast(4), bytes)) }
            }
        }
        // Indices of the copies not matched yet, in file-name order.
        var unmatched = Array(copies.indices)
        let missingCopies = history.filter { migration in
            guard let found = unmatched.firstIndex(where: { copies[$0].bytes.elementsEqual(migration.contents) }) else { return true }
            unmatched.remove(at: found)
            return false
        }
        return missingCopies.map { migration in
            let shown = display(Self.folder(.postgres) + "/" + migration.fileName)
            let name = migration.fileName.dropFirst(5).dropLast(4)
            if let found = unmatched.firstIndex(where: { copies[$0].name == name }) {
                let edited = unmatched.remove(at: found)
                return .error(.start(of: folder.display(copies[edited].fileName)), "this Supabase copy differs from \(shown), the migration keyway's history records, and `supabase db push` applies the copy; restore it from that file (released migrations are never changed)")
            }
            return .error(.start(of: folder.path), "no Supabase copy of \(shown) here (<14-digit version>_\(name).sql with its bytes), and `supabase db push` applies only this folder; copy it in, with a version after the copies of the migrations before it")
        }
    }

    /// A Supabase migration version: 14 ASCII digits (`YYYYMMDDHHMMSS`).
    public static func isSupabaseVersion(_ version: some StringProtocol) -> Bool {
        version.utf8.count == 14 && version.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }

    /// `<version>_<name>.sql`: a migration as the Supabase CLI names it.
    static func isSupabaseCopyName(_ fileName: String) -> Bool {
        isSupabaseVersion(fileName.prefix(14)) && fileName.dropFirst(14).first == "_" && fileName.hasSuffix(".sql") && fileName.utf8.count > 19
    }

    /// Whether a file name is one `keyway migrate diff` writes: four digits, '_', a name of
    /// lower-case letters, digits and '_', then `.sql`.
    public static func isWellNamed(_ fileName: String) -> Bool {
        let scalars = Array(fileName.unicodeScalars)
        guard scalars.count > 9, fileName.hasSuffix(".sql"), scalars[4] == "_" else { return false }
        let digits = scalars[0..<4], name = scalars[5..<(scalars.count - 4)]
        return digits.allSatisfy { ("0"..."9").contains($0) }
            && !name.isEmpty && name.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// The migrations of a folder, and everything that must stop `apply` before anything
    /// runs: files that are not migrations, two files of one version, gaps, and files that
    /// do not match `keyway.sum`. Hidden files and `tests/` (pgTAP, written by keyway) are
    /// not migrations and are left alone.
    public static func read(_ folder: some Folder) -> (files: [MigrationFile], problems: [Diagnostic]) {
        func at(_ name: String) -> SourceLocation { .start(of: folder.display(name)) }
        let names: [String]
        switch folder.list("") {
        case .absent: return ([], [])
        case .notAFolder:
            return ([], [.error(.start(of: folder.path), "this is a file, not a migrations folder; pass the folder that holds NNNN_name.sql and keyway.sum")])
        case .unreadable(let reason):
            return ([], [.error(.start(of: folder.path), "the migrations folder cannot be read (\(reason))")])
        case .names(let listed): names = listed
        }
        var files: [MigrationFile] = []
        var problems: [Diagnostic] = []
        for name in names where !name.hasPrefix(".") && name != HistorySum.fileName {
            if folder.item(name) == .folder {
                if name != "tests" {
                    problems.append(.error(at(name), "a folder inside the migrations folder, which holds only NNNN_name.sql files, \(HistorySum.fileName) and tests/; move it out"))
                }
                continue
            }
            guard isWellNamed(name) else {
                problems.append(.error(at(name), "not a migration file name: migrations are NNNN_name.sql (four digits, '_', lower-case letters, digits and '_', '.sql'), written by `keyway migrate diff`; keyway will not guess whether to run this file — move it out of the migrations folder"))
                continue
            }
            guard let contents = folder.contents(name) else {
                problems.append(.error(at(name), "this migration cannot be read; check its permissions"))
                continue
            }
            files.append(MigrationFile(fileName: name, contents: Data(contents)))
        }
        problems += MigrationFile.sequenceProblems(files).map { .error(at($0.fileName), $0.message) }
        if !files.isEmpty {
            if let data = folder.contents(HistorySum.fileName) {
                let redo = "released migrations are never changed — restore the history from version control, and let `keyway migrate diff` add migrations"
                for difference in HistorySum.differences(recorded: String(decoding: data, as: UTF8.self), files: files) {
                    switch difference {
                    case .edited(let name):
                        problems.append(.error(at(name), "the migration history was edited: \(name) changed since \(HistorySum.fileName) recorded it; \(redo)"))
                    case .added(let name):
                        problems.append(.error(at(name), "the migration history was edited: \(name) is not recorded in \(HistorySum.fileName); \(redo)"))
                    case .removed(let name):
                        problems.append(.error(at(name), "the migration history was edited: \(name) is recorded in \(HistorySum.fileName) but is not here; \(redo)"))
                    case .damaged:
                        problems.append(.error(at(HistorySum.fileName), "the migration history was edited: \(HistorySum.fileName) itself was changed; restore it from version control"))
                    }
                }
            } else {
                problems.append(.error(at(HistorySum.fileName), "the integrity file is missing; restore it from version control"))
            }
        }
        return (files, problems.sortedForReport())
    }
}

extension Pipeline {
    public struct MigrationResult: Sendable {
        /// What to write: the output folder (the migration of each dialect, the sums, the
        /// snapshot), then the Supabase folder when its layout is chosen. Empty when the
        /// schema already matches the manifests.
        public var roots: [OutputRoot]
        public var diff: SchemaDiff
    }

    /// `keyway migrate diff`: the next migration, in each dialect of `config`, from the
    /// snapshot to the manifests; then the sums and the snapshot. Pure: the files come
    /// back to be written (as `generate`'s do), in the output folder and, with the Supabase
    /// layout, as one more file in `supabaseFolder` named by `supabaseVersion` — one change
    /// across both folders, so a retry finds the same state.
    public static func migrateDiff(
        manifests: some Folder, output: any Folder, name: String, allowDestructive: Bool, templates: TemplateSet,
        supabaseFolder: String? = nil, supabaseVersion: String? = nil, config: ProjectConfig = .default
    ) throws(DiagnosticsError) -> MigrationResult {
        let validation = validate(manifests: manifests, config: config)
        guard let catalog = validation.catalog else { throw DiagnosticsError(validation.diagnostics) }
        let folder = MigrationsFolder(output: output, dialects: config.migrations.dialects)
        let here = SourceLocation(file: folder.display(MigrationsFolder.snapshotPath), line: 1, column: 1)
        let previous: SchemaState?
        do { previous = try folder.snapshot() } catch {
            throw DiagnosticsError([.error(here, "the snapshot cannot be read; restore it from version control")])
        }
        var problems = folder.historyProblems()
        if let previous, previous.format > SchemaState.currentFormat {
            problems.append(.error(here, "the snapshot is of table format \(previous.format), newer than this keyway's \(SchemaState.currentFormat); use the keyway release that wrote it, or a later one"))
        }
        let diff = SchemaDiff(from: previous, to: SchemaState(catalog))
        if !allowDestructive {
            problems += diff.destructiveChanges.map {
                .error(here, "\($0); pass --allow-destructive to write this migration")
            }
        }
        if supabaseFolder != nil && !config.migrations.dialects.contains(.postgres) {
            problems.append(.error(config.origins.dialects ?? .commandLine, "the supabase layout copies the PostgreSQL migration, and postgres is not among the dialects (keyway.yaml's migrations.dialects); add postgres, or use layout: keyway"))
        }
        if !problems.isEmpty { throw DiagnosticsError(problems) }
        if diff.isEmpty { return MigrationResult(roots: [], diff: diff) }

        var files: [GeneratedFile] = []
        let emitter = MigrationEmitter()
        for dialect in config.migrations.dialects {
            let existing = folder.files(dialect)
            let version = HistorySum.nextVersion(after: existing)
            let fileName = "\(version)_\(name).sql"
            let sql = try emitter.render(diff, dialect: dialect, version: version, name: name, templates: templates)
            let path = MigrationsFolder.folder(dialect) + "/" + fileName
            files.append(GeneratedFile(path: path, contents: sql))
            let all = existing + [MigrationFile(fileName: fileName, contents: Data(sql.utf8))]
            files.append(GeneratedFile(path: MigrationsFolder.folder(dialect) + "/" + HistorySum.fileName, contents: HistorySum.render(all)))
        }
        files.append(GeneratedFile(path: MigrationsFolder.snapshotPath, contents: MigrationsFolder.encode(SchemaState(catalog))))
        var roots = [OutputRoot(folder: output.path, files: files, producer: .migrations)]
        if let supabaseFolder, let sql = files.first(where: { $0.path.hasPrefix(MigrationsFolder.folder(.postgres) + "/") && $0.path.hasSuffix(".sql") })?.contents {
            roots.append(OutputRoot(folder: supabaseFolder, files: [GeneratedFile(path: "\(supabaseVersion ?? "00000000000000")_\(name).sql", contents: sql)],
                                    producer: .migrations, recordsOwnership: false))
        }
        return MigrationResult(roots: roots, diff: diff)
    }
}
