import KeywayLoad
import KeywayModel

/// Reads `integrations/<key>.yaml` into an `Integration`, checking each field.
extension NodeReader {
    static let integrationKeys = ["key", "provider", "name", "category", "description", "auth"]
    static let authKeys = ["mode", "console", "enable_apis", "scopes", "redirect_uris", "secrets"]
    static let scopeGrantKeys = ["scope", "reason", "without_tool"]

    func integration(_ doc: ManifestDocument) -> Integration? {
        guard let f = mapping(doc.root, "an integration manifest", allowed: Self.integrationKeys) else { return nil }
        let what = "the integration"
        let key = slug(f, "key", what)
        let provider = slug(f, "provider", what)
        let name = string(f, "name", what)
        let category = string(f, "category", what)
        if let c = category, FormatRules.hasControlCharacters(c.value) { error(c.location, "'category' must be one line of text") }
        let description = string(f, "description", what)
        var auth: (auth: Auth, modeLocation: SourceLocation)?
        if let node = f["auth"] {
            scopeListBroken = false
            auth = self.auth(node.value)
            if scopeListBroken, let key { integrationsWithBrokenScopes.insert(key.value) }
        } else {
            error(f.node.location, "the integration is missing the required key 'auth'")
        }
        if let key, let stem = doc.relativePath.split(separator: "/").last?.split(separator: ".").first, String(stem) != key.value {
            warning(key.location, "the file is named '\(String(stem).forDiagnostic)' but its key is '\(key.value)'; rename the file to \(key.value).yaml")
        }
        guard let key, let provider, let name, let category, let description, let auth else { return nil }
        return Integration(key: key.value, provider: provider.value, name: name.value, category: category.value,
                           description: description.value, auth: auth.auth, location: key.location,
                           providerLocation: provider.location, modeLocation: auth.modeLocation)
    }

    /// A field in slug form (`^[a-z0-9][a-z0-9-]*$`).
    func slug(_ f: Fields, _ key: String, _ what: String) -> Located<String>? {
        guard let s = string(f, key, what) else { return nil }
        guard FormatRules.isSlug(s.value) else {
            error(s.location, "'\(key)' must match ^[a-z0-9][a-z0-9-]*$ (at most 64 characters), not '\(s.value.forDiagnostic)'")
            return nil
        }
        return s
    }

    private func auth(_ node: YAMLNode) -> (auth: Auth, modeLocation: SourceLocation)? {
        guard let f = mapping(node, "'auth'", allowed: Self.authKeys) else { return nil }
        // Nango spells modes in capitals (OAUTH2); both spellings are accepted.
        guard let mode: Located<AuthMode> = choice(f, "mode", "'auth'", caseInsensitive: true) else { return nil }
        var console: String?
        if let c = string(f, "console", "'auth'", required: false) {
            if let problem = FormatRules.httpsURLProblem(c.value) { error(c.location, "'console' \(problem)") } else { console = c.value }
        }
        // Sets and dictionaries for every duplicate check: linear in the list's length.
        var apis: [String] = []
        var apiSet: Set<String> = []
        for api in stringList(f, "enable_apis", "'auth'") ?? [] {
            if !apiSet.insert(api.value).inserted { error(api.location, "'\(api.value.forDiagnostic)' is listed twice in enable_apis; remove one") } else { apis.append(api.value) }
        }
        var grants: [ScopeGrant] = []
        var grantIndex: [String: Int] = [:]
        let scopeItems = list(f, "scopes", "'auth'")
        if scopeItems == nil, let pair = f["scopes"], !isNull(pair.value) { scopeListBroken = true }
        for item in scopeItems ?? [] {
            if case .scalar = item.value {
                error(item.location, "each scope needs a reason: write '- scope: …' with 'reason: …' on the next line")
                scopeListBroken = true
                continue
            }
            guard let g = mapping(item, "each scope", allowed: Self.scopeGrantKeys),
                  let scope = string(g, "scope", "the scope"), let reason = string(g, "reason", "the scope") else { scopeListBroken = true; continue }
            if FormatRules.hasControlOrSpace(scope.value) {
                error(scope.location, "a scope must not contain spaces or control characters; list each scope on its own")
            } else if let first = grantIndex[scope.value].map({ grants[$0] }) {
                error(scope.location, "scope '\(scope.value.forDiagnostic)' is granted twice (first at line \(first.location.line)); remove one")
            } else {
                grantIndex[scope.value] = grants.count
                grants.append(ScopeGrant(scope: scope.value, reason: reason.value, location: scope.location, withoutTool: bool(g, "without_tool")?.value ?? false))
            }
        }
        var redirects: [NamedValue] = []
        let redirectEntries = namedEntries(f, "redirect_uris") ?? []
        for entry in redirectEntries {
            guard FormatRules.isSnakeName(entry.key) else {
                error(entry.keyLocation, "environment names are lower-case words like production or development, not '\(entry.key.forDiagnostic)'")
                continue
            }
            guard let uri = string(entry.value, "the redirect URI for '\(entry.key)'") else { continue }
            if let problem = FormatRules.redirectURIProblem(uri.value, environment: entry.key) {
                error(uri.location, "\(problem) (redirect_uris.\(entry.key))")
            } else {
                redirects.append(NamedValue(name: entry.key, value: uri.value))
            }
        }
        if mode.value.usesRedirect, !redirectEntries.contains(where: { $0.key == "production" }) {
            error(f["redirect_uris"]?.keyLocation ?? f.node.location,
                  "an \(mode.value.rawValue) integration needs redirect_uris with a 'production' entry (Nango Cloud: production: https://api.nango.dev/oauth/callback)")
        }
        var secrets: [NamedValue] = []
        for entry in namedEntries(f, "secrets") ?? [] {
            guard FormatRules.isSnakeName(entry.key) else {
                error(entry.keyLocation, "secret names are lower-case words like client_id, not '\(entry.key.forDiagnostic)'")
                continue
            }
            guard case .scalar(let scalar) = entry.value.value, !scalar.isNull else {
                error(entry.value.location, "secrets.\(entry.key) must name an environment variable, found \(entry.value.kindName)")
                continue
            }
            if FormatRules.isEnvironmentVariable(scalar.text) {
                secrets.append(NamedValue(name: entry.key, value: scalar.text, location: entry.value.location))
            } else {
                // Never echo the value: it may be the secret itself.
                error(entry.value.location, "secrets.\(entry.key) must name an environment variable (^[A-Z][A-Z0-9_]*$, e.g. \(entry.key.uppercased())), not hold a value; the value is not shown — if it was a real secret, rotate it")
                flaggedSecretLocations.insert(entry.value.location)
            }
        }
        return (Auth(mode: mode.value, console: console, enableAPIs: apis, scopes: grants, redirectURIs: redirects, secrets: secrets), mode.location)
    }
}
