import Foundation
import KeywayMigrations

/// A refused or failed run. When it is about one migration file, `file` names it (the
/// file name inside the migrations folder) and `line` the line of the statement that
/// failed, so the command can report `FOLDER/FILE:LINE:1: error: MESSAGE`.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var file: String?
    public var line: Int

    public init(_ message: String, file: String? = nil, line: Int = 1) {
        self.message = message
        self.file = file
        self.line = line
    }

    /// `FILE:LINE:1: MESSAGE`, or the message alone.
    public var description: String { file.map { "\($0):\(line):1: \(message)" } ?? message }

    /// The message for a statement of a migration that the database refused.
    public static func statementFailed(_ file: MigrationFile, _ statement: SQLStatements.Located?, _ reason: String) -> MigrationError {
        let at = statement.map { " at line \($0.line) (`\($0.firstLine)`)" } ?? ""
        return MigrationError("migration \(file.fileName) failed\(at) and was rolled back, with nothing after it applied: \(reason)",
                              file: file.fileName, line: statement?.line ?? 1)
    }
}

/// A row of the ledger: what was applied, when, and the checksum of its file then.
public struct AppliedMigration: Equatable, Sendable {
    public var version: String
    public var name: String
    public var checksum: String
    public var appliedAt: String
    public var executionMs: Int
}

/// A database keyway can migrate. Implementations hold one connection.
public protocol MigrationDatabase: Sendable {
    /// The ledger as it is, read without a lock and without creating anything; nil
    /// when the database has no ledger yet. What `status` shows.
    func ledger() async throws -> [AppliedMigration]?
    /// Serialises appliers (an advisory lock on PostgreSQL; a no-op where the database
    /// serialises writers itself), creates the ledger if needed.
    func prepare() async throws
    func applied() async throws -> [AppliedMigration]
    /// Runs one migration and records it, in one transaction. Throws after rolling back.
    /// Nil when another applier recorded the migration first (SQLite, which locks per
    /// migration, checks the ledger again inside the transaction).
    func apply(_ file: MigrationFile) async throws -> AppliedMigration?
    func finish() async
}

/// What one `apply` did: the migrations it ran, and those that were pending when it
/// started but that another applier ran while this one waited for the lock.
public struct MigrationRun: Equatable, Sendable {
    public var applied: [AppliedMigration]
    public var appliedElsewhere: [MigrationFile]
}

/// One line of `keyway migrate status`.
public struct MigrationState: Equatable, Sendable {
    public enum State: String, Sendable { case applied, pending, edited, missing }
    public var version: String
    public var name: String
    public var state: State
    public var appliedAt: String?
}

/// The rules of a migration run, the same for every database (Flyway's and Atlas' bar):
/// applied migrations must still match their files, pending ones run in order, each in
/// its own transaction, none older than the last applied one.
public enum Migrator {
    public static func status(files: [MigrationFile], applied: [AppliedMigration]) -> [MigrationState] {
        let byVersion = Dictionary(applied.map { ($0.version, $0) }, uniquingKeysWith: { a, _ in a })
        var states = files.map { file -> MigrationState in
            guard let row = byVersion[file.version] else { return MigrationState(version: file.version, name: file.name, state: .pending, appliedAt: nil) }
            return MigrationState(version: file.version, name: file.name, state: row.checksum == file.checksum ? .applied : .edited, appliedAt: row.appliedAt)
        }
        let versions = Set(files.map(\.version))
        for row in applied where !versions.contains(row.version) {
            states.append(MigrationState(version: row.version, name: row.name, state: .missing, appliedAt: row.appliedAt))
        }
        return states.sorted { $0.version < $1.version }
    }

    /// Applies every pending migration; returns those applied. Refuses to start when the
    /// history of the database and the files disagree.
    public static func apply(files: [MigrationFile], to database: any MigrationDatabase) async throws -> [AppliedMigration] {
        try await run(files: files, to: database).applied
    }

