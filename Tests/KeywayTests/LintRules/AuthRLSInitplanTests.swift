import KeywayDatabase
import Testing

@Suite("lint POL102 auth_rls_initplan, on a real PostgreSQL")
struct AuthRLSInitplanTests {
    let rule = AuthRLSInitplan()

    @Test("code, name and level are stable")
    func identity() {
        #expect(AuthRLSInitplan.code == "POL102")
        #expect(AuthRLSInitplan.name == "auth_rls_initplan")
        #expect(AuthRLSInitplan.level == .warning)
    }

    /// Supabase's auth.uid() and keyway's requesting_owner_id(), as the policies call them.
    static let functions = """
        create schema auth;
        create function auth.uid() returns text language sql stable set search_path = '' as $$ select current_setting('request.jwt.claim.sub', true) $$;
        create function public.requesting_owner_id() returns text language sql stable set search_path = '' as $$ select auth.uid() $$;
        create table public.notes (owner text);
        alter table public.notes enable row level security;
        """

    @Test("a bare call is a warning per call and expression: USING, then WITH CHECK")
    func fails() async throws {
        let lint = try await LintCase(Self.functions + """
            create policy own_read on public.notes for select to authenticated using (owner = auth.uid());
            create policy own_write on public.notes for update to authenticated
              using (owner = public.requesting_owner_id() or owner = auth.uid())
              with check (owner = current_setting('request.jwt.claim.sub', true));
            """)
        #expect(lint.findings(of: rule) == [
            LintFinding(AuthRLSInitplan.self, object: "public.notes",
                        message: "policy own_read calls auth.uid()… once per row; wrap it as (select auth.uid()…) so it runs once per statement"),
            LintFinding(AuthRLSInitplan.self, object: "public.notes",
                        message: "policy own_write calls requesting_owner_id()… once per row; wrap it as (select requesting_owner_id()…) so it runs once per statement"),
            LintFinding(AuthRLSInitplan.self, object: "public.notes",
                        message: "policy own_write calls auth.uid()… once per row; wrap it as (select auth.uid()…) so it runs once per statement"),
            LintFinding(AuthRLSInitplan.self, object: "public.notes",
                        message: "policy own_write calls current_setting(… once per row; wrap it as (select current_setting(…) so it runs once per statement"),
        ])
    }

    @Test("the same calls wrapped in (select …): no finding")
    func passes() async throws {
        let lint = try await LintCase(Self.functions + """
            create policy own_read on public.notes for select to authenticated using (owner = (select auth.uid()));
            create policy own_write on public.notes for update to authenticated
              using (owner = (select public.requesting_owner_id()) or owner = (select auth.uid()))
              with check (owner = (select current_setting('request.jwt.claim.sub', true)));
            """)
        #expect(lint.findings(of: rule) == [])
    }
}
