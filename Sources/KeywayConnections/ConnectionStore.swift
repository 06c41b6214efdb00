import Foundation
import KeywayRuntime
import Logging
import PostgresNIO

/// The server side of connections, on the tables keyway's migrations create: Nango's auth
/// webhooks become rows (written as the server's role, `service_role`), disconnects go
/// through Nango, and `resolver` looks a tenant's connection up *as that tenant*, so that
/// row-level security, not application code, decides what a tool call may use.
///
/// Kept out of `KeywayRuntime` so that an app which only calls tools builds no database
/// driver.
public struct ConnectionStore: Sendable {
    public let database: PostgresClient
    public let nango: NangoClient
    /// The environment's webhook signing key (Nango's dashboard), not the secret key; empty
    /// for a store that ingests no webhook (every one is then refused).
    private let signingKey: String
    /// The role the server's writes run as (`set local role`); nil: the connection's own.
    public let serverRole: String?
    /// The role tenant lookups run as.
    public let tenantRole: String
    let logger: Logger

    public init(database: PostgresClient, nango: NangoClient, webhookSigningKey: String,
                serverRole: String? = "service_role", tenantRole: String = "authenticated", logger: Logger = Logger(label: "keyway.connections")) {
        precondition((serverRole.map(Self.isRoleName) ?? true) && Self.isRoleName(tenantRole), "role names are plain identifiers")
        self.database = database
        self.nango = nango
        self.signingKey = webhookSigningKey
        self.serverRole = serverRole
        self.tenantRole = tenantRole
        self.logger = logger
    }

