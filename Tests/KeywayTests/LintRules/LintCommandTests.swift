import Foundation
import Testing

@Suite("keyway migrate lint reports each finding with its code, on a real PostgreSQL")
struct LintCommandTests {
    @Test("each finding is a diagnostic at its database object, its code at the end; --format json is the one report; exit 1 on an error")
    func output() throws {
        let server = try PostgresServer.get()
        let database = try server.createDatabase()
        let setup = server.psql(database, """
            create table public.notes (id int);
            create table public.audit (id int);
            alter table public.audit enable row level security;
            """)
        try #require(setup.status == 0, "\(setup.output)")
        let at = server.location(database)
        let notes = "the table is exposed without row level security; `alter table public.notes enable row level security` and add policies [RLS101 rls_disabled_in_public]"
        let audit = "row level security is on but no policy exists: nobody but the owner and BYPASSRLS roles can reach rows; add policies or say so in a comment [RLS103 rls_enabled_no_policy]"
        let text = try KeywayRun.run(["migrate", "lint", "--database", server.urlString(database)])
        #expect(text.status == 1 && text.stdout == "")
        #expect(text.stderr == """
            \(at)/public.audit:1:1: warning: \(audit)
            \(at)/public.notes:1:1: error: \(notes)
            1 error, 1 warning

            """)
        let json = try KeywayRun.run(["migrate", "lint", "--database", server.urlString(database), "--format", "json"])
        #expect(json.status == 1 && json.stderr == "")
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(report?["errors"] as? Int == 1 && report?["warnings"] as? Int == 1)
        #expect((report?["diagnostics"] as? [[String: Any]])?.map { "\($0["file"]!) \($0["line"]!):\($0["column"]!) \($0["severity"]!) \($0["message"]!)" } == [
            "\(at)/public.audit 1:1 warning \(audit)",
            "\(at)/public.notes 1:1 error \(notes)",
        ])
    }
}
