import KeywayDatabase
import Testing

@Suite("lint POL104 multiple_permissive_policies, on a real PostgreSQL")
struct MultiplePermissivePoliciesTests {
    let rule = MultiplePermissivePolicies()

    @Test("code, name and level are stable")
    func identity() {
        #expect(MultiplePermissivePolicies.code == "POL104")
        #expect(MultiplePermissivePolicies.name == "multiple_permissive_policies")
        #expect(MultiplePermissivePolicies.level == .warning)
    }

    @Test("two or more permissive policies for one table, role and command (all counts for each) are a warning; restrictive ones do not count")
    func fails() async throws {
        let lint = try await LintCase("""
            create table public.docs (owner text, shared bool);
            alter table public.docs enable row level security;
            create policy read_own on public.docs for select to authenticated using (owner = current_user);
            create policy read_shared on public.docs for select to anon, authenticated using (shared);
            create policy manage on public.docs for all to authenticated using (owner = current_user) with check (owner = current_user);
            create policy edit_any on public.docs for update to authenticated using (shared);
            create policy tenant on public.docs as restrictive for select to authenticated using (owner is not null);
            """)
        #expect(lint.findings(of: rule) == [
            LintFinding(MultiplePermissivePolicies.self, object: "public.docs",
                        message: "3 permissive policies (manage, read_own, read_shared) for role authenticated on select; each runs for every query: merge them into one"),
            LintFinding(MultiplePermissivePolicies.self, object: "public.docs",
                        message: "2 permissive policies (edit_any, manage) for role authenticated on update; each runs for every query: merge them into one"),
        ])
    }

    @Test("one permissive policy a role and command, whatever the restrictive ones: no finding")
    func passes() async throws {
        let lint = try await LintCase("""
            create table public.docs (owner text, shared bool);
            alter table public.docs enable row level security;
            create policy read on public.docs for select to authenticated using (owner = current_user or shared);
            create policy read_shared on public.docs for select to anon using (shared);
            create policy edit on public.docs for update to authenticated using (owner = current_user) with check (owner = current_user);
            create policy tenant on public.docs as restrictive for all to authenticated using (owner is not null);
            """)
        #expect(lint.findings(of: rule) == [])
    }

    @Test("on a snapshot: ordered by table (docs before docs_archive), role, then the catalog's letter of the command (insert, delete, select, update)")
    func order() {
        let both = [LintSnapshot.Policy("a", command: .all, roles: ["authenticated"]), LintSnapshot.Policy("b", command: .all, roles: ["authenticated"])]
        let snapshot = LintSnapshot(relations: [
            .init(QualifiedName("public", "docs"), rowSecurity: true, policies: both),
            .init(QualifiedName("public", "docs_archive"), rowSecurity: true, policies: [
                .init("z", command: .select, roles: ["anon", "authenticated"]),
                .init("y", command: .select, roles: ["authenticated", "anon"]),
            ]),
        ])
        #expect(rule.findings(in: snapshot).map { "\($0.object) \($0.message)" } == ["insert", "delete", "select", "update"].map {
            "public.docs 2 permissive policies (a, b) for role authenticated on \($0); each runs for every query: merge them into one"
        } + ["anon", "authenticated"].map {
            "public.docs_archive 2 permissive policies (z, y) for role \($0) on select; each runs for every query: merge them into one"
        })
    }
}
