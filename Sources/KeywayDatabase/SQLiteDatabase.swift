import Foundation
import GRDB
import KeywayMigrations

/// Migrations on SQLite through GRDB. SQLite runs a whole script natively; each
/// migration and its ledger row commit together in an IMMEDIATE transaction, which
/// also serialises concurrent appliers (the second re-checks the ledger and skips).
public final class SQLiteMigrationDatabase: MigrationDatabase, @unchecked Sendable {
    public let queue: DatabaseQueue

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(30)
        queue = try DatabaseQueue(path: path, configuration: configuration)
    }

    public func prepare() async throws {
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

    public func apply(_ file: MigrationFile) async throws -> AppliedMigration {
        let sql = String(decoding: file.contents, as: UTF8.self)
        do {
            return try await queue.writeWithoutTransaction { db in
                var row: AppliedMigration?
                try db.inTransaction(.immediate) {
                    if try Bool.fetchOne(db, sql: "select 1 from keyway_schema_migrations where version = ?", arguments: [file.version]) == true {
                        return .commit
                    }
                    let start = DispatchTime.now()
                    try db.execute(sql: sql)
                    let ms = Int((DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1_000_000)
                    try db.execute(sql: "insert into keyway_schema_migrations (version, name, checksum, execution_ms) values (?, ?, ?, ?)",
                                   arguments: [file.version, file.name, file.checksum, ms])
                    row = try Row.fetchOne(db, sql: "select applied_at from keyway_schema_migrations where version = ?", arguments: [file.version]).map {
                        AppliedMigration(version: file.version, name: file.name, checksum: file.checksum, appliedAt: $0["applied_at"], executionMs: ms)
                    }
                    return .commit
                }
                return row ?? AppliedMigration(version: file.version, name: file.name, checksum: file.checksum, appliedAt: "", executionMs: 0)
            }
        } catch let error as MigrationError {
            throw error
        } catch {
            throw MigrationError("migration \(file.fileName) failed and was rolled back: \(error)")
        }
    }

    public func finish() async {}
}
