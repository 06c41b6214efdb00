import KeywayContract

/// The catalog: the validated model of a manifests folder, what every emitter reads.
/// `IntegrationCatalog.swift`, `catalog.json` and the database's catalog tables
/// (`integration_providers`, `integration_scopes`, `connectors`) are this catalog in
/// Swift, JSON and SQL; "catalog" means nothing else in keyway. Everything in it has passed
/// validation; collections are in a canonical order (integrations by key, connectors by
/// slug, provider scopes by provider; tools, inputs and scopes in manifest order, which is
/// part of the input).
public struct Catalog: Sendable, Equatable {
    public var integrations: [Integration]
    public var connectors: [Connector]
    public var providerScopes: [ProviderScopes]
    /// Where the tenant is read from the JWT claims (the project's `keyway.yaml`).
    public var tenancy: TenantClaims

    public init(integrations: [Integration], connectors: [Connector], providerScopes: [ProviderScopes], tenancy: TenantClaims = .default) {
        self.integrations = integrations.sorted { $0.key < $1.key }
        self.connectors = connectors.sorted { $0.slug < $1.slug }
        self.providerScopes = providerScopes.sorted { $0.provider < $1.provider }
        self.tenancy = tenancy
    }

    public func connectors(of integration: Integration) -> [Connector] {
        connectors.filter { $0.providerKey == integration.key }
    }

    /// The provider scopes (`scopes/<provider>.yaml`) that cover an integration's Nango provider, if any.
    public func providerScopes(for integration: Integration) -> ProviderScopes? {
        providerScopes.first { $0.covers(integration.provider) }
    }
}

/// `Manifests/integrations/<key>.yaml`: one OAuth app, one Nango integration.
public struct Integration: Sendable, Equatable {
    public var key: String
    public var provider: String
    public var name: String
    public var category: String
    public var description: String
    public var auth: Auth
    public var location: SourceLocation
    /// Where `provider:` and `auth.mode` were written (the key's location when built in code).
    public var providerLocation: SourceLocation
    public var modeLocation: SourceLocation

    public init(key: String, provider: String, name: String, category: String, description: String, auth: Auth, location: SourceLocation,
                providerLocation: SourceLocation? = nil, modeLocation: SourceLocation? = nil) {
        self.key = key
        self.provider = provider
        self.name = name
        self.category = category
        self.description = description
        self.auth = auth
        self.location = location
        self.providerLocation = providerLocation ?? location
        self.modeLocation = modeLocation ?? location
    }

    /// The environment variable a secret (`client_id`, `client_secret`…) is read from.
    public func secret(_ name: String) -> NamedValue? { auth.secrets.first { $0.name == name } }

    /// Whether the OAuth app is one of Google's, set up on its consent screen: Nango
    /// names every Google provider `google` or `google-…` (google-mail, google-calendar…).
    public var usesGoogleConsentScreen: Bool { provider == "google" || provider.hasPrefix("google-") }
}

extension Connector {
    /// The name a model calls a tool by: `<slug>_<tool>` (what `tools/list`, the JSON
    /// catalog and the audit show). The one place this name is made.
    public func modelName(of tool: Tool) -> String { slug + "_" + tool.name }
}

public struct Auth: Sendable, Equatable {
    public var mode: AuthMode
    public var console: String?
    public var enableAPIs: [String]
    public var scopes: [ScopeGrant]
    /// Environment name → redirect URI, sorted by environment name.
    public var redirectURIs: [NamedValue]
    /// Secret name (client_id, client_secret…) → environment variable name, sorted by name.
    public var secrets: [NamedValue]

    public init(mode: AuthMode, console: String?, enableAPIs: [String], scopes: [ScopeGrant], redirectURIs: [NamedValue], secrets: [NamedValue]) {
        self.mode = mode
        self.console = console
        self.enableAPIs = enableAPIs
        self.scopes = scopes
        self.redirectURIs = redirectURIs.sorted { $0.name < $1.name }
        self.secrets = secrets.sorted { $0.name < $1.name }
    }
}

