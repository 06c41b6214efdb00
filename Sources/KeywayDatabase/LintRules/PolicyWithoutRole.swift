/// POL101 `policy_without_role` (keyway's): a policy without `TO`, which applies to every role,
/// `anon` included.
public struct PolicyWithoutRole: LintRule {
    public static let code = "POL101"
    public static let name = "policy_without_role"
    public static let level = LintFinding.Level.warning
    public static let summary = "a policy has no TO clause, so it applies to every role, anon included"

    public init() {}

    public func findings(in snapshot: LintSnapshot) -> [LintFinding] {
        snapshot.relations.flatMap { relation in
            relation.policies.filter { $0.roles == ["public"] }.map {
                finding(relation.name, "policy \($0.name) applies to every role (no TO clause); write `to authenticated` (or the role it is for)")
            }
        }
    }
}
