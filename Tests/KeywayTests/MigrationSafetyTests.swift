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

/// A migrations folder holding `files` and the `keyway.sum` that `migrate diff` would have
/// written for `recorded` (default: the files themselves).
func historyFolder(_ files: [(String, String)], recorded: [(String, String)]? = nil) -> TempDir {
    let folder = TempDir()
    for (name, sql) in files { folder.write(name, sql) }
    let sum = (recorded ?? files).map { MigrationFile(fileName: $0.0, contents: Data($0.1.utf8)) }
    folder.write(HistorySum.fileName, HistorySum.render(sum))
    return folder
}

/// Output with the durations (which vary) written as N.
func normalized(_ text: String) -> String {
    text.replacingOccurrences(of: #"\(\d+ ms\)"#, with: "(N ms)", options: .regularExpression)
}

/// A keyway process left running in the background; its output goes to files, so that
/// neither pipe fills up while it waits.
final class KeywayProcess {
    let process = Process()
    let folder = TempDir()

    init(_ arguments: [String]) throws {
        process.executableURL = KeywayRun.binary
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: folder.path + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: folder.path + "/err", contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: folder.url.appendingPathComponent("out"))
        process.standardError = try FileHandle(forWritingTo: folder.url.appendingPathComponent("err"))
        try process.run()
    }

    func wait() -> KeywayRun {
        process.waitUntilExit()
        return KeywayRun(status: process.terminationStatus, stdout: folder.read("out") ?? "", stderr: folder.read("err") ?? "")
    }
}

/// Polls until `condition` holds (at most 30 s).
func waitUntil(_ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(30)
    while !condition() {
        guard Date() < deadline else { throw MigrationError("timed out") }
        usleep(20_000)
    }
}

@Suite("Migrations refused before anything runs; status reads only; concurrent appliers; messages", .serialized)
struct MigrationSafetyTests {
    static let sameVersion = "version 0002 is used by 2 files (0002_b.sql, 0002_c.sql), as when two branches each added a migration; keep one, delete the others (and their lines in keyway.sum), and run `keyway migrate diff` on the merged manifests to write the rest as the next version"
    static let offPattern = "not a migration file name: migrations are NNNN_name.sql (four digits, '_', lower-case letters, digits and '_', '.sql'), written by `keyway migrate diff`; keyway will not guess whether to run this file — move it out of the migrations folder"
    static let restore = "released migrations are never changed — restore the history from version control, and let `keyway migrate diff` add migrations"

    static func apply(_ database: String, _ folder: TempDir) throws -> KeywayRun {
        try KeywayRun.run(["migrate", "apply", "--database", database, "--migrations", folder.path])
    }

    /// Runs `apply` on a new SQLite file and on a new PostgreSQL database; both must refuse
    /// with `diagnostics` (without the folder prefix) and touch neither database.
    static func expectRefused(_ folder: TempDir, _ diagnostics: [(String, String)], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let plural = diagnostics.count == 1 ? "" : "s"
        let expected = "\(folder.path):1:1: error: the migrations folder is not in order (\(diagnostics.count) problem\(plural)); nothing was applied\n"
            + diagnostics.map { "\(folder.path)/\($0.0):1:1: error: \($0.1)\n" }.joined()
            + "\(diagnostics.count + 1) errors, 0 warnings\n"
        let dbs = TempDir()
        let sqlite = try apply("sqlite:\(dbs.path)/k.sqlite", folder)
        #expect(sqlite.status == 1, sourceLocation: sourceLocation)
        #expect(sqlite.stdout == "", sourceLocation: sourceLocation)
        #expect(sqlite.stderr == expected, sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: dbs.path + "/k.sqlite"), "the SQLite file was created", sourceLocation: sourceLocation)

        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        let postgres = try apply(server.urlString(db), folder)
        #expect(postgres.status == 1, sourceLocation: sourceLocation)
        #expect(postgres.stdout == "", sourceLocation: sourceLocation)
        #expect(postgres.stderr == expected, sourceLocation: sourceLocation)
        #expect(server.psql(db, "select count(*) from pg_namespace where nspname = 'keyway'").output == "0\n", "the ledger was created", sourceLocation: sourceLocation)
        #expect(server.psql(db, "select count(*) from pg_tables where schemaname = 'public'").output == "0\n", "a migration ran", sourceLocation: sourceLocation)
    }

