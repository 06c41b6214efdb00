import KeywayContract

/// COL101 `sensitive_columns_exposed` (splinter 0023): a column named like a credential in a
/// view, a materialized view or a table without row level security of an exposed schema.
/// What names a credential is ``KeywayContract/CredentialName``, which the call log's
/// redaction reads too.
public struct SensitiveColumnsExposed: LintRule {
    public static let code = "COL101"
    public static let name = "sensitive_columns_exposed"
    public static let level = LintFinding.Level.error
    public static let summary = "a column named like a credential is exposed without row level security"

    public init() {}

    public func findings(in snapshot: LintSnapshot) -> [LintFinding] {
        snapshot.relations.filter { !$0.kind.isTable || !$0.rowSecurity }.flatMap { relation in
            relation.columns.filter { CredentialName.matches($0.name) }.map {
                finding(relation.name, "column \($0.name) looks like a credential and the table is exposed without row level security; enable RLS or move the column out of \(relation.name.schema)")
            }
        }
    }
}
