import Foundation
import KeywayRuntime
import Logging
import PostgresNIO

/// Looks a tenant's connection up *as that tenant*: in one transaction, `set local role
/// authenticated` and the tenant's JWT claims in `request.jwt.claims`, as PostgREST does.
/// The queries name no owner: row-level security decides which rows the tenant sees.
/// The user's own connection to the tool's connector comes first (the `default`
/// instance, else the most recently updated), then the organisation's integration.
public struct PostgresConnectionResolver: ConnectionResolver {
    public let database: PostgresClient
    public let role: String
    let logger = Logger(label: "keyway.connections.resolver")

    public init(database: PostgresClient, role: String = "authenticated") {
        precondition(ConnectionStore.isRoleName(role), "role names are plain identifiers")
        self.database = database
        self.role = role
    }

    public func connection(for lookup: ConnectionLookup) async throws -> ResolvedConnection? {
        let claims = String(decoding: lookup.tenant.claims.jsonData, as: UTF8.self)
        return try await database.withConnection { connection in
            _ = try await connection.query("begin", logger: logger).collect()
            do {
                _ = try await connection.query(PostgresQuery(unsafeSQL: "set local role \(role)"), logger: logger).collect()
                _ = try await connection.query("select set_config('request.jwt.claims', \(claims), true)", logger: logger).collect()
                var rows = try await connection.query("""
                    select connection_id, status, granted_scopes from public.connector_connections
                    where connector_slug = \(lookup.connector) and (\(lookup.instance)::text is null or instance_id = \(lookup.instance))
                    order by (instance_id = 'default') desc, updated_at desc limit 1
                    """, logger: logger).collect()
                if rows.isEmpty {
                    rows = try await connection.query("""
                        select connection_id, status, granted_scopes from public.integrations
                        where provider_config_key = \(lookup.providerConfigKey) limit 1
                        """, logger: logger).collect()
                }
                _ = try await connection.query("commit", logger: logger).collect()
                guard let row = rows.first else { return nil }
                let (id, status, scopes) = try row.decode((String, String, [String]).self)
                return ResolvedConnection(connectionID: id, grantedScopes: scopes, status: ConnectionStatus(rawValue: status) ?? .error)
            } catch {
                _ = try? await connection.query("rollback", logger: logger).collect()
                throw error
            }
        }
    }
}
