import KeywayDatabase
import Testing

@Suite("lint RLS103 rls_enabled_no_policy, on a real PostgreSQL")
struct RLSEnabledNoPolicyTests {
    let rule = RLSEnabledNoPolicy()

    @Test("code, name and level are stable")
    func identity() {
        #expect(RLSEnabledNoPolicy.code == "RLS103")
        #expect(RLSEnabledNoPolicy.name == "rls_enabled_no_policy")
        #expect(RLSEnabledNoPolicy.level == .warning)
    }

    @Test("RLS on and no policy is a warning, forced or not")
    func fails() async throws {
        let lint = try await LintCase("""
            create table public.notes (id int);
            alter table public.notes enable row level security;
            create table public.audit (id int);
            alter table public.audit enable row level security, force row level security;
            """)
        let message = "row level security is on but no policy exists: nobody but the owner and BYPASSRLS roles can reach rows; add policies or say so in a comment"
        #expect(lint.findings(of: rule) == [
            LintFinding(RLSEnabledNoPolicy.self, object: "public.audit", message: message),
            LintFinding(RLSEnabledNoPolicy.self, object: "public.notes", message: message),
        ])
    }

    @Test("RLS on with a policy, or off (another rule's): no finding")
    func passes() async throws {
        let lint = try await LintCase("""
            create table public.notes (id int);
            alter table public.notes enable row level security;
            create policy notes_read on public.notes for select to authenticated using (true);
            create table public.open (id int);
            """)
        #expect(lint.findings(of: rule) == [])
    }
}
