/// FN101 `function_search_path_mutable` (splinter 0011): a function or procedure of an
/// exposed schema without a fixed `search_path`, so a caller's `search_path` decides which
/// objects its unqualified names mean. Functions of extensions are not the schema's to fix.
public struct FunctionSearchPathMutable: LintRule {
    public static let code = "FN101"
    public static let name = "function_search_path_mutable"
    public static let level = LintFinding.Level.warning
    public static let summary = "a function has no fixed search_path"

    public init() {}

    public func findings(in snapshot: LintSnapshot) -> [LintFinding] {
        snapshot.functions.filter { !$0.fromExtension && !$0.fixesSearchPath }.map {
            finding($0.name, "the function has no fixed search_path; add `set search_path = ''` and qualify the names it uses")
        }
    }
}
