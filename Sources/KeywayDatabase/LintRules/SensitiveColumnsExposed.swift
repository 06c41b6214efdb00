/// COL101 `sensitive_columns_exposed` (splinter 0023): a column named like a credential in a
/// view, a materialized view or a table without row level security of an exposed schema.
public struct SensitiveColumnsExposed: LintRule {
    public static let code = "COL101"
    public static let name = "sensitive_columns_exposed"
    public static let level = LintFinding.Level.error
    public static let summary = "a column named like a credential is exposed without row level security"

    /// What a credential's column name contains, in any case:
    /// `token|secret|password|passwd|api_?key|private_?key|credential`.
    public static let fragments = ["token", "secret", "password", "passwd", "apikey", "api_key", "privatekey", "private_key", "credential"]

    public init() {}

    public func findings(in snapshot: LintSnapshot) -> [LintFinding] {
        snapshot.relations.filter { !$0.kind.isTable || !$0.rowSecurity }.flatMap { relation in
            relation.columns.filter { Self.looksLikeCredential($0.name) }.map {
                finding(relation.name, "column \($0.name) looks like a credential and the table is exposed without row level security; enable RLS or move the column out of \(relation.name.schema)")
            }
        }
    }

    /// Whether `column` contains a fragment, ASCII letters compared without case (as
    /// PostgreSQL's `~*` compares a `name`, whose collation is C).
    static func looksLikeCredential(_ column: String) -> Bool {
        let folded = column.utf8.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 + 32 : $0 }
        return fragments.contains { fragment in
            let bytes = Array(fragment.utf8)
            return folded.count >= bytes.count && (0...(folded.count - bytes.count)).contains { folded[$0..<$0 + bytes.count].elementsEqual(bytes) }
        }
    }
}
