/// One finding of `keyway migrate lint`.
public struct LintFinding: Equatable, Sendable, Codable {
    public enum Level: String, Sendable, Codable { case error, warning }
    public var level: Level
    /// The rule's stable code, such as `RLS101` (README, "Migrations": codes are never
    /// reused or renumbered).
    public var code: String
    /// The rule's name, such as `rls_disabled_in_public` (splinter's name where it has one).
    public var rule: String
    /// `schema.table` or `schema.function`.
    public var object: String
    public var message: String

    /// A finding of `rule`, which gives its level, code and name.
    public init<Rule: LintRule>(_ rule: Rule.Type, object: String, message: String) {
        level = Rule.level
        code = Rule.code
        self.rule = Rule.name
        self.object = object
        self.message = message
    }
}

/// One check of `keyway migrate lint`: a pure analysis of a `LintSnapshot`. Each rule is a
/// type of its own in `LintRules/`, named after the rule, and is listed in `Linter.rules`.
public protocol LintRule: Sendable {
    /// Stable: a family (`RLS` a table's row level security, `POL` policies, `FN`
    /// functions, `COL` columns and their privileges) and a number from 101 up.
    static var code: String { get }
    /// snake_case; splinter's lint name where splinter has the rule.
    static var name: String { get }
    static var level: LintFinding.Level { get }
    /// What it catches, in one line (the README's table says the same).
    static var summary: String { get }

    func findings(in snapshot: LintSnapshot) -> [LintFinding]
}

extension LintRule {
    /// A finding of this rule on `object`.
    func finding(_ object: QualifiedName, _ message: String) -> LintFinding {
        LintFinding(Self.self, object: object.description, message: message)
    }
}

/// Splinter-style checks on a live database's catalogs, so they hold for any schema, not
/// only keyway's. Exposed schemas are those PostgREST serves (Supabase: public).
public struct Linter: Sendable {
    public var schemas: [String]

    public init(schemas: [String] = ["public"]) { self.schemas = schemas }

    /// Every rule, by family (RLS, POL, FN, COL) and number, as the README's table lists
    /// them; findings come rule by rule in this order, each rule's in the catalog's order.
    public static let rules: [any LintRule] = [
        RLSDisabledInPublic(), PolicyExistsRLSDisabled(), RLSEnabledNoPolicy(),
        PolicyWithoutRole(), AuthRLSInitplan(), PermissiveTrueOnWrite(), MultiplePermissivePolicies(),
        FunctionSearchPathMutable(),
        SensitiveColumnsExposed(), TenantWritableConnectionID(),
    ]

    /// Reads the snapshot of the exposed schemas and runs every rule on it.
    public func run(on database: PostgresMigrationDatabase) async throws -> [LintFinding] {
        Self.findings(in: try await LintSnapshot.load(from: database, schemas: schemas))
    }

    /// Every rule's findings on `snapshot`.
    public static func findings(in snapshot: LintSnapshot) -> [LintFinding] {
        rules.flatMap { $0.findings(in: snapshot) }
    }
}
