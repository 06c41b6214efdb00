import KeywayDatabase
import Testing

/// What each rule's tests share: a new database on the tests' PostgreSQL, set up by `sql`,
/// linted as `keyway migrate lint` lints it (every rule runs on one snapshot).
struct LintCase {
    /// Every finding of the run, of all rules.
    var all: [LintFinding]
    /// The snapshot the rules analysed.
    var snapshot: LintSnapshot

    init(_ sql: String, schemas: [String] = ["public"]) async throws {
        let server = try PostgresServer.get()
        let name = try server.createDatabase()
        let setup = server.psql(name, sql)
        try #require(setup.status == 0, "\(setup.output)")
        let database = try await connect(server, name)
        do {
            all = try await Linter(schemas: schemas).run(on: database)
            snapshot = try await LintSnapshot.load(from: database, schemas: schemas)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }

    /// The findings of `rule` in the run, which must be what the rule alone finds in the
    /// snapshot.
    func findings<Rule: LintRule>(of rule: Rule) -> [LintFinding] {
        let found = all.filter { $0.code == Rule.code }
        #expect(rule.findings(in: snapshot) == found, "\(Rule.name) alone finds otherwise than the whole run")
        #expect(found.allSatisfy { $0.rule == Rule.name && $0.level == Rule.level })
        return found
    }
}
