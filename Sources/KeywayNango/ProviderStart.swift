import Foundation
import KeywayLoad
import KeywayModel

/// `keyway init --provider NAME`: an integration and an empty connector started from Nango's
/// description of a provider, read from Nango (`GET /providers/{name}`) or from a
/// providers.yaml the user supplies. Pure: the command reads and writes.
public enum ProviderStart {
    /// The largest providers.yaml keyway reads.
    public static let maximumCatalogBytes = 16 << 20

    /// The provider `name` of a providers.yaml (Nango's format: a mapping of provider names,
    /// an `alias` taking another provider's configuration, its own keys winning).
    public static func provider(_ name: String, inCatalog bytes: [UInt8], file: String) -> Result<NangoAPI.Provider, Diagnostic> {
        var limits = YAMLLimits()
        limits.maxExpandedNodes = 2_000_000
        let parsed = YAMLDocument.parse(bytes, file: file, limits: limits)
        if let problem = parsed.diagnostics.first(where: { $0.severity == .error }) {
            return .failure(.error(problem.location, "cannot read the providers file: \(problem.message)"))
        }
        guard let root = parsed.root, case .mapping(let providers) = root.value else {
            return .failure(.error(.start(of: file), "the providers file is not a mapping of provider names (Nango's providers.yaml)"))
        }
        func entry(_ name: String) -> [YAMLPair]? {
            guard let node = providers.first(where: { $0.key == name })?.value, case .mapping(let pairs) = node.value else { return nil }
            return pairs
        }
        guard var pairs = entry(name) else {
            let guess = EditDistance.closest(to: name, in: providers.map(\.key))
            return .failure(.error(.start(of: file), "the providers file has no provider '\(name.forDiagnostic)'\(guess.map { "; did you mean '\($0.forDiagnostic)'?" } ?? "")"))
        }
        // An alias takes its target's keys, its own winning (at most a few hops).
        var hops = 0
        while let alias = pairs.first(where: { $0.key == "alias" }), case .scalar(let target) = alias.value.value, hops < 4 {
            hops += 1
            guard let base = entry(target.text) else {
                return .failure(.error(alias.value.location, "provider '\(name.forDiagnostic)' is an alias of '\(target.text.forDiagnostic)', which the providers file lacks"))
            }
            let own = Set(pairs.map(\.key)).subtracting(["alias"])
            pairs = base.filter { !own.contains($0.key) } + pairs.filter { $0.key != "alias" }
        }
        do {
            var provider = try YAMLNodeDecoder(node: YAMLNode(.mapping(pairs), at: root.location)).decode(NangoAPI.Provider.self)
            provider.name = name
            return .success(provider)
        } catch {
            return .failure(.error(providers.first { $0.key == name }!.keyLocation, "provider '\(name.forDiagnostic)' is not as Nango describes providers: \(NangoAPI.describe(error))"))
        }
    }

    /// The integration and connector manifests of a provider, relative to the manifests folder.
    public static func files(for provider: NangoAPI.Provider, manifests: String) -> Result<[GeneratedFile], Diagnostic> {
        let key = provider.name
        guard Slug.isValid(key) else {
            return .failure(.error(.commandLine, "Nango's provider name '\(key.forDiagnostic)' is not a key keyway accepts (^[a-z0-9][a-z0-9-]*$); write the integration by hand"))
        }
        guard let mode = provider.authMode.flatMap(AuthMode.init(nangoName:)) else {
            return .failure(.error(.commandLine, "Nango's provider '\(key)' uses auth mode \((provider.authMode ?? "none").forDiagnostic), which keyway's manifests do not have"))
        }
        let display = provider.displayName ?? key
        let variable = key.uppercased().replacingOccurrences(of: "-", with: "_")
        let scopes = (provider.defaultScopes ?? []).filter { !$0.isEmpty }
        var lines = [
            "# An integration started from Nango's provider '\(key)' (keyway init --provider).",
        ]
        if let docs = provider.docs { lines.append("# Nango's guide: \(docs.escapingControls)") }
        if let base = provider.proxy?.baseURL { lines.append("# Nango's proxy sends tool requests to \(base.escapingControls) (endpoints are paths under it).") }
        lines += [
            "key: \(key)",
            "provider: \(key)",
            "name: \(YAMLText.scalar(display))",
            "category: \(YAMLText.scalar(provider.categories?.first ?? "other"))",
            "description: \(YAMLText.scalar("Tools on \(display)"))",
            "auth:",
            "  mode: \(mode.rawValue)",
        ]
        if !scopes.isEmpty {
            let separator = provider.scopeSeparator ?? " "
            lines.append("  # Nango's default scopes; it joins scopes with \(separator == " " ? "a space" : "'\(separator.escapingControls)'") when it asks the provider.")
            lines.append("  scopes:")
            for scope in scopes {
                lines.append("    - scope: \(YAMLText.scalar(scope))")
                lines.append("      reason: \(YAMLText.scalar("Nango's default scope for \(display): say why the product needs it, or remove it"))")
            }
        }
        if mode.usesRedirect {
            lines += ["  redirect_uris:", "    production: https://api.nango.dev/oauth/callback"]
        }
        if NangoPlan.credentialType(mode) != nil {
            lines += ["  secrets:                  # names of the environment variables, never the values",
                      "    client_id: \(variable)_CLIENT_ID", "    client_secret: \(variable)_CLIENT_SECRET"]
        }
        let connector = [
            "# The agent tools on \(display.escapingControls): add each as a call through Nango's proxy",
            "# (keyway tools import --openapi drafts one from the provider's OpenAPI document).",
            "slug: \(key)",
            "name: \(YAMLText.scalar(display))",
            "nango:",
            "  provider_key: \(key)",
            "tools: []",
        ]
        return .success([
            GeneratedFile(path: ProjectConfig.join(manifests, "integrations/\(key).yaml"), contents: lines.joined(separator: "\n") + "\n"),
            GeneratedFile(path: ProjectConfig.join(manifests, "connectors/\(key).yaml"), contents: connector.joined(separator: "\n") + "\n"),
        ])
    }
}
