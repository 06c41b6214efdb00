import KeywayDatabase
import Testing

@Suite("lint POL103 permissive_true_on_write, on a real PostgreSQL")
struct PermissiveTrueOnWriteTests {
    let rule = PermissiveTrueOnWrite()

    @Test("code, name and level are stable")
    func identity() {
        #expect(PermissiveTrueOnWrite.code == "POL103")
        #expect(PermissiveTrueOnWrite.name == "permissive_true_on_write")
        #expect(PermissiveTrueOnWrite.level == .error)
    }

    @Test("true in USING or WITH CHECK of insert, update, delete or all is an error, one per policy")
    func fails() async throws {
        let lint = try await LintCase("""
            create table public.notes (owner text);
            alter table public.notes enable row level security;
            create policy add_any on public.notes for insert to authenticated with check (true);
            create policy change_any on public.notes for update to authenticated using (owner = 'x') with check (true);
            create policy drop_any on public.notes for delete to authenticated using (true);
            create policy everything on public.notes for all to authenticated using (true) with check (true);
            """)
        let message = { (policy: String) in "policy \(policy) allows writes with `true`: any signed-in user may change any row; check the owner instead" }
        #expect(lint.findings(of: rule) == [
            LintFinding(PermissiveTrueOnWrite.self, object: "public.notes", message: message("add_any")),
            LintFinding(PermissiveTrueOnWrite.self, object: "public.notes", message: message("change_any")),
            LintFinding(PermissiveTrueOnWrite.self, object: "public.notes", message: message("drop_any")),
            LintFinding(PermissiveTrueOnWrite.self, object: "public.notes", message: message("everything")),
        ])
    }

    @Test("true on select, and writes that check the owner: no finding")
    func passes() async throws {
        let lint = try await LintCase("""
            create table public.notes (owner text);
            alter table public.notes enable row level security;
            create policy read_all on public.notes for select to authenticated using (true);
            create policy change_own on public.notes for update to authenticated
              using (owner = current_user) with check (owner = current_user);
            """)
        #expect(lint.findings(of: rule) == [])
    }
}
