import KeywayDatabase
import Testing

@Suite("lint POL101 policy_without_role, on a real PostgreSQL")
struct PolicyWithoutRoleTests {
    let rule = PolicyWithoutRole()

    @Test("code, name and level are stable")
    func identity() {
        #expect(PolicyWithoutRole.code == "POL101")
        #expect(PolicyWithoutRole.name == "policy_without_role")
        #expect(PolicyWithoutRole.level == .warning)
    }

    @Test("a policy without TO is a warning, one per policy, by table then policy name")
    func fails() async throws {
        let lint = try await LintCase("""
            create table public.notes (owner text);
            alter table public.notes enable row level security;
            create policy notes_write on public.notes for update using (false);
            create policy notes_read on public.notes for select using (true);
            create policy notes_own on public.notes for delete to authenticated using (false);
            create table public.docs (owner text);
            alter table public.docs enable row level security;
            create policy docs_read on public.docs for select using (true);
            """)
        #expect(lint.findings(of: rule) == [
            LintFinding(PolicyWithoutRole.self, object: "public.docs",
                        message: "policy docs_read applies to every role (no TO clause); write `to authenticated` (or the role it is for)"),
            LintFinding(PolicyWithoutRole.self, object: "public.notes",
                        message: "policy notes_read applies to every role (no TO clause); write `to authenticated` (or the role it is for)"),
            LintFinding(PolicyWithoutRole.self, object: "public.notes",
                        message: "policy notes_write applies to every role (no TO clause); write `to authenticated` (or the role it is for)"),
        ])
    }

    @Test("policies for named roles: no finding")
    func passes() async throws {
        let lint = try await LintCase("""
            create table public.notes (owner text);
            alter table public.notes enable row level security;
            create policy notes_read on public.notes for select to anon, authenticated using (true);
            create policy notes_write on public.notes for update to authenticated using (false);
            """)
        #expect(lint.findings(of: rule) == [])
    }
}
