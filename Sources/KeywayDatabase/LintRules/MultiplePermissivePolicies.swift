/// POL104 `multiple_permissive_policies` (splinter 0006): several permissive policies for one
/// table, role and command; PostgreSQL runs each of them for every query.
public struct MultiplePermissivePolicies: LintRule {
    public static let code = "POL104"
    public static let name = "multiple_permissive_policies"
    public static let level = LintFinding.Level.warning
    public static let summary = "several permissive policies apply to one table, role and command"

    /// A table, a role and a single command (never `all`: it counts for each of the four).
    struct Key: Hashable {
        var object: QualifiedName
        var role: String
        var command: PolicyCommand

        /// By schema, table and role, then the catalog's letter of the command (a, d, r, w:
        /// insert, delete, select, update), as lint has always listed them.
        static func ordered(_ a: Key, _ b: Key) -> Bool {
            (a.object.schema, a.object.name, a.role, a.command.rawValue) < (b.object.schema, b.object.name, b.role, b.command.rawValue)
        }
    }

    public init() {}

    /// One finding per key with two or more policies, naming them in the catalog's order.
    public func findings(in snapshot: LintSnapshot) -> [LintFinding] {
        var policies: [Key: [String]] = [:]
        for relation in snapshot.relations {
            for policy in relation.policies where policy.permissive {
                for role in policy.roles {
                    for command in policy.command.commands {
                        policies[Key(object: relation.name, role: role, command: command), default: []].append(policy.name)
                    }
                }
            }
        }
        return policies.filter { $0.value.count > 1 }.sorted { Key.ordered($0.key, $1.key) }.map { key, names in
            finding(key.object, "\(names.count) permissive policies (\(names.joined(separator: ", "))) for role \(key.role) on \(key.command.sql); each runs for every query: merge them into one")
        }
    }
}