    // MARK: defect 1 — the folder is checked before anything runs

    @Test("two migrations of one version (two branches merged) are refused, on both databases")
    func duplicateVersions() async throws {
        let folder = historyFolder([("0001_a.sql", "create table a (x integer);\n"), ("0002_b.sql", "create table b (x integer);\n"),
                                    ("0002_c.sql", "create table c (x integer);\n")])
        try Self.expectRefused(folder, [("0002_b.sql", Self.sameVersion), ("0002_c.sql", Self.sameVersion)])
        // The applier itself refuses them too, before it creates its ledger.
        let dbs = TempDir()
        let database = try SQLiteMigrationDatabase(path: dbs.path + "/k.sqlite")
        do {
            _ = try await Migrator.apply(files: MigrationsFolder.files(in: folder.path), to: database)
            Issue.record("two migrations of one version were applied")
        } catch let error as MigrationError {
            #expect(error.description == "0002_b.sql:1:1: \(Self.sameVersion); nothing was applied")
        }
        #expect(try await database.queue.read { try String.fetchAll($0, sql: "select name from sqlite_master") } == [])
    }

    @Test("a gap in the versions (0001, 0003) is refused, on both databases")
    func gap() throws {
        let folder = historyFolder([("0001_a.sql", "create table a (x integer);\n"), ("0003_c.sql", "create table c (x integer);\n")])
        try Self.expectRefused(folder, [("0003_c.sql", "version 0002 is missing before 0003_c.sql: migrations run in an unbroken sequence from 0001; restore 0002's file from version control")])
    }

    @Test("files off the NNNN_name.sql pattern are refused; hidden files, keyway.sum and tests/ are not migrations")
    func offPattern() throws {
        let folder = historyFolder([("0001_a.sql", "create table a (x integer);\n")])
        for name in ["4_x.sql", "0005_x.SQL", "0006-x.sql", "notes.sql"] { folder.write(name, "create table stray (x integer);\n") }
        folder.write(".DS_Store", "binary")
        folder.write(".0007_hidden.sql", "create table hidden (x integer);\n")
        folder.write("tests/rls.sql", "select plan(1);\n")
        try Self.expectRefused(folder, ["0005_x.SQL", "0006-x.sql", "4_x.sql", "notes.sql"].map { ($0, Self.offPattern) })
    }

    // MARK: defect 4 — the folder must match keyway.sum

    @Test("apply refuses a migration edited, added or removed since keyway.sum recorded it, on both databases")
    func sumChecked() throws {
        let a = ("0001_a.sql", "create table a (x integer);\n"), b = ("0002_b.sql", "create table b (x integer);\n")
        let edited = historyFolder([("0001_a.sql", "create table a (x integer, y integer);\n"), b], recorded: [a, b])
        try Self.expectRefused(edited, [("0001_a.sql", "the migration history was edited: 0001_a.sql changed since keyway.sum recorded it; \(Self.restore)")])
        let added = historyFolder([a, b], recorded: [a])
        try Self.expectRefused(added, [("0002_b.sql", "the migration history was edited: 0002_b.sql is not recorded in keyway.sum; \(Self.restore)")])
        let removed = historyFolder([a], recorded: [a, b])
        try Self.expectRefused(removed, [("0002_b.sql", "the migration history was edited: 0002_b.sql is recorded in keyway.sum but is not here; \(Self.restore)")])
        let unsummed = TempDir()
        unsummed.write(a.0, a.1)
        try Self.expectRefused(unsummed, [("keyway.sum", "the integrity file is missing; restore it from version control")])
    }

    // MARK: defect 2 — status is read-only

