import Foundation
import KeywayDatabase
import Testing

@Suite("lint rules: the registry and the Migrations article's table")
struct LintRuleTableTests {
    @Test("codes and names are unique, and codes follow the scheme (RLS, POL, FN or COL, then 101 up)")
    func scheme() {
        let rules = Linter.rules.map { type(of: $0) }
        #expect(Set(rules.map { $0.code }).count == rules.count)
        #expect(Set(rules.map { $0.name }).count == rules.count)
        for rule in rules {
            #expect(rule.code.wholeMatch(of: /(RLS|POL|FN|COL)1[0-9][0-9]/) != nil && !rule.code.hasSuffix("100"), "\(rule.code)")
            #expect(rule.name.wholeMatch(of: /[a-z]+(_[a-z]+)*/) != nil, "\(rule.name)")
        }
    }

    @Test("the Migrations article's table lists every rule, in order, with its code, name, level and summary")
    func documented() throws {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("Sources/keyway/Keyway.docc/Migrations.md"), encoding: .utf8)
        let rows = readme.split(separator: "\n").compactMap { line -> [String]? in
            guard let match = line.wholeMatch(of: /\| `([A-Z]+[0-9]+)` \| `([a-z_]+)`[^|]*\| (error|warning) \| ([^|]+) \| [^|]+ \|/) else { return nil }
            return [String(match.1), String(match.2), String(match.3), String(match.4)]
        }
        let rules = Linter.rules.map { type(of: $0) }.map { [$0.code, $0.name, $0.level.rawValue, $0.summary] }
        #expect(rows == rules)
    }
}
