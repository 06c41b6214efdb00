import ArgumentParser
import KeywayConnections
import KeywayDatabase
import KeywayModel
import KeywayRuntime
import Logging
import PostgresNIO

/// keyway's PostgreSQL as the commands that read or mark connections name it
/// (`--database` of `keyway mcp` and `keyway nango connections`).
enum ConnectionsDatabase {
    /// The URL, refused (as a usage error) unless it is PostgreSQL: connections live there.
    static func url(_ text: String) throws -> DatabaseURL {
        let url: DatabaseURL
        do { url = try DatabaseURL.parse(text) } catch { throw ValidationError(error.description) }
        if url.clientConfiguration == nil { throw ValidationError("--database must be keyway's PostgreSQL (postgres://…): connections live there") }
        return url
    }

    /// keyway's tables on it, for what runs as the server's role without Nango or
    /// webhooks (reads, the call log): an empty signing key refuses every webhook. The pool
    /// runs until the returned task is cancelled.
    static func store(_ url: DatabaseURL, nango: NangoClient = NangoClient(secretKey: "")) -> (ConnectionStore, Task<Void, Never>) {
        let (client, running) = open(url)
        var logger = Logger(label: "keyway")
        logger.logLevel = .critical
        return (ConnectionStore(database: client, nango: nango, webhookSigningKey: "", logger: logger), running)
    }

    /// `store(url)` for a command that runs once (`calls prune`, `audit --calls`,
    /// `tools diff --database`, `nango connections --database`): the database is reached
    /// once first, so that one that cannot be reached is an error at once, at its URL, as
    /// `migrate status` reports it — the pool alone retries for a minute (right for a
    /// server) and then names only its own error.
    static func reachedStore(_ url: DatabaseURL, nango: NangoClient = NangoClient(secretKey: "")) async throws(DiagnosticsError) -> (ConnectionStore, Task<Void, Never>) {
        do { try await PostgresMigrationDatabase.connect(url).close() } catch { throw url.failure(error) }
        return store(url, nango: nango)
    }

    /// A pool on it, running until the returned task is cancelled.
    static func open(_ url: DatabaseURL) -> (PostgresClient, Task<Void, Never>) {
        var logger = Logger(label: "keyway.connections")
        logger.logLevel = .critical
        let client = PostgresClient(configuration: url.clientConfiguration!, backgroundLogger: logger)
        return (client, Task { await client.run() })
    }
}
