import Foundation
import KeywayContract
import KeywayModel
import KeywayRuntime

/// A connection of a managed integration, held against the scopes its connector's tools need.
public struct ConnectionGap: Sendable, Equatable, Encodable {
    public var connectionID: String
    public var integration: String
    public var provider: String
    public var tags: [String: String]
    /// The scopes the user granted (`credentials.raw.scope`), else those asked for
    /// (`connection_config.oauth_scopes`, then `verified` is false); nil when Nango says neither.
    public var granted: [String]?
    public var verified: Bool
    /// Each scope a tool needs that was not granted, with the tools (their model names).
    public var missing: [Missing]
    /// A reconnect session's link (`--reconnect`).
    public var reconnectLink: String?
    /// Why the connection cannot be used at all (Nango cannot refresh its token), if so.
    public var problem: String?

    public init(connectionID: String, integration: String, provider: String, tags: [String: String], granted: [String]?, verified: Bool,
                missing: [Missing], reconnectLink: String? = nil, problem: String? = nil) {
        self.connectionID = connectionID
        self.integration = integration
        self.provider = provider
        self.tags = tags
        self.granted = granted
        self.verified = verified
        self.missing = missing
        self.reconnectLink = reconnectLink
        self.problem = problem
    }

    /// Whether the user must connect again: a scope is missing, or the connection is unusable.
    public var needsReconnect: Bool { !missing.isEmpty || problem != nil }

    public struct Missing: Sendable, Equatable, Encodable {
        public var scope: String
        public var tools: [String]
    }

    enum CodingKeys: String, CodingKey {
        case connectionID = "connection_id", integration, provider, tags, granted, verified, missing, reconnectLink = "reconnect_link", problem
    }

    /// One line of `keyway nango connections`.
    public var line: String {
        let who = tags.sorted { $0.key < $1.key }.map { "\($0.key.forDiagnostic)=\($0.value.forDiagnostic)" }.joined(separator: ",")
        var line = "\(integration.forDiagnostic) \(connectionID.forDiagnostic)\(who.isEmpty ? "" : " (\(who))"): "
        if let problem {
            line += "cannot be used: " + problem.escapingControls
        } else if missing.isEmpty {
            line += granted == nil ? "scopes unknown (Nango reports none)" : "every tool's scopes granted"
        } else {
            line += "lacks " + missing.map { "\($0.scope.forDiagnostic) (\($0.tools.joined(separator: ", ")))" }.joined(separator: ", ")
        }
        if !verified, granted != nil { line += " [requested scopes: the provider's answer is not recorded]" }
        // The whole link (a session token is 64 hex digits past its prefix), escaped.
        if let reconnectLink { line += "\n    reconnect: \(reconnectLink.escapingControls)" }
        return line
    }

    /// The gaps of connections read from Nango (each with its `GET /connections/{id}`
    /// answer): only managed integrations' connections, in the order given. `separators`:
    /// each provider's `scope_separator`.
    public static func gaps(catalog: Catalog, connections: [(NangoAPI.Connection, JSONValue)],
                            separators: [String: String]) -> [ConnectionGap] {
        connections.compactMap { connection, details in
            guard let integration = catalog.integrations.first(where: { $0.key == connection.providerConfigKey }) else { return nil }
            let scopes = ConnectionScopes.of(details, separator: separators[integration.provider])
            let granted = scopes?.scopes
            var missing: [Missing] = []
            for connector in catalog.connectors(of: integration) {
                for tool in connector.tools {
                    for scope in tool.scopes where granted.map({ !$0.contains(scope) }) ?? false {
                        if let i = missing.firstIndex(where: { $0.scope == scope }) {
                            missing[i].tools.append(connector.modelName(of: tool))
                        } else {
                            missing.append(Missing(scope: scope, tools: [connector.modelName(of: tool)]))
                        }
                    }
                }
            }
            return ConnectionGap(connectionID: connection.connectionID, integration: integration.key, provider: connection.provider,
                                 tags: connection.tags, granted: granted, verified: scopes?.verified ?? false, missing: missing)
        }
    }
}
