import Foundation
import KeywayDatabase
import Logging
import PostgresNIO

/// A private PostgreSQL cluster for the tests: initdb into a temporary folder, a free
/// loopback port, trust authentication, stopped when the test process exits. PostgreSQL
/// refuses to run as root, so as root the server runs as the `postgres` user.
/// It creates Supabase's roles as Supabase does before anything is applied.
final class PostgresServer: @unchecked Sendable {
    let port: Int
    let folder: String
    let binaries: String
    private let lock = NSLock()
    private var databases = 0

    static let shared: Result<PostgresServer, ServerError> = Result { () throws(ServerError) in try PostgresServer() }

    struct ServerError: Error, CustomStringConvertible {
        var description: String
    }

    /// The shared server, or a failure that says what to install.
    static func get() throws -> PostgresServer { try shared.get() }

    private init() throws(ServerError) {
        guard let bin = Self.findBinaries() else {
            throw ServerError(description: "PostgreSQL's server binaries (initdb, pg_ctl) are not installed: apt-get install postgresql postgresql-15-pgtap (bash .ci/run does it)")
        }
        binaries = bin
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("keyway-pg-\(UUID().uuidString.prefix(8))").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        port = Self.freePort()
        // A self-signed certificate, so that sslmode=require is tried for real.
        let certificate = Self.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                                                        "-keyout", folder + "/server.key", "-out", folder + "/server.crt"])
        guard certificate.status == 0 else { throw ServerError(description: "openssl could not make a test certificate: \(certificate.output)") }
        chmod(folder + "/server.key", 0o600)
        if getuid() == 0 { _ = Self.run("/bin/chown", ["-R", "postgres:postgres", folder]) }
        let initdb = Self.runAsServerUser(bin + "/initdb", ["-D", folder + "/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"])
        guard initdb.status == 0 else { throw ServerError(description: "initdb failed: \(initdb.output)") }
        // The server inherits pg_ctl's standard output: a pipe would never reach its end.
        let start = Self.runAsServerUser(bin + "/pg_ctl", detached: true, [
            "-D", folder + "/data", "-l", folder + "/server.log", "-w", "-t", "60",
            "-o", "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=50 -c ssl=on -c ssl_cert_file=\(folder)/server.crt -c ssl_key_file=\(folder)/server.key",
            "start",
        ])
        guard start.status == 0 else {
            let log = (try? String(contentsOfFile: folder + "/server.log", encoding: .utf8)) ?? ""
            throw ServerError(description: "pg_ctl start failed: \(start.output)\n\(log)")
        }
        PostgresServer.registerStop(binaries: bin, folder: folder)
        let roles = Self.psql(port: port, database: "postgres", """
            create role anon nologin noinherit;
            create role authenticated nologin noinherit;
            create role service_role nologin noinherit bypassrls;
            create role authenticator noinherit login;
            grant anon, authenticated, service_role to authenticator;
            """)
        guard roles.status == 0 else { throw ServerError(description: "creating Supabase's roles failed: \(roles.output)") }
    }

    /// A new, empty database; its name.
    func createDatabase() throws -> String {
        lock.lock()
        databases += 1
        let name = "keyway_test_\(databases)_\(UInt32.random(in: 0...UInt32.max))"
        lock.unlock()
        let result = Self.psql(port: port, database: "postgres", "create database \(name);")
        guard result.status == 0 else { throw ServerError(description: "create database failed: \(result.output)") }
        return name
    }

    func url(_ database: String, user: String = "postgres") -> DatabaseURL {
        .postgres(host: "127.0.0.1", port: port, user: user, password: nil, database: database, tls: .disable)
    }

    func urlString(_ database: String) -> String { "postgres://postgres@127.0.0.1:\(port)/\(database)?sslmode=disable" }

    /// A database as keyway's diagnostics name it.
    func location(_ database: String) -> String { "postgres://postgres@127.0.0.1:\(port)/\(database)" }

    /// Runs SQL through psql (the way a person would), returning status and output.
    func psql(_ database: String, _ sql: String) -> (status: Int32, output: String) { Self.psql(port: port, database: database, sql) }

    func psqlFile(_ database: String, _ path: String) -> (status: Int32, output: String) {
        Self.run("/usr/bin/psql", ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database, "-f", path])
    }

    /// Runs a script through `psql -f` (every statement's rows are printed; psql's
    /// meta-commands work), stopping at the first error.
    static func psql(port: Int, database: String, _ sql: String) -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("keyway-sql-\(UUID().uuidString).sql")
        try? Data(sql.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return run("/usr/bin/psql", ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database, "-f", file.path])
    }

    static func findBinaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        return versions.map { "\(root)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func runAsServerUser(_ executable: String, detached: Bool = false, _ arguments: [String]) -> (status: Int32, output: String) {
        getuid() == 0
            ? run("/usr/sbin/runuser", detached: detached, ["-u", "postgres", "--", executable] + arguments)
            : run(executable, detached: detached, arguments)
    }

    /// Runs a program to its end with posix_spawn and waitpid (Foundation's Process
    /// can miss the exit of a child whose own child, the server, lives on). Output goes
    /// to a temporary file; `detached`: nowhere, for programs that leave a server behind.
    @discardableResult
    static func run(_ executable: String, detached: Bool = false, _ arguments: [String]) -> (status: Int32, output: String) {
        let outputPath = detached ? "/dev/null" : FileManager.default.temporaryDirectory.appendingPathComponent("keyway-run-\(UUID().uuidString)").path
        defer { if !detached { try? FileManager.default.removeItem(atPath: outputPath) } }
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { return (127, "\(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitCode: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let output = detached ? "" : ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
        return (exitCode, output)
    }

    nonisolated(unsafe) private static var stopCommand: (String, String)?

    /// Stops the server and removes its folder when the test process exits.
    static func registerStop(binaries: String, folder: String) {
        stopCommand = (binaries, folder)
        atexit {
            guard let (bin, folder) = PostgresServer.stopCommand else { return }
            _ = PostgresServer.runAsServerUser(bin + "/pg_ctl", detached: true, ["-D", folder + "/data", "-m", "immediate", "-w", "stop"])
            try? FileManager.default.removeItem(atPath: folder)
        }
    }
}

/// A connection for assertions, closed by the caller.
func connect(_ server: PostgresServer, _ database: String) async throws -> PostgresMigrationDatabase {
    try await PostgresMigrationDatabase.connect(server.url(database))
}
