import Foundation
import GRDB
import KeywayMigrations

/// Migrations on SQLite through GRDB. SQLite runs a whole script natively; each
/// migration and its ledger row commit together in an IMMEDIATE transaction, which
/// also serialises concurrent appliers (the second re-checks the ledger and skips).
public final class SQLiteMigrationDatabase: MigrationDatabase, @unchecked Sendable {
    public let queue: DatabaseQueue

    public convenience init(path: String) throws {
        try self.init(path: path, readOnly: false)
    }

    init(path: String, readOnly: Bool) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(30)
        configuration.readonly = readOnly
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
            let folder = (path as NSString).deletingLastPathComponent
            let reason = exists && isFolder.boolValue ? "it is a folder, not a file"
                : !exists && !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) ? "the folder \(folder) does not exist"
                : Self.describe(error)
            throw MigrationError("cannot open the SQLite database \(path): \(reason)")
        }
    }

    /// The database at `path` for reading, or nil when there is none: read-only, unless a
    /// run was killed in the middle of a transaction and left its rollback journal (a
    /// "hot" journal), which only a connection that may write can roll back — SQLite then
    /// does, on opening, exactly what `apply` would; nothing else is written.
    public static func existing(path: String) throws -> SQLiteMigrationDatabase? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let hotJournal = FileManager.default.fileExists(atPath: path + "-journal")
        return try SQLiteMigrationDatabase(path: path, readOnly: !hotJournal)
    }

    /// SQLite's own message, without the SQL GRDB appends to its errors.
    public static func describe(_ error: Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "SQLite error \(error.resultCode.rawValue)" }
        if let error = error as? MigrationError { return error.message }
        return (error as NSError).localizedDescription
    }

    public func ledger() async throws -> [AppliedMigration]? {
        do {
            let exists = try await queue.read { try Bool.fetchOne($0, sql: "select 1 from sqlite_master where type = 'table' and name = 'keyway_schema_migrations'") ?? false }
            return exists ? try await applied() : nil
        } catch {
            throw MigrationError("cannot read the ledger keyway_schema_migrations: \(Self.describe(error))")
        }
    }

    public func prepare() async throws {
        do {
            try await create()
        } catch {
            throw MigrationError("cannot prepare the ledger: \(Self.describe(error))")
        }
    }

    private func create() async throws {
        try await queue.write { db in
            try db.execute(sql: """
                create table if not exists keyway_schema_migrations (
                  version text primary key not null,
                  name text not null,
                  checksum text not null,
                  applied_at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                  execution_ms integer not null
                ) strict
                """)
        }
    }

    public func applied() async throws -> [AppliedMigration] {
        try await queue.read { db in
            try Row.fetchAll(db, sql: "select version, name, checksum, applied_at, execution_ms from keyway_schema_migrations order by version").map {
                AppliedMigration(version: $0["version"], name: $0["name"], checksum: $0["checksum"], appliedAt: $0["applied_at"], executionMs: $0["execution_ms"])
            }
        }
    }

    public func apply(_ file: MigrationFile) async throws -> AppliedMigration? {
        let sql = String(decoding: file.contents, as: UTF8.self)
        do {
            return try await queue.writeWithoutTransaction { db in
                var row: AppliedMigration?
                try db.inTransaction(.immediate) {
                    if try Bool.fetchOne(db, sql: "select 1 from keyway_schema_migrations where version = ?", arguments: [file.version]) == true {
                        return .commit
                    }
                    let start = DispatchTime.now()
                    try Self.run(script: sql, of: file, in: db)
                    let ms = Int((DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1_000_000)
                    try db.execute(sql: "insert into keyway_schema_migrations (version, name, checksum, execution_ms) values (?, ?, ?, ?)",
                                   arguments: [file.version, file.name, file.checksum, ms])
                    row = try Row.fetchOne(db, sql: "select applied_at from keyway_schema_migrations where version = ?", arguments: [file.version]).map {
                        AppliedMigration(version: file.version, name: file.name, checksum: file.checksum, appliedAt: $0["applied_at"], executionMs: ms)
                    }
                    return .commit
                }
                return row
            }
        } catch let error as MigrationError {
            throw error
        } catch {
            throw MigrationError.statementFailed(file, nil, Self.describe(error))
        }
    }

    /// Runs a script statement by statement, as SQLite itself splits it (triggers keep
    /// their inner semicolons), so that a failure names the statement and its line.
    static func run(script: String, of file: MigrationFile, in db: Database) throws {
        let statements = try db.allStatements(sql: script)
        var offset = script.startIndex
        /// The statement that starts at or after `from` (skipping blanks and comments).
        func located(from: String.Index) -> SQLStatements.Located? {
            guard let first = SQLStatements.locate(String(script[from...])).first else { return nil }
            let before = script[..<from].reduce(0) { $1 == "\n" || $1 == "\r\n" ? $0 + 1 : $0 }
            return SQLStatements.Located(text: first.text, line: before + first.line, firstLine: first.firstLine)
        }
        while true {
            let statement: Statement
            do {
                guard let next = try statements.next() else { return }
                statement = next
            } catch {
                throw MigrationError.statementFailed(file, located(from: offset), describe(error))
            }
            let start = offset
            if let range = script.range(of: statement.sql, range: offset..<script.endIndex) { offset = range.upperBound }
            do {
                try statement.execute()
            } catch {
                throw MigrationError.statementFailed(file, located(from: start), describe(error))
            }
        }
    }

    public func finish() async {}
}

extension MigrationError {
    /// A readable reason for any error of a run: the database's own message, never the
    /// SQL it was running nor a bare Foundation error code.
    public static func reason(_ error: any Error) -> String {
        if let error = error as? MigrationError { return error.description }
        if error is DatabaseError { return SQLiteMigrationDatabase.describe(error) }
        return PostgresMigrationDatabase.describe(error)
    }
}
