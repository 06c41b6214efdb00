import KeywayLoad
import KeywayModel

/// Reads `keyway.yaml` into a `ProjectConfig`:
///
/// ```yaml
/// tenancy:
///   user_claims: [sub]                    # requesting_user_id(): the first present
///   organization_claims: [o.id, org_id]   # requesting_owner_id(): the first present, else the user
/// ```
public enum ProjectConfigReader {
    static let keys = ["tenancy"]
    static let tenancyKeys = ["user_claims", "organization_claims"]

    /// The configuration, or nil with the diagnostics that explain why not.
    public static func read(_ root: YAMLNode) -> (config: ProjectConfig?, diagnostics: [Diagnostic]) {
        let reader = NodeReader()
        var config = ProjectConfig()
        if let f = reader.mapping(root, "keyway.yaml", allowed: keys),
           let pair = f["tenancy"], let t = reader.mapping(pair.value, "'tenancy'", allowed: tenancyKeys) {
            let user = claimPaths(reader, t, "user_claims", default: TenantClaims.default.user)
            let organization = claimPaths(reader, t, "organization_claims", default: TenantClaims.default.organization)
            for path in organization where user.contains(where: { $0.value == path.value }) {
                reader.error(path.location, "claim '\(path.value)' is listed as both a user and an organisation claim; a claim names one or the other")
            }
            config.tenancy = TenantClaims(user: user.map(\.value), organization: organization.map(\.value))
        }
        let diagnostics = reader.diagnostics.sortedForReport()
        return (diagnostics.hasErrors ? nil : config, diagnostics)
    }

    private static func claimPaths(_ reader: NodeReader, _ fields: Fields, _ key: String, default fallback: [TenantClaims.Path]) -> [Located<TenantClaims.Path>] {
        guard let items = reader.stringList(fields, key, "'tenancy'") else {
            return fallback.map { Located(value: $0, location: fields.node.location) }
        }
        if items.isEmpty, let pair = fields[key] {
            reader.error(pair.value.location, "'\(key)' must name at least one claim, like [sub]")
        }
        var paths: [Located<TenantClaims.Path>] = []
        for item in items {
            guard let path = TenantClaims.Path(dotted: item.value) else {
                reader.error(item.location, "'\(item.value.forDiagnostic)' is not a claim path; write claim names (letters, digits, _, -, :) joined by '.', like o.id")
                continue
            }
            if paths.contains(where: { $0.value == path }) {
                reader.error(item.location, "claim '\(path)' is listed twice in '\(key)'; remove one")
                continue
            }
            paths.append(Located(value: path, location: item.location))
        }
        return paths
    }
}