    static func isRoleName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 63 && name.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 95 }
    }

    /// The resolver a `ToolExecutor` takes.
    public var resolver: PostgresConnectionResolver { PostgresConnectionResolver(database: database, role: tenantRole) }

    // MARK: Webhooks

    /// Verifies and applies one of Nango's webhooks. Throws, having written nothing, on
    /// a bad signature, a malformed body, an unknown integration or connector, a missing
    /// tenant, or a row the database refuses. Replays and out-of-order deliveries are
    /// harmless: a creation is checked against Nango's current state of the connection.
    public func ingest(body: Data, headers: [String: String]) async throws(WebhookRejection) -> WebhookOutcome {
        guard NangoWebhook.verify(body: body, headers: headers, signingKey: signingKey) else {
            logger.warning("webhook refused: bad or missing X-Nango-Hmac-Sha256 signature", metadata: ["bytes": "\(body.count)"])
            throw .badSignature
        }
        let event: AuthWebhook
        do {
            let value = try JSONValue(json: body)
            guard case .string(let type)? = value["type"] else { throw WebhookRejection.malformed("no 'type'") }
            guard type == "auth" else { return .ignored("a '\(type)' webhook, not an auth one") }
            event = try AuthWebhook(value)
        } catch let rejection as WebhookRejection {
            logger.warning("webhook refused: \(rejection)")
            throw rejection
        } catch {
            logger.warning("webhook refused: the body is not JSON")
            throw .malformed("the body is not JSON")
        }
        do {
            let outcome = try await apply(event)
            logger.info("webhook applied: \(outcome)", metadata: ["provider_config_key": "\(event.providerConfigKey)", "operation": "\(event.operation)"])
            return outcome
        } catch {
            logger.warning("webhook refused: \(error)", metadata: ["provider_config_key": "\(event.providerConfigKey)", "operation": "\(event.operation)"])
            throw error
        }
    }

    func apply(_ event: AuthWebhook) async throws(WebhookRejection) -> WebhookOutcome {
        switch (event.operation, event.success) {
        case ("creation", true), ("override", true):
            return try await sync(connectionID: event.connectionID, providerConfigKey: event.providerConfigKey, tags: event.tags)
        case ("refresh", false):
            return .markedNeedsReauth(try await setStatus(.needsReauth, from: [.active, .expired, .error], event.connectionID, event.providerConfigKey))
        case ("deletion", _):
            // Nango does not send this today (a deleted connection sends no webhook); a
            // server that relays one gets the same effect as `disconnect`.
            return .revoked(try await markRevoked(event.connectionID, event.providerConfigKey))
        default:
            return .ignored("\(event.operation) with success \(event.success): nothing to record")
        }
    }

    /// Reads a connection from Nango and writes its row: active with the scopes Nango
    /// holds, filed by its tags under the tenant (and connector) they name. A connection
    /// Nango no longer has is revoked, never resurrected.
    public func sync(connectionID: String, providerConfigKey: String, tags: [String: String]? = nil) async throws(WebhookRejection) -> WebhookOutcome {
        let remote: JSONValue
        do {
            remote = try await nango.connection(id: connectionID, providerConfigKey: providerConfigKey)
        } catch .notConnected {
            return .revoked(try await markRevoked(connectionID, providerConfigKey))
        } catch {
            throw .nango(error)
        }
        var tags = tags ?? [:]
        if case .object(let remoteTags)? = remote["tags"] {
            for (key, value) in remoteTags { if tags[key] == nil, case .string(let s) = value { tags[key] = s } }
        }
        guard let user = tags[ConnectionTags.user], !user.isEmpty else {
            throw .missingTenant("the connection has no '\(ConnectionTags.user)' tag; create connect sessions with NangoClient.createConnectSession(for:)")
        }
        let owner = tags[ConnectionTags.organization].flatMap { $0.isEmpty ? nil : $0 } ?? user
        let scopes = Self.grantedScopes(remote)
        let expiresAt: String? = { if case .string(let s)? = remote["credentials"]?["expires_at"] { return s }; return nil }()
        let outcome = try await server { connection -> WebhookOutcome in
            try await requireIntegration(providerConfigKey, connection)
            if let slug = tags[ConnectionTags.connector] {
                let instance = tags[ConnectionTags.instance].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
                let found = try await rows(connection, "select provider_config_key from public.connectors where slug = $1", binds(slug))
                guard let key = try found.first.map({ try $0.decode(String.self) }) else {
                    throw WebhookRejection.unknownConnector("connector '\(slug)' is not in the catalog; it must name a connector manifest")
                }
                guard key == providerConfigKey else {
                    throw WebhookRejection.unknownConnector("connector '\(slug)' is built on '\(key)', not on '\(providerConfigKey)'")
                }
                let previous = try await rows(connection, """
                    select connection_id, status from public.connector_connections
                    where provider_config_key = $1 and connection_id = $2
                    """, binds(providerConfigKey, connectionID))
                if let row = previous.first, try row.decode((String, String).self).1 == "revoked" {
                    return .ignored("connection \(connectionID) was revoked; a revoked connection stays revoked")
                }
                let replaced = try await rows(connection, """
                    select connection_id from public.connector_connections
                    where owner_id = $1 and user_id = $2 and connector_slug = $3 and instance_id = $4 and connection_id <> $5
                    """, binds(owner, user, slug, instance, connectionID)).first.map { try $0.decode(String.self) }
                _ = try await rows(connection, """
                    insert into public.connector_connections
                      (owner_id, user_id, connector_slug, provider_config_key, instance_id, connection_id, status, granted_scopes, expires_at)
                    values ($1, $2, $3, $4, $5, $6, 'active', $7, $8::timestamptz)
                    on conflict (owner_id, user_id, connector_slug, instance_id) do update set
                      connection_id = excluded.connection_id, status = 'active', granted_scopes = excluded.granted_scopes, expires_at = excluded.expires_at
                    """, binds(owner, user, slug, providerConfigKey, instance, connectionID, scopes, expiresAt))
                return .connected(.init(table: .connectorConnections, owner: owner, user: user, connector: slug, instance: instance,
                                        connectionID: connectionID, grantedScopes: scopes, replaced: replaced))
            }
            let previous = try await rows(connection, "select status from public.integrations where provider_config_key = $1 and connection_id = $2",
                                          binds(providerConfigKey, connectionID))
            if let row = previous.first, try row.decode(String.self) == "revoked" {
                return .ignored("connection \(connectionID) was revoked; a revoked connection stays revoked")
            }
            let replaced = try await rows(connection, """
                select connection_id from public.integrations where owner_id = $1 and provider_config_key = $2 and connection_id <> $3
                """, binds(owner, providerConfigKey, connectionID)).first.map { try $0.decode(String.self) }
            _ = try await rows(connection, """
                insert into public.integrations (owner_id, provider_config_key, connection_id, status, granted_scopes, connected_by, expires_at)
                values ($1, $2, $3, 'active', $4, $5, $6::timestamptz)
                on conflict (owner_id, provider_config_key) do update set
                  connection_id = excluded.connection_id, status = 'active', granted_scopes = excluded.granted_scopes,
                  connected_by = excluded.connected_by, expires_at = excluded.expires_at
                """, binds(owner, providerConfigKey, connectionID, scopes, user, expiresAt))
            return .connected(.init(table: .integrations, owner: owner, user: user, connector: nil, instance: nil,
                                    connectionID: connectionID, grantedScopes: scopes, replaced: replaced))
        }
        await retire(outcome, providerConfigKey: providerConfigKey)
        return outcome
    }

    /// A reconnect replaced another connection in the same row: that one is deleted at
    /// Nango too, so its OAuth grant does not outlive the row (and a late replay of its
    /// creation finds it gone). Best effort: the new row is already committed; a failure
    /// is logged, and the outcome still names the connection.
    func retire(_ outcome: WebhookOutcome, providerConfigKey: String) async {
        guard case .connected(let connected) = outcome, let old = connected.replaced else { return }
        do {
            try await nango.deleteConnection(id: old, providerConfigKey: providerConfigKey)
        } catch {
            logger.error("the replaced connection could not be deleted at Nango; delete it by hand", metadata: ["connection_id": "\(old)", "provider_config_key": "\(providerConfigKey)"])
        }
    }

    /// Disconnects: deletes the connection at Nango (ending its use of the provider's
    /// grant), then marks its row revoked. What a tenant asks the server for; tenants
    /// cannot delete rows themselves.
    public func disconnect(connectionID: String, providerConfigKey: String) async throws(WebhookRejection) -> Int {
        do {
            try await nango.deleteConnection(id: connectionID, providerConfigKey: providerConfigKey)
        } catch {
            throw .nango(error)
        }
        return try await markRevoked(connectionID, providerConfigKey)
    }

    /// Marks an active connection `needs_reauth` (it lacks a scope a tool needs, as `keyway
    /// nango connections` found): tools refuse it before calling, until a webhook of its
    /// re-authorisation makes it active again. The number of rows changed.
    public func markNeedsReauth(connectionID: String, providerConfigKey: String) async throws(WebhookRejection) -> Int {
        try await setStatus(.needsReauth, from: [.active], connectionID, providerConfigKey)
    }

    /// A live connection (not revoked) a tool would run on.
    public struct HeldConnection: Sendable, Equatable {
        public var connectionID: String
        public var owner: String
        /// The user, for a user's own connection to a connector (nil for an owner's
        /// connection to the integration).
        public var user: String?
        public var status: ConnectionStatus
    }

    /// The live connections a tool of `connector` (on the integration `providerConfigKey`)
    /// runs on that lack one of `scopes`, by connection id: the owners' connections to the
    /// integration and the users' own to the connector. Their users must consent again
    /// once a tool needs the scopes. Read as the server's role.
    public func connections(lacking scopes: [String], providerConfigKey: String, connector: String) async throws(WebhookRejection) -> [HeldConnection] {
        try await server { connection in
            try await rows(connection, """
                select connection_id, owner_id, null::text, status from public.integrations
                  where provider_config_key = $1 and status <> 'revoked' and not (granted_scopes @> $2::text[])
                union all
                select connection_id, owner_id, user_id, status from public.connector_connections
                  where connector_slug = $3 and status <> 'revoked' and not (granted_scopes @> $2::text[])
                order by 1, 2, 3
                """, binds(providerConfigKey, scopes, connector)).map { row in
                let (id, owner, user, status) = try row.decode((String, String, String?, String).self)
                return HeldConnection(connectionID: id, owner: owner, user: user, status: ConnectionStatus(rawValue: status) ?? .error)
            }
        }
    }

    func markRevoked(_ connectionID: String, _ providerConfigKey: String) async throws(WebhookRejection) -> Int {
        try await setStatus(.revoked, from: [.active, .needsReauth, .expired, .error], connectionID, providerConfigKey)
    }

    /// Moves the rows of one Nango connection, in either table, from one of `from` to
    /// `status`; the number of rows changed. The integration must be in the catalog.
    func setStatus(_ status: ConnectionStatus, from: [ConnectionStatus], _ connectionID: String, _ providerConfigKey: String) async throws(WebhookRejection) -> Int {
        try await server { connection in
            try await requireIntegration(providerConfigKey, connection)
            var total = 0
            for table in ["integrations", "connector_connections"] {
                total += try await rows(connection, "update public.\(table) set status = $1 where provider_config_key = $2 and connection_id = $3 and status = any($4) returning 1",
                                        binds(status.rawValue, providerConfigKey, connectionID, from.map(\.rawValue))).count
            }
            return total
        }
    }

    /// The scopes Nango holds for a connection (`ConnectionScopes`), sorted.
    static func grantedScopes(_ connection: JSONValue) -> [String] {
        (ConnectionScopes.of(connection)?.scopes ?? []).sorted()
    }

    // MARK: Transactions

    func requireIntegration(_ key: String, _ connection: PostgresConnection) async throws {
        if try await rows(connection, "select 1 from public.integration_providers where provider_config_key = $1", binds(key)).isEmpty {
            throw WebhookRejection.unknownIntegration(key)
        }
    }

    /// Runs `body` in one transaction as the server's role; rolls back on any error.
    func server<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws(WebhookRejection) -> T {
        do {
            return try await database.withConnection { connection in
                _ = try await connection.query("begin", logger: logger).collect()
                do {
                    if let serverRole {
                        _ = try await connection.query(PostgresQuery(unsafeSQL: "set local role \(serverRole)"), logger: logger).collect()
                    }
                    let result = try await body(connection)
                    _ = try await connection.query("commit", logger: logger).collect()
                    return result
                } catch {
                    _ = try? await connection.query("rollback", logger: logger).collect()
                    throw error
                }
            }
        } catch let rejection as WebhookRejection {
            throw rejection
        } catch {
            throw .refused(Self.describe(error))
        }
    }

    func rows(_ connection: PostgresConnection, _ sql: String, _ binds: PostgresBindings) async throws -> [PostgresRow] {
        try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).collect()
    }

    /// PostgreSQL's message, without the query.
    static func describe(_ error: Error) -> String {
        if let psql = error as? PSQLError, let message = psql.serverInfo?[.message] { return message }
        return "\(error)"
    }
}