public struct NamedValue: Sendable, Equatable, Hashable {
    public var name: String
    public var value: String
    /// Where the value was written, when it was read from a manifest.
    public var location: SourceLocation?
    public init(name: String, value: String, location: SourceLocation? = nil) {
        self.name = name
        self.value = value
        self.location = location
    }
}

/// Nango's auth modes, spelled as in the manifests.
public enum AuthMode: String, Sendable, CaseIterable {
    case oauth2
    case oauth2CC = "oauth2_cc"
    case oauth1
    case apiKey = "api_key"
    case basic
    case app
    case appStore = "app_store"
    case jwt
    case tba
    case custom
    case none

    /// Nango's spelling (a provider's `auth_mode`, a credentials `type`): `OAUTH2`, `API_KEY`…
    public var nangoName: String { rawValue.uppercased() }

    public init?(nangoName: String) {
        guard let mode = Self.allCases.first(where: { $0.nangoName == nangoName }) else { return nil }
        self = mode
    }

    /// Modes where the user is sent to a consent screen: scopes and redirect URIs apply.
    public var usesRedirect: Bool { self == .oauth2 || self == .oauth1 || self == .custom }
}

public struct ScopeGrant: Sendable, Equatable {
    public var scope: String
    public var reason: String
    public var location: SourceLocation
    /// `without_tool: true`: the provider (or Nango) requires the scope though no tool
    /// calls with it (HubSpot's `oauth`), so it is not reported as unused.
    public var withoutTool: Bool
    public init(scope: String, reason: String, location: SourceLocation, withoutTool: Bool = false) {
        self.scope = scope
        self.reason = reason
        self.location = location
        self.withoutTool = withoutTool
    }
}

/// `Manifests/connectors/<slug>.yaml`: what the product builds on one integration.
public struct Connector: Sendable, Equatable {
    public var slug: String
    public var name: String
    public var description: String?
    public var providerKey: String
    public var multipleConnections: Bool
    public var tools: [Tool]
    public var location: SourceLocation
    /// Where `nango.provider_key` was written (the slug's location when built in code).
    public var providerKeyLocation: SourceLocation

    public init(slug: String, name: String, description: String?, providerKey: String, multipleConnections: Bool, tools: [Tool], location: SourceLocation, providerKeyLocation: SourceLocation? = nil) {
        self.providerKeyLocation = providerKeyLocation ?? location
        self.slug = slug
        self.name = name
        self.description = description
        self.providerKey = providerKey
        self.multipleConnections = multipleConnections
        self.tools = tools
        self.location = location
    }
}

public enum RequestStyle: String, Sendable, CaseIterable {
    /// keyway maps the inputs onto path, query, headers and a JSON body.
    case standard
    /// A hand-written function builds the request (e.g. Gmail's RFC 822 message).
    case custom
}

public struct Tool: Sendable, Equatable {
    public var name: String
    public var description: String
    public var method: HTTPMethod
    public var endpoint: String
    public var scopes: [String]
    public var request: RequestStyle
    /// How the body is encoded (`json` unless the manifest says `encoding: form`).
    public var encoding: BodyEncoding
    /// The inputs, in manifest order: the tool's `InputContract`.
    public var inputs: [InputField]
    /// `output:`: the fields of the answer the tool declares, nil when it declares none.
    public var output: OutputContract?
    /// `log:`: what the call log keeps of the tool's calls beyond the outcome.
    public var callLog: CallLogPolicy
    public var location: SourceLocation
    /// Where each scope was written, for diagnostics at the scope's own line.
    public var scopeLocations: [String: SourceLocation]
    /// Where each input (by name) was written, for diagnostics about it (`tools lint`).
    public var inputLocations: [String: SourceLocation]
    /// Where the tool's own keys were written (`method`, `endpoint`, `encoding`, `output`),
    /// for findings about one of them.
    public var keyLocations: [String: SourceLocation]
    /// Where each top-level output field (by name) was written.
    public var outputLocations: [String: SourceLocation]

