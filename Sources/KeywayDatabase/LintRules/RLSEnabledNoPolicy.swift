/// RLS103 `rls_enabled_no_policy` (splinter 0008): row level security on and no policy, so
/// only the owner and BYPASSRLS roles reach rows. Safe, but often a forgotten policy.
public struct RLSEnabledNoPolicy: LintRule {
    public static let code = "RLS103"
    public static let name = "rls_enabled_no_policy"
    public static let level = LintFinding.Level.warning
    public static let summary = "a table has row level security on and no policy"

    public init() {}

    public func findings(in snapshot: LintSnapshot) -> [LintFinding] {
        snapshot.relations.filter { $0.kind.isTable && $0.rowSecurity && $0.policies.isEmpty }.map {
            finding($0.name, "row level security is on but no policy exists: nobody but the owner and BYPASSRLS roles can reach rows; add policies or say so in a comment")
        }
    }
}
