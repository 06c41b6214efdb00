/// RLS101 `rls_disabled_in_public` (splinter 0013): a table of an exposed schema without row
/// level security, so every role the API runs as reads and writes all of its rows.
public struct RLSDisabledInPublic: LintRule {
    public static let code = "RLS101"
    public static let name = "rls_disabled_in_public"
    public static let level = LintFinding.Level.error
    public static let summary = "a table of an exposed schema has row level security off"

    public init() {}

    public func findings(in snapshot: LintSnapshot) -> [LintFinding] {
        snapshot.relations.filter { $0.kind.isTable && !$0.rowSecurity }.map {
            finding($0.name, "the table is exposed without row level security; `alter table \($0.name) enable row level security` and add policies")
        }
    }
}