    /// Applies every pending migration. Refuses to start when the files are out of
    /// sequence, or the history of the database and the files disagree.
    /// `onApplied` hears of each migration as it commits (so a later failure does not
    /// hide what was applied before it).
    public static func run(files: [MigrationFile], to database: any MigrationDatabase,
                           onApplied: (AppliedMigration) -> Void = { _ in }) async throws -> MigrationRun {
        if let problem = MigrationFile.sequenceProblems(files).first {
            throw MigrationError(problem.message + "; nothing was applied", file: problem.fileName)
        }
        // What was pending before waiting for the lock: what another applier runs in
        // the meantime was applied by it, not by this run.
        let before = Set((try await database.ledger() ?? []).map(\.version))
        try await database.prepare()
        do {
            let applied = try await database.applied()
            let states = status(files: files, applied: applied)
            if let edited = states.first(where: { $0.state == .edited }) {
                throw MigrationError("migration \(edited.version)_\(edited.name) was applied with another checksum: released migrations must not change; restore the file (git checkout) and add a new migration instead",
                                     file: files.first { $0.version == edited.version }?.fileName)
            }
            if let missing = states.first(where: { $0.state == .missing }) {
                throw MigrationError("migration \(missing.version)_\(missing.name) is applied in the database but has no file here; use the migrations folder of the release that applied it")
            }
            let lastApplied = applied.map(\.version).max()
            let pending = files.filter { file in !applied.contains { $0.version == file.version } }
            if let last = lastApplied, let early = pending.first(where: { $0.version < last }) {
                throw MigrationError("migration \(early.fileName) is older than the last applied one (\(last)); rename it to a later version", file: early.fileName)
            }
            let appliedVersions = Set(applied.map(\.version))
            var elsewhere = files.filter { !before.contains($0.version) && appliedVersions.contains($0.version) }
            var done: [AppliedMigration] = []
            for file in pending {
                if let row = try await database.apply(file) {
                    done.append(row)
                    onApplied(row)
                } else {
                    elsewhere.append(file)
                }
            }
            await database.finish()
            return MigrationRun(applied: done, appliedElsewhere: elsewhere)
        } catch {
            await database.finish()
            throw error
        }
    }
}

/// `sqlite:PATH` or `postgres://user:password@host:port/database?sslmode=require|disable`.
public enum DatabaseURL: Equatable, Sendable {
    case sqlite(path: String)
    case postgres(host: String, port: Int, user: String, password: String?, database: String, tls: TLSMode)

    /// libpq's meanings: `require` encrypts without checking the certificate;
    /// `verify-full` also checks the chain and the host name.
    public enum TLSMode: String, Sendable { case disable, require, verifyFull = "verify-full" }

    public static func parse(_ text: String) throws(MigrationError) -> DatabaseURL {
        if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw MigrationError("sqlite: needs a file path, like sqlite:keyway.sqlite") }
            return .sqlite(path: path)
        }
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"), let url = URLComponents(string: text),
              let host = url.host, !host.isEmpty else {
            throw MigrationError("the database URL must be sqlite:PATH or postgres://user:password@host:port/database?sslmode=require")
        }
        let database = String(url.path.drop { $0 == "/" })
        let mode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? "require"
        guard let tls = TLSMode(rawValue: mode) else {
            throw MigrationError("sslmode must be require, verify-full or disable, not '\(mode)'")
        }
        return .postgres(host: host, port: url.port ?? 5432, user: url.user.map { $0.removingPercentEncoding ?? $0 } ?? "postgres",
                         password: url.password.map { $0.removingPercentEncoding ?? $0 },
                         database: database.isEmpty ? (url.user ?? "postgres") : database, tls: tls)
    }

    /// The database as a diagnostic names it: the URL without password or options
    /// (`postgres://user@host:5432/db`, `sqlite:path`); a database object is a path under it.
    public var location: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let host, let port, let user, _, let database, _): "postgres://\(user)@\(host):\(port)/\(database)"
        }
    }

    /// The URL without its password, for messages.
    public var redacted: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let host, let port, let user, _, let database, let tls): "postgres://\(user)@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)"
        }
    }
}
