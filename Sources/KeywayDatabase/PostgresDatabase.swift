import Foundation
import KeywayMigrations
import Logging
import NIOSSL
import PostgresNIO

/// Migrations on PostgreSQL through PostgresNIO (TLS when sslmode asks for it, as
/// Supabase does). Appliers are serialised by a session advisory lock; each migration
/// and its ledger row commit in one transaction, or roll back together.
public final class PostgresMigrationDatabase: MigrationDatabase, @unchecked Sendable {
    let connection: PostgresConnection
    let logger: Logger
    /// pg_advisory_lock key: the ASCII bytes of "keywaymg", shared by apply and adopt.
    static let lockKey: Int64 = 0x6B65_7977_6179_6D67

    public static func connect(_ url: DatabaseURL) async throws -> PostgresMigrationDatabase {
        guard case .postgres(let host, let port, let user, let password, let database, _) = url, let tlsConfiguration = url.tlsConfiguration else {
            throw MigrationError("not a postgres:// URL")
        }
        var logger = Logger(label: "keyway.postgres")
        logger.logLevel = .critical
        let tls: PostgresConnection.Configuration.TLS = switch tlsConfiguration {
        case .some(let configuration): .require(try NIOSSLContext(configuration: configuration))
        case .none: .disable
        }
        let configuration = PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
            return PostgresMigrationDatabase(connection: connection, logger: logger)
        } catch {
            throw MigrationError("cannot connect to \(url.redacted): \(Self.describe(error))")
        }
    }

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Runs a script, statement by statement.
    public func run(script: String) async throws {
        for statement in SQLStatements.split(script) {
            _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).collect()
        }
    }

    public func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await connection.query(query, logger: logger).collect()
    }

    public func prepare() async throws {
        do {
            _ = try await connection.query("select pg_advisory_lock(\(Self.lockKey))", logger: logger).collect()
            try await run(script: """
                create schema if not exists keyway;
                revoke all on schema keyway from public;
                create table if not exists keyway.schema_migrations (
                  version text primary key,
                  name text not null,
                  checksum text not null,
                  applied_at timestamptz not null default now(),
                  execution_ms integer not null
                );
                """)
        } catch {
            throw MigrationError("cannot prepare the ledger: \(Self.describe(error))")
        }
    }

    public func ledger() async throws -> [AppliedMigration]? {
        do {
            let exists = try await connection.query("select to_regclass('keyway.schema_migrations') is not null", logger: logger).collect()
            guard try exists.first?.decode(Bool.self) == true else { return nil }
            return try await applied()
        } catch let error as MigrationError {
            throw error
        } catch {
            throw MigrationError("cannot read the ledger keyway.schema_migrations: \(Self.describe(error))")
        }
    }

    public func applied() async throws -> [AppliedMigration] {
        let rows = try await connection.query(
            "select version, name, checksum, to_char(applied_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), execution_ms from keyway.schema_migrations order by version",
            logger: logger).collect()
        return try rows.map {
            let (version, name, checksum, appliedAt, ms) = try $0.decode((String, String, String, String, Int32).self)
            return AppliedMigration(version: version, name: name, checksum: checksum, appliedAt: appliedAt, executionMs: Int(ms))
        }
    }

    public func apply(_ file: MigrationFile) async throws -> AppliedMigration? {
        let sql = String(decoding: file.contents, as: UTF8.self)
        let start = DispatchTime.now()
        var statement: SQLStatements.Located?
        do {
            _ = try await connection.query("begin", logger: logger).collect()
            for located in SQLStatements.locate(sql) {
                statement = located
                _ = try await connection.query(PostgresQuery(unsafeSQL: located.text), logger: logger).collect()
            }
            statement = nil
            let ms = Int32((DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1_000_000)
            _ = try await connection.query(
                "insert into keyway.schema_migrations (version, name, checksum, execution_ms) values (\(file.version), \(file.name), \(file.checksum), \(ms))",
                logger: logger).collect()
            _ = try await connection.query("commit", logger: logger).collect()
            return AppliedMigration(version: file.version, name: file.name, checksum: file.checksum, appliedAt: "", executionMs: Int(ms))
        } catch {
            _ = try? await connection.query("rollback", logger: logger).collect()
            throw MigrationError.statementFailed(file, statement, Self.describe(error))
        }
    }

    public func finish() async {
        _ = try? await connection.query("select pg_advisory_unlock(\(Self.lockKey))", logger: logger).collect()
    }

    public func close() async {
        try? await connection.close()
    }

    /// PostgreSQL's own message for a server error, without the query text.
    public static func describe(_ error: Error) -> String {
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] {
                let detail = psql.serverInfo?[.detail].map { " (\($0))" } ?? ""
                return message + detail
            }
            if let underlying = psql.underlying { return "\(psql.code) (\(describe(underlying)))" }
            return "\(psql.code)"
        }
        if let error = error as? MigrationError { return error.description }
        // The error's own description (not its NSError bridge's "Error Domain=… (null)").
        return String(describing: error)
    }
}

extension DatabaseURL {
    /// The TLS of a postgres:// URL's sslmode: none (disable), unverified (require, as
    /// libpq's), verified (verify-full); nil for a URL that is not PostgreSQL's.
    var tlsConfiguration: TLSConfiguration?? {
        guard case .postgres(_, _, _, _, _, let mode) = self else { return nil }
        switch mode {
        case .disable: return .some(nil)
        case .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            return .some(configuration)
        case .verifyFull: return .some(.makeClientConfiguration())
        }
    }

    /// A connection pool's configuration for a postgres:// URL (servers: `keyway nango
    /// connections --database`, the connection store); nil for another URL.
    public var clientConfiguration: PostgresClient.Configuration? {
        guard case .postgres(let host, let port, let user, let password, let database, _) = self, let tls = tlsConfiguration else { return nil }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database,
                                            tls: tls.map { .require($0) } ?? .disable)
    }
}
