/// Where a request's tenant is read from its verified JWT claims: paths into the claims
/// object (`["o", "id"]` is `{"o": {"id": …}}`), the first present wins. keyway.yaml's
/// `tenancy:` names them; the database's `requesting_user_id()` and
/// `requesting_owner_id()` and the runtime's `Tenant(claims:)` read the same ones.
public enum ClaimPaths {
    /// The user: `sub` (Supabase Auth, Clerk, any OIDC issuer).
    public static let defaultUser: [[String]] = [["sub"]]
    /// The organisation: Clerk's session token v2 (`o.id`), then v1 (`org_id`).
    public static let defaultOrganization: [[String]] = [["o", "id"], ["org_id"]]

    /// The value at the first path that holds a non-empty string, or nil.
    public static func first(_ paths: [[String]], in claims: JSONValue) -> String? {
        for path in paths {
            var value: JSONValue? = claims
            for key in path { value = value?[key] }
            if case .string(let found)? = value, !found.isEmpty { return found }
        }
        return nil
    }
}