    public init(name: String, description: String, method: HTTPMethod, endpoint: String, scopes: [String], request: RequestStyle, encoding: BodyEncoding = .json,
                inputs: [InputField], output: OutputContract? = nil, callLog: CallLogPolicy = .none, location: SourceLocation, scopeLocations: [String: SourceLocation] = [:],
                inputLocations: [String: SourceLocation] = [:], keyLocations: [String: SourceLocation] = [:], outputLocations: [String: SourceLocation] = [:]) {
        self.keyLocations = keyLocations
        self.callLog = callLog
        self.output = output
        self.outputLocations = outputLocations
        self.encoding = encoding
        self.name = name
        self.description = description
        self.method = method
        self.endpoint = endpoint
        self.scopes = scopes
        self.request = request
        self.inputs = inputs
        self.location = location
        self.scopeLocations = scopeLocations
        self.inputLocations = inputLocations
    }

    /// The contract of the tool's input: what every consumer of the inputs reads.
    public var inputContract: InputContract { InputContract(inputs) }

    /// Where an input was written (the tool's own line when built in code).
    public func location(of input: InputField) -> SourceLocation { inputLocations[input.name] ?? location }
    /// Where `key` (`method`, `endpoint`, `encoding`) was written, else the tool's name.
    public func location(ofKey key: String) -> SourceLocation { keyLocations[key] ?? location }

    /// The `{name}` placeholders of the endpoint, in order.
    public var pathParameters: [String] { Tool.placeholders(in: endpoint) }

    /// The names between `{` and `}`, scanned over UTF-8 bytes (a brace is one byte, and
    /// never part of another character's encoding).
    public static func placeholders(in endpoint: String) -> [String] {
        var names: [String] = []
        let utf8 = endpoint.utf8
        var start: String.Index?
        var i = utf8.startIndex
        while i != utf8.endIndex {
            switch utf8[i] {
            case UInt8(ascii: "{"): start = utf8.index(after: i)
            case UInt8(ascii: "}"):
                if let s = start { names.append(String(decoding: utf8[s..<i], as: UTF8.self)) }
                start = nil
            default: break
            }
            i = utf8.index(after: i)
        }
        return names
    }
}

/// `Manifests/scopes/<provider>.yaml`: what each scope grants and how the provider reviews it.
public struct ProviderScopes: Sendable, Equatable {
    public var provider: String
    /// The Nango providers whose scopes this file describes (e.g. google-mail, google-calendar).
    public var providers: [String]
    public var scopes: [ScopeInfo]
    public var location: SourceLocation

    public init(provider: String, providers: [String], scopes: [ScopeInfo], location: SourceLocation) {
        self.provider = provider
        self.providers = providers
        self.scopes = scopes
        self.location = location
    }

    public func covers(_ nangoProvider: String) -> Bool {
        providers.contains(nangoProvider) || (providers.isEmpty && provider == nangoProvider)
    }

    public func info(for scope: String) -> ScopeInfo? { scopes.first { $0.scope == scope } }
}

public struct ScopeInfo: Sendable, Equatable {
    public var scope: String
    public var level: ScopeLevel
    public var description: String
    public init(scope: String, level: ScopeLevel, description: String) {
        self.scope = scope
        self.level = level
        self.description = description
    }
}

/// How a provider reviews a scope: Google's three tiers, or read/write/admin elsewhere.
public enum ScopeLevel: String, Sendable, CaseIterable, Codable {
    case nonSensitive = "non-sensitive"
    case sensitive
    case restricted
    case read
    case write
    case admin

    /// 0 = least review, 2 = most.
    public var rank: Int {
        switch self {
        case .nonSensitive, .read: 0
        case .sensitive, .write: 1
        case .restricted, .admin: 2
        }
    }

    /// One of Google's three tiers (which come with its OAuth consent-screen review).
    public var isGoogleTier: Bool { self == .nonSensitive || self == .sensitive || self == .restricted }
}
