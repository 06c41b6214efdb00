import Foundation
import KeywayModel

/// What Nango holds for the manifests' integrations: read by `NangoState.read`, compared
/// with the manifests by `NangoPlan` (a pure function of the two and the environment).
public struct NangoState: Sendable, Equatable {
    /// Every integration of the environment, by key (without credentials).
    public var integrations: [String: NangoAPI.Integration]
    /// The managed ones (a manifest has their key), with their credentials.
    public var details: [String: NangoAPI.Integration]
    /// Each manifest's provider as Nango describes it (its `alias` followed); nil: unknown to Nango.
    public var providers: [String: NangoAPI.Provider?]
    /// Every provider's name, read only when one is unknown (for "did you mean").
    public var providerNames: [String]

    public init(integrations: [String: NangoAPI.Integration], details: [String: NangoAPI.Integration],
                providers: [String: NangoAPI.Provider?], providerNames: [String] = []) {
        self.integrations = integrations
        self.details = details
        self.providers = providers
        self.providerNames = providerNames
    }

    /// Asks Nango (reads only): the integrations, each managed one with its credentials,
    /// each provider the manifests name.
    public static func read(from api: NangoAPI, for catalog: Catalog) async throws(NangoAPI.Failure) -> NangoState {
        var state = NangoState(integrations: [:], details: [:], providers: [:])
        for integration in try await api.integrations() { state.integrations[integration.uniqueKey] = integration }
        for integration in catalog.integrations where state.integrations[integration.key] != nil {
            state.details[integration.key] = try await api.integration(integration.key)
        }
        for name in Set(catalog.integrations.map(\.provider)).sorted() {
            var provider = try await api.provider(name)
            // An alias takes its target's configuration (providers.yaml's `alias`); at most a few hops.
            var hops = 0
            while let p = provider, p.authMode == nil, let alias = p.alias, hops < 4 {
                hops += 1
                guard var target = try await api.provider(alias) else { break }
                target.name = p.name
                provider = target
            }
            state.providers[name] = .some(provider)
        }
        if state.providers.values.contains(where: { $0 == nil }) { state.providerNames = try await api.providerNames() }
        return state
    }
}

/// The changes `keyway nango apply` makes to bring Nango to the manifests, the errors that
/// stop it, and the requests that carry the changes out.
public struct NangoPlan: Sendable, Equatable {
    public struct Change: Sendable, Equatable, Encodable {
        public enum Action: String, Sendable, Encodable { case create, update, delete, unmanaged }
        public enum Field: String, Sendable, Encodable {
            case displayName = "display_name", clientID = "client_id", clientSecret = "client_secret", scope
        }
        public var action: Action
        public var integration: String
        public var provider: String
        public var field: Field?
        /// The value before (a removed scope); never a secret.
        public var from: String?
        /// The value after (an added scope, a created integration's display name); never a secret.
        public var to: String?
        /// A created integration's scopes.
        public var scopes: [String]?
        /// The manifest line the change comes from (the command line for an unmanaged integration).
        public var location: SourceLocation

        enum CodingKeys: String, CodingKey { case action, integration, provider, field, from, to, scopes }