/// Bind parameters, in order.
func binds(_ values: (any PostgresEncodable & Sendable)?...) throws -> PostgresBindings {
    var bindings = PostgresBindings()
    for value in values {
        if let value { try bindings.append(value) } else { bindings.appendNull() }
    }
    return bindings
}

/// Why a webhook (or a sync, or a disconnect) was refused. Nothing was written.
public enum WebhookRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// The signature is missing or wrong: not Nango's (answer 401).
    case badSignature
    /// Not the JSON of a Nango webhook (answer 400).
    case malformed(String)
    /// The provider config key is not in the catalog (a manifest is missing).
    case unknownIntegration(String)
    case unknownConnector(String)
    /// The connection names no user (it was not created through a keyway connect session).
    case missingTenant(String)
    /// The database refused the row (one connection per user, one row per connection…).
    case refused(String)
    /// Nango's API failed (answer 5xx, so that Nango retries).
    case nango(ToolFailure)

    public var description: String {
        switch self {
        case .badSignature: "the signature is missing or wrong"
        case .malformed(let why): "not a Nango webhook: \(why)"
        case .unknownIntegration(let key): "no integration '\(key)' in the catalog; add Manifests/integrations/\(key).yaml and migrate"
        case .unknownConnector(let why): why
        case .missingTenant(let why): why
        case .refused(let why): "the database refused the connection: \(why)"
        case .nango(let failure): "Nango: \(failure)"
        }
    }
}