    @Test("status on SQLite creates neither the database file nor the ledger")
    func sqliteStatusReadOnly() throws {
        let folder = historyFolder([("0001_a.sql", "create table a (x integer);\n"), ("0002_b.sql", "create table b (x integer);\n")])
        let dbs = TempDir()
        let path = dbs.path + "/absent.sqlite"
        let absent = try KeywayRun.run(["migrate", "status", "--database", "sqlite:\(path)", "--migrations", folder.path])
        #expect(absent.status == 0)
        #expect(absent.stderr == "")
        #expect(absent.stdout == "pending  0001_a\npending  0002_b\nkeyway: no database at \(path); nothing applied\n")
        #expect(!FileManager.default.fileExists(atPath: path), "status created the database file")

        let other = dbs.path + "/other.sqlite"
        let queue = try DatabaseQueue(path: other)
        try queue.write { try $0.execute(sql: "create table mine (x integer)") }
        let unledgered = try KeywayRun.run(["migrate", "status", "--database", "sqlite:\(other)", "--migrations", folder.path])
        #expect(unledgered.status == 0)
        #expect(unledgered.stderr == "")
        #expect(unledgered.stdout == "pending  0001_a\npending  0002_b\nkeyway: sqlite:\(other) has no migration ledger; nothing applied\n")
        #expect(try queue.read { try String.fetchAll($0, sql: "select name from sqlite_master") } == ["mine"])
    }

    @Test("a database URL a command cannot take is a usage error with that command's usage line, before anything is opened")
    func databaseURLUsage() throws {
        func usage(_ command: String, _ options: String, _ message: String) -> String {
            "Error: \(message)\nUsage: keyway migrate \(command) \(options)\n  See 'keyway migrate \(command) --help' for more information.\n"
        }
        let db = "[--database <database>] [--migrations <migrations>] [--config <config>]"
        let cases: [([String], String)] = [
            (["apply", "--database", "nonsense"], usage("apply", db, "the database URL must be sqlite:PATH or postgres://user:password@host:port/database?sslmode=require")),
            (["apply", "--database", "sqlite:"], usage("apply", db, "sqlite: needs a file path, like sqlite:keyway.sqlite")),
            (["status", "--database", "mysql://h/db"], usage("status", db, "the database URL must be sqlite:PATH or postgres://user:password@host:port/database?sslmode=require")),
            (["adopt", "--database", "sqlite:x.db"], usage("adopt", db, "adopt needs a postgres:// database")),
            (["lint", "--database", "sqlite:/x.db"], usage("lint", "[--database <database>] [--schema <schema> ...] [--format <format>]", "lint needs a postgres:// database (SQLite has no row level security)")),
        ]
        let dir = TempDir()
        for (arguments, expected) in cases {
            let run = try KeywayRun.run(["migrate"] + arguments, in: dir.url)
            #expect(run.status == 2)
            #expect(run.stdout + run.stderr == expected, "\(arguments)")
        }
        #expect(dir.snapshot().isEmpty)
    }

