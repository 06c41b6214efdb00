/// POL103 `permissive_true_on_write` (keyway's): a policy for a write command whose `USING`
/// or `WITH CHECK` is `true`, so any role it names may change any row.
public struct PermissiveTrueOnWrite: LintRule {
    public static let code = "POL103"
    public static let name = "permissive_true_on_write"
    public static let level = LintFinding.Level.error
    public static let summary = "a policy for insert, update, delete or all has USING or WITH CHECK true"

    public init() {}

    public func findings(in snapshot: LintSnapshot) -> [LintFinding] {
        snapshot.relations.flatMap { relation in
            relation.policies.filter { $0.command.writes && ($0.using == "true" || $0.check == "true") }.map {
                finding(relation.name, "policy \($0.name) allows writes with `true`: any signed-in user may change any row; check the owner instead")
            }
        }
    }
}