        /// One line of the plan.
        public var line: String {
            let key = integration.forDiagnostic
            switch action {
            case .create:
                let list = (scopes ?? []).map(\.forDiagnostic).joined(separator: ",")
                return "create     \(key) (provider \(provider.forDiagnostic)): display name \"\((to ?? "").forDiagnostic)\", scopes \(list.isEmpty ? "none" : list)"
            case .update:
                switch field {
                case .displayName?: return "update     \(key): display name \"\((from ?? "").forDiagnostic)\" → \"\((to ?? "").forDiagnostic)\""
                case .clientID?: return "update     \(key): client id \(from.map { "\"\($0.forDiagnostic)\"" } ?? "none") → \"\((to ?? "").forDiagnostic)\""
                case .clientSecret?: return "update     \(key): client secret changed"
                case .scope?, nil: return "update     \(key): scope \(to.map { "+" + $0.forDiagnostic } ?? "-" + (from ?? "").forDiagnostic)"
                }
            case .unmanaged: return "unmanaged  \(key) (provider \(provider.forDiagnostic)): in Nango, in no manifest; apply --prune deletes it"
            case .delete: return "delete     \(key) (provider \(provider.forDiagnostic))"
            }
        }
    }

    /// A request of `apply`, in order.
    public enum Write: Sendable, Equatable {
        case create(NangoAPI.IntegrationBody)
        case update(key: String, NangoAPI.IntegrationBody)
        case delete(key: String)

        public var text: String {
            switch self {
            case .create(let body): "create \((body.uniqueKey ?? "").forDiagnostic)"
            case .update(let key, _): "update \(key.forDiagnostic)"
            case .delete(let key): "delete \(key.forDiagnostic)"
            }
        }
    }

    public var changes: [Change] = []
    public var writes: [Write] = []
    /// Errors (apply refuses to start) and warnings, at manifest lines.
    public var diagnostics: [Diagnostic] = []

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    /// Whether Nango differs from the manifests (an unmanaged integration counts).
    public var hasDrift: Bool { !changes.isEmpty }

    /// Nango's rule for a scope (`IntegrationCredentials.scopes`: comma-joined words of these characters).
    public static func nangoAccepts(scope: String) -> Bool {
        !scope.isEmpty && scope.unicodeScalars.allSatisfy { s in
            s.isASCII && (CharacterSet.alphanumerics.contains(s) || ":/_.-".unicodeScalars.contains(s))
        }
    }

    /// Nango's credential type for a mode whose OAuth client keyway manages, else nil.
    static func credentialType(_ mode: AuthMode) -> String? {
        switch mode {
        case .oauth2, .oauth1, .tba: mode.nangoName
        default: nil
        }
    }

    /// - Parameters:
    ///   - environment: where the secrets' variables are read (the process environment).
    ///   - prune: whether integrations in no manifest are deleted.
    public init(catalog: Catalog, state: NangoState, environment: [String: String], prune: Bool) {
        for integration in catalog.integrations { plan(integration, state: state, environment: environment) }
        let managed = Set(catalog.integrations.map(\.key))
        for (key, remote) in state.integrations.sorted(by: { $0.key < $1.key }) where !managed.contains(key) {
            changes.append(Change(action: prune ? .delete : .unmanaged, integration: key, provider: remote.provider, location: .commandLine))
            if prune { writes.append(.delete(key: key)) }
        }
    }

    private mutating func plan(_ integration: Integration, state: NangoState, environment: [String: String]) {
        let errorsBefore = diagnostics.count
        // The provider, as Nango knows it.
        switch state.providers[integration.provider] {
        case .some(.some(let provider)):
            if let mode = provider.authMode, mode != integration.auth.mode.nangoName {
                let spelled = AuthMode(nangoName: mode).map { "write mode: \($0.rawValue)" }
                    ?? "keyway has no mode for it; manage this integration in Nango by hand"
                diagnostics.append(.error(integration.modeLocation,
                    "auth.mode is \(integration.auth.mode.rawValue) but Nango's provider '\(integration.provider)' uses \(mode.forDiagnostic); \(spelled)"))
            }
        case .some(.none):
            diagnostics.append(.error(integration.providerLocation, NangoAPI.unknownProvider(integration.provider, among: state.providerNames)))
        case nil:
            break
        }
        for grant in integration.auth.scopes where !Self.nangoAccepts(scope: grant.scope) {
            diagnostics.append(.error(grant.location,
                "Nango accepts scopes made of letters, digits and : / _ . - only; '\(grant.scope.forDiagnostic)' cannot be sent to it"))
        }
        // The OAuth client, from the environment variables the manifest names.
        var client: (id: String, secret: String)?
        if let type = Self.credentialType(integration.auth.mode) {
            var values: [String] = []
            for name in ["client_id", "client_secret"] {
                guard let secret = integration.secret(name) else {
                    diagnostics.append(.error(integration.location,
                        "an \(integration.auth.mode.rawValue) integration needs auth.secrets.\(name): the environment variable that holds the OAuth client's \(name == "client_id" ? "id" : "secret") (Nango's \(type) credentials)"))
                    continue
                }
                guard let value = environment[secret.value], !value.isEmpty else {
                    diagnostics.append(.error(secret.location ?? integration.location,
                        "the environment variable \(secret.value) (auth.secrets.\(name)) is not set; set it to the OAuth client's \(name == "client_id" ? "id" : "secret") before keyway nango plans or applies"))
                    continue
                }
                values.append(value)
            }
            if values.count == 2 { client = (values[0], values[1]) }
        }
        let scopes = integration.auth.scopes.map(\.scope)
        var credentials: (type: String, clientID: String, clientSecret: String, scopes: [String])?
        if let type = Self.credentialType(integration.auth.mode), let client {
            credentials = (type, client.id, client.secret, scopes)
        }

        guard let remote = state.integrations[integration.key] else {
            if integration.auth.mode == .app || integration.auth.mode == .custom {
                diagnostics.append(.error(integration.modeLocation,
                    "Nango creates an \(integration.auth.mode.rawValue) integration only with the app's credentials (app_id, app_link, private_key), which keyway does not manage: create '\(integration.key)' in Nango's dashboard, then keyway keeps its display name"))
            }
            changes.append(Change(action: .create, integration: integration.key, provider: integration.provider,
                                  to: integration.name, scopes: scopes, location: integration.location))
            if diagnostics.count == errorsBefore {
                writes.append(.create(NangoAPI.IntegrationBody(uniqueKey: integration.key, provider: integration.provider,
                                                               displayName: integration.name, credentials: credentials)))
            }
            return
        }
        if remote.provider != integration.provider {
            diagnostics.append(.error(integration.providerLocation,
                "Nango's integration '\(integration.key)' has provider '\(remote.provider.forDiagnostic)', not '\(integration.provider)', and Nango cannot change an integration's provider: give this manifest a new key (and delete the old integration with apply --prune), or delete '\(integration.key)' in Nango (its connections go with it) and apply again"))
            return
        }
        let detail = state.details[integration.key] ?? remote
        if credentials != nil, !detail.credentialsIncluded {
            diagnostics.append(.error(.commandLine,
                "Nango left out the credentials of '\(integration.key)' (GET /integrations/\(integration.key)?include=credentials): the secret key lacks the environment:integrations:read_credentials permission, and keyway cannot compare the OAuth client without it; use a key with that permission"))
            return
        }
        var body = NangoAPI.IntegrationBody()
        func change(_ field: Change.Field, from: String? = nil, to: String? = nil, at location: SourceLocation = integration.location) {
            changes.append(Change(action: .update, integration: integration.key, provider: integration.provider, field: field, from: from, to: to, location: location))
        }
        if detail.displayName != integration.name {
            change(.displayName, from: detail.displayName, to: integration.name)
            body.displayName = integration.name
        }
        if let credentials {
            let old = detail.credentials
            var credentialsChanged = false
            if old?.clientID != credentials.clientID {
                change(.clientID, from: old?.clientID, to: credentials.clientID, at: integration.secret("client_id")?.location ?? integration.location)
                credentialsChanged = true
            }
            if old?.clientSecret != credentials.clientSecret {
                change(.clientSecret, at: integration.secret("client_secret")?.location ?? integration.location)
                credentialsChanged = true
            }
            let had = old?.scopes ?? []
            // Nango stores the provider's default scopes for an integration created without any.
            let defaults = (state.providers[integration.provider] ?? nil)?.defaultScopes ?? []
            let filledByNango = scopes.isEmpty && !had.isEmpty && had == defaults
            for grant in integration.auth.scopes where !had.contains(grant.scope) {
                change(.scope, to: grant.scope, at: grant.location)
                credentialsChanged = true
            }
            for scope in had where !scopes.contains(scope) && !filledByNango {
                change(.scope, from: scope)
                credentialsChanged = true
            }
            if credentialsChanged {
                body.credentials = credentials
                // No scopes in the manifest, some in Nango that it did not fill in: clear them.
                body.clearsScopes = scopes.isEmpty && !had.isEmpty && !filledByNango
            }
        }
        if body != NangoAPI.IntegrationBody(), diagnostics.count == errorsBefore {
            writes.append(.update(key: integration.key, body))
        }
    }
}

/// What `apply` did: the writes made, and the first that failed (with those not tried).
public struct NangoApplyResult: Sendable {
    public var applied: [NangoPlan.Write] = []
    public var failure: NangoAPI.Failure?
    public var notApplied: [NangoPlan.Write] = []

    /// Carries the writes out in order; stops at the first failure.
    public static func apply(_ writes: [NangoPlan.Write], with api: NangoAPI) async -> NangoApplyResult {
        var result = NangoApplyResult()
        for (index, write) in writes.enumerated() {
            do {
                switch write {
                case .create(let body): try await api.createIntegration(body)
                case .update(let key, let body): try await api.updateIntegration(key, body)
                case .delete(let key): try await api.deleteIntegration(key)
                }
                result.applied.append(write)
            } catch {
                result.failure = error
                result.notApplied = Array(writes[index...])
                break
            }
        }
        return result
    }
}
