/// RLS102 `policy_exists_rls_disabled` (splinter 0007): policies on a table whose row level
/// security is off; they are never applied, so someone believes rows are guarded that are not.
public struct PolicyExistsRLSDisabled: LintRule {
    public static let code = "RLS102"
    public static let name = "policy_exists_rls_disabled"
    public static let level = LintFinding.Level.error
    public static let summary = "a table has policies but row level security is off, so they do nothing"

    public init() {}

    public func findings(in snapshot: LintSnapshot) -> [LintFinding] {
        snapshot.relations.filter { $0.kind.isTable && !$0.rowSecurity && !$0.policies.isEmpty }.map {
            finding($0.name, "the table has policies but row level security is off, so they do nothing; enable it")
        }
    }
}
