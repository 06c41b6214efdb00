import Foundation
import Testing

@Suite("keyway migrate lint prints each finding's code, on a real PostgreSQL")
struct LintCommandTests {
    @Test("text: LEVEL: OBJECT: MESSAGE [CODE NAME], then the counts; json: the same fields with the code; exit 1 on an error")
    func output() throws {
        let server = try PostgresServer.get()
        let database = try server.createDatabase()
        let setup = server.psql(database, """
            create table public.notes (id int);
            create table public.audit (id int);
            alter table public.audit enable row level security;
            """)
        try #require(setup.status == 0, "\(setup.output)")
        let text = try KeywayRun.run(["migrate", "lint", "--database", server.urlString(database)])
        #expect(text.status == 1, "\(text.stderr)")
        #expect(text.stdout == """
            error: public.notes: the table is exposed without row level security; `alter table public.notes enable row level security` and add policies [RLS101 rls_disabled_in_public]
            warning: public.audit: row level security is on but no policy exists: nobody but the owner and BYPASSRLS roles can reach rows; add policies or say so in a comment [RLS103 rls_enabled_no_policy]
            1 error, 1 warning

            """)
        let json = try KeywayRun.run(["migrate", "lint", "--database", server.urlString(database), "--format", "json"])
        #expect(json.status == 1, "\(json.stderr)")
        let findings = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: String]]
        #expect(findings == [
            ["level": "error", "code": "RLS101", "rule": "rls_disabled_in_public", "object": "public.notes",
             "message": "the table is exposed without row level security; `alter table public.notes enable row level security` and add policies"],
            ["level": "warning", "code": "RLS103", "rule": "rls_enabled_no_policy", "object": "public.audit",
             "message": "row level security is on but no policy exists: nobody but the owner and BYPASSRLS roles can reach rows; add policies or say so in a comment"],
        ])
    }
}
