import Foundation

/// POL102 `auth_rls_initplan` (splinter 0003): an auth or owner function called bare in a
/// policy, so PostgreSQL calls it once per row instead of once per statement.
public struct AuthRLSInitplan: LintRule {
    public static let code = "POL102"
    public static let name = "auth_rls_initplan"
    public static let level = LintFinding.Level.warning
    public static let summary = "a policy calls an auth or owner function bare, once per row, not as (select …)"

    /// The owner/auth functions whose bare call in a policy re-runs on every row.
    public static let calls = ["requesting_owner_id()", "auth.uid()", "auth.jwt()", "auth.role()", "auth.email()", "current_setting("]

    public init() {}

    /// One finding per call found bare, in `USING` then in `WITH CHECK`.
    public func findings(in snapshot: LintSnapshot) -> [LintFinding] {
        snapshot.relations.flatMap { relation in
            relation.policies.flatMap { policy in
                policy.expressions.flatMap { expression in
                    Self.calls.filter { Self.hasBareCall($0, in: expression) }.map { call in
                        finding(relation.name, "policy \(policy.name) calls \(call)… once per row; wrap it as (select \(call)…) so it runs once per statement")
                    }
                }
            }
        }
    }

    /// Whether `call` occurs in the deparsed expression outside a `(SELECT …)` wrapper.
    static func hasBareCall(_ call: String, in expression: String) -> Bool {
        let lowered = expression.lowercased()
        var searchFrom = lowered.startIndex
        while let range = lowered.range(of: call, range: searchFrom..<lowered.endIndex) {
            let before = lowered[lowered.startIndex..<range.lowerBound]
            // PostgreSQL deparses a wrapped call as "( SELECT public.fn() AS fn)".
            let prefix = before.reversed().prefix(40)
            let text = String(prefix.reversed())
            if !(text.hasSuffix("select ") || text.range(of: #"select [a-z_]+\.$"#, options: .regularExpression) != nil) { return true }
            searchFrom = range.upperBound
        }
        return false
    }
}