/// What a webhook (or a sync) did.
public enum WebhookOutcome: Sendable, Equatable, CustomStringConvertible {
    public struct Connected: Sendable, Equatable {
        public enum Table: String, Sendable { case integrations, connectorConnections = "connector_connections" }
        public var table: Table
        public var owner: String
        public var user: String
        public var connector: String?
        public var instance: String?
        public var connectionID: String
        public var grantedScopes: [String]
        /// The connection this one replaced (a reconnect); the store deletes it at Nango.
        public var replaced: String?

        public init(table: Table, owner: String, user: String, connector: String?, instance: String?, connectionID: String, grantedScopes: [String], replaced: String?) {
            self.table = table
            self.owner = owner
            self.user = user
            self.connector = connector
            self.instance = instance
            self.connectionID = connectionID
            self.grantedScopes = grantedScopes
            self.replaced = replaced
        }
    }
    case connected(Connected)
    case markedNeedsReauth(Int)
    case revoked(Int)
    case ignored(String)

    public var description: String {
        switch self {
        case .connected(let c): "\(c.table.rawValue) row of \(c.owner)/\(c.user) now uses connection \(c.connectionID)"
        case .markedNeedsReauth(let n): "\(n) row(s) need re-authorisation"
        case .revoked(let n): "\(n) row(s) revoked"
        case .ignored(let why): "ignored: \(why)"
        }
    }
}

/// The fields of an auth webhook keyway reads.
struct AuthWebhook {
    var operation: String
    var success: Bool
    var connectionID: String
    var providerConfigKey: String
    var tags: [String: String]

    init(_ value: JSONValue) throws(WebhookRejection) {
        func string(_ key: String) throws(WebhookRejection) -> String {
            guard case .string(let s)? = value[key], !s.isEmpty else { throw .malformed("no '\(key)'") }
            return s
        }
        operation = try string("operation")
        connectionID = try string("connectionId")
        providerConfigKey = try string("providerConfigKey")
        guard case .bool(let ok)? = value["success"] else { throw .malformed("no 'success'") }
        success = ok
        var tags: [String: String] = [:]
        if case .object(let t)? = value["tags"] {
            for (k, v) in t { if case .string(let s) = v { tags[k.lowercased()] = s } }
        }
        // The deprecated end user fields, when tags do not carry them.
        if tags[ConnectionTags.user] == nil, case .string(let id)? = value["endUser"]?["endUserId"] { tags[ConnectionTags.user] = id }
        if tags[ConnectionTags.organization] == nil, case .string(let id)? = value["endUser"]?["organizationId"] { tags[ConnectionTags.organization] = id }
        self.tags = tags
    }
}