    @Test("SQLite: status after a writer was killed mid-transaction (a hot journal left) rolls it back and reads, as apply would")
    func sqliteStatusAfterKill() throws {
        let folder = historyFolder([("0001_a.sql", "create table a (x integer);\n"), ("0002_b.sql", "create table b (x integer);\n")])
        let dbs = TempDir()
        let path = dbs.path + "/app.sqlite"
        let apply = try KeywayRun.run(["migrate", "apply", "--database", "sqlite:\(path)", "--migrations", folder.path])
        #expect(apply.status == 0, "\(apply.stderr)")
        let before = try KeywayRun.run(["migrate", "status", "--database", "sqlite:\(path)", "--migrations", folder.path])
        // A writer that spills a transaction's pages into the database file, then dies
        // (kill -9): its rollback journal is left, hot.
        let killed = Python.run(["-c", """
            import os, signal, sqlite3
            db = sqlite3.connect(\(String(reflecting: path)), isolation_level=None)
            db.execute("pragma journal_mode=delete"); db.execute("pragma cache_size=1")
            db.execute("begin"); db.execute("create table big (x text)")
            for i in range(2000): db.execute("insert into big values (?)", ("x" * 500,))
            os.kill(os.getpid(), signal.SIGKILL)
            """])
        #expect(killed.status != 0)
        #expect(FileManager.default.fileExists(atPath: path + "-journal"))
        let after = try KeywayRun.run(["migrate", "status", "--database", "sqlite:\(path)", "--migrations", folder.path])
        #expect(after.status == 0 && after.stderr == "", "\(after.stderr)")
        #expect(after.stdout == before.stdout)
        // State and migration of each line (the time each was applied follows).
        #expect(before.stdout.split(separator: "\n").map { $0.split(separator: " ").prefix(2).joined(separator: " ") } == ["applied 0001_a", "applied 0002_b"], "\(before.stdout)")
        #expect(!FileManager.default.fileExists(atPath: path + "-journal"))
        let tables = try DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "select name from sqlite_master where type = 'table' and name in ('a', 'b', 'big') order by 1") }
        #expect(tables == ["a", "b"])
    }

    @Test("status on PostgreSQL creates neither the keyway schema nor the ledger")
    func postgresStatusReadOnly() throws {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        let folder = historyFolder([("0001_a.sql", "create table public.a (x integer);\n")])
        let status = try KeywayRun.run(["migrate", "status", "--database", server.urlString(db), "--migrations", folder.path])
        #expect(status.status == 0)
        #expect(status.stderr == "")
        #expect(status.stdout == "pending  0001_a\nkeyway: \(server.url(db).redacted) has no migration ledger; nothing applied\n")
        #expect(server.psql(db, "select count(*) from pg_namespace where nspname = 'keyway'").output == "0\n")
    }

    // MARK: defect 3 — two appliers at once

    /// Two `keyway migrate apply` processes; the second starts once the first is inside
    /// the slow migration (`busy` says so). The first applies, the second says who did.
    static func race(database: String, slow: String, busy: () -> Bool) throws -> (first: KeywayRun, second: KeywayRun) {
        let folder = historyFolder([("0001_slow.sql", slow)])
        let first = try KeywayProcess(["migrate", "apply", "--database", database, "--migrations", folder.path])
        try waitUntil(busy)
        let second = try KeywayProcess(["migrate", "apply", "--database", database, "--migrations", folder.path])
        return (first.wait(), second.wait())
    }

    @Test("PostgreSQL: of two concurrent appliers, the one that waited says the migration was applied by another process")
    func postgresConcurrentProcesses() throws {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        let url = server.url(db).redacted
        let (first, second) = try Self.race(database: server.urlString(db), slow: "select pg_sleep(2);\ncreate table public.slow (x int);\n") {
            // pg_locks is the cluster's: count this database's locks only.
            server.psql(db, "select count(*) from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())").output == "1\n"
        }
        #expect(first.status == 0 && first.stderr == "", "\(first.stderr)")
        #expect(normalized(first.stdout) == "applied 0001_slow (N ms)\nkeyway: \(url) is at 0001 (1 applied now)\n")
        #expect(second.status == 0 && second.stderr == "", "\(second.stderr)")
        #expect(second.stdout == "already applied by another process: 0001_slow\nkeyway: \(url) is at 0001 (0 applied now)\n")
        #expect(server.psql(db, "select count(*) from keyway.schema_migrations").output == "1\n")
        // Later, with nothing pending: the plain up-to-date message.
        let same = historyFolder([("0001_slow.sql", "select pg_sleep(2);\ncreate table public.slow (x int);\n")])
        let again = try KeywayRun.run(["migrate", "apply", "--database", server.urlString(db), "--migrations", same.path])
        #expect(again.stdout == "keyway: \(url) is at 0001 (0 applied now)\n")
    }

    @Test("SQLite: of two concurrent appliers, the one that waited says the migration was applied by another process")
    func sqliteConcurrentProcesses() throws {
        let dbs = TempDir()
        let path = dbs.path + "/race.sqlite"
        let slow = "create table slow as with recursive c(x) as (select 1 union all select x + 1 from c where x < 3000000) select count(*) as n from c;\n"
        let (first, second) = try Self.race(database: "sqlite:\(path)", slow: slow) {
            // The first holds the write lock inside its migration.
            guard FileManager.default.fileExists(atPath: path) else { return false }
            var configuration = Configuration()
            configuration.busyMode = .immediateError
            guard let probe = try? DatabaseQueue(path: path, configuration: configuration),
                  (try? probe.read { try Bool.fetchOne($0, sql: "select 1 from sqlite_master where name = 'keyway_schema_migrations'") }) == true
            else { return false }
            return (try? probe.writeWithoutTransaction { try $0.execute(sql: "begin immediate; rollback") }) == nil
        }
        #expect(first.status == 0 && first.stderr == "", "\(first.stderr)")
        #expect(normalized(first.stdout) == "applied 0001_slow (N ms)\nkeyway: sqlite:\(path) is at 0001 (1 applied now)\n")
        #expect(second.status == 0 && second.stderr == "", "\(second.stderr)")
        #expect(second.stdout == "already applied by another process: 0001_slow\nkeyway: sqlite:\(path) is at 0001 (0 applied now)\n")
        #expect(try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "select count(*) from keyway_schema_migrations") } == 1)
    }

    // MARK: defect 5 — what a failure says

    static let longColumns = (1...12).map { "a_rather_long_column_name_\($0)" }.joined(separator: ", ")
    static let failing = [
        ("0001_good.sql", "create table good (x integer);\n"),
        ("0002_bad.sql", "-- adds u, then fails\ncreate table u (x integer);\n\n/* a comment; with a semicolon */ insert into nowhere (\(longColumns))\n  values (1);\ncreate table after (x integer);\n"),
    ]
    static let excerpt = String("insert into nowhere (\(longColumns))".prefix(119)) + "…"

    @Test("SQLite: a failing statement is named by file, line and first line, with SQLite's message and no SQL dump")
    func sqliteFailureMessage() throws {
        let folder = historyFolder(Self.failing), dbs = TempDir()
        let run = try Self.apply("sqlite:\(dbs.path)/f.sqlite", folder)
        #expect(run.status == 1)
        #expect(normalized(run.stdout) == "applied 0001_good (N ms)\n")
        #expect(run.stderr == "\(folder.path)/0002_bad.sql:4:1: error: migration 0002_bad.sql failed at line 4 (`\(Self.excerpt)`) and was rolled back, with nothing after it applied: no such table: nowhere\n1 error, 0 warnings\n")
        let queue = try DatabaseQueue(path: dbs.path + "/f.sqlite")
        #expect(try queue.read { try String.fetchAll($0, sql: "select version from keyway_schema_migrations") } == ["0001"])
        #expect(try queue.read { try String.fetchAll($0, sql: "select name from sqlite_master where name in ('u', 'after')") } == [])
    }

    @Test("PostgreSQL: a failing statement is named by file, line and first line, with PostgreSQL's message")
    func postgresFailureMessage() throws {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        let folder = historyFolder(Self.failing)
        let run = try Self.apply(server.urlString(db), folder)
        #expect(run.status == 1)
        #expect(normalized(run.stdout) == "applied 0001_good (N ms)\n")
        #expect(run.stderr == "\(folder.path)/0002_bad.sql:4:1: error: migration 0002_bad.sql failed at line 4 (`\(Self.excerpt)`) and was rolled back, with nothing after it applied: relation \"nowhere\" does not exist\n1 error, 0 warnings\n")
        #expect(server.psql(db, "select version from keyway.schema_migrations").output == "0001\n")
    }

    @Test("a database that cannot be opened is named, with the reason, not a Foundation error code")
    func unopenable() throws {
        let folder = historyFolder([("0001_a.sql", "create table a (x integer);\n")]), dbs = TempDir()
        let missingFolder = try Self.apply("sqlite:\(dbs.path)/no/such/folder/k.sqlite", folder)
        #expect(missingFolder.status == 1)
        #expect(missingFolder.stderr == "sqlite:\(dbs.path)/no/such/folder/k.sqlite:1:1: error: cannot open the SQLite database \(dbs.path)/no/such/folder/k.sqlite: the folder \(dbs.path)/no/such/folder does not exist\n1 error, 0 warnings\n")
        let isFolder = try Self.apply("sqlite:\(dbs.path)", folder)
        #expect(isFolder.status == 1)
        #expect(isFolder.stderr == "sqlite:\(dbs.path):1:1: error: cannot open the SQLite database \(dbs.path): it is a folder, not a file\n1 error, 0 warnings\n")
        dbs.write("junk.sqlite", String(repeating: "not a database ", count: 100))
        let junk = try Self.apply("sqlite:\(dbs.path)/junk.sqlite", folder)
        #expect(junk.status == 1)
        #expect(junk.stderr == "sqlite:\(dbs.path)/junk.sqlite:1:1: error: cannot open the SQLite database \(dbs.path)/junk.sqlite: file is not a database\n1 error, 0 warnings\n")
    }
}
