import KeywayDatabase
import Testing

@Suite("lint RLS102 policy_exists_rls_disabled, on a real PostgreSQL")
struct PolicyExistsRLSDisabledTests {
    let rule = PolicyExistsRLSDisabled()

    @Test("code, name and level are stable")
    func identity() {
        #expect(PolicyExistsRLSDisabled.code == "RLS102")
        #expect(PolicyExistsRLSDisabled.name == "policy_exists_rls_disabled")
        #expect(PolicyExistsRLSDisabled.level == .error)
    }

    @Test("a table with policies and RLS off is an error, once however many policies; one without policies is not this rule's")
    func fails() async throws {
        let lint = try await LintCase("""
            create table public.notes (owner text);
            create policy notes_read on public.notes for select to authenticated using (true);
            create policy notes_write on public.notes for update to authenticated using (false);
            create table public.bare (id int);
            """)
        #expect(lint.findings(of: rule) == [
            LintFinding(PolicyExistsRLSDisabled.self, object: "public.notes",
                        message: "the table has policies but row level security is off, so they do nothing; enable it"),
        ])
    }

    @Test("the same policies with RLS on: no finding")
    func passes() async throws {
        let lint = try await LintCase("""
            create table public.notes (owner text);
            alter table public.notes enable row level security;
            create policy notes_read on public.notes for select to authenticated using (true);
            create policy notes_write on public.notes for update to authenticated using (false);
            """)
        #expect(lint.findings(of: rule) == [])
    }
}
