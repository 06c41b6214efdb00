import KeywayDatabase
import Testing

@Suite("lint RLS101 rls_disabled_in_public, on a real PostgreSQL")
struct RLSDisabledInPublicTests {
    let rule = RLSDisabledInPublic()

    @Test("code, name and level are stable")
    func identity() {
        #expect(RLSDisabledInPublic.code == "RLS101")
        #expect(RLSDisabledInPublic.name == "rls_disabled_in_public")
        #expect(RLSDisabledInPublic.level == .error)
    }

    @Test("tables and partitioned tables of an exposed schema without RLS are errors; views and other schemas are not this rule's")
    func fails() async throws {
        let lint = try await LintCase("""
            create table public.notes (id int);
            create table public.events (id int) partition by range (id);
            create table public.guarded (id int);
            alter table public.guarded enable row level security;
            create policy guarded_read on public.guarded for select to authenticated using (true);
            create view public.notes_view as select id from public.notes;
            create schema private;
            create table private.hidden (id int);
            """)
        #expect(lint.findings(of: rule) == [
            LintFinding(RLSDisabledInPublic.self, object: "public.events",
                        message: "the table is exposed without row level security; `alter table public.events enable row level security` and add policies"),
            LintFinding(RLSDisabledInPublic.self, object: "public.notes",
                        message: "the table is exposed without row level security; `alter table public.notes enable row level security` and add policies"),
        ])
    }

    @Test("every exposed table with RLS on: no finding")
    func passes() async throws {
        let lint = try await LintCase("""
            create table public.notes (id int);
            alter table public.notes enable row level security;
            create policy notes_read on public.notes for select to authenticated using (true);
            create table public.events (id int) partition by range (id);
            alter table public.events enable row level security;
            create schema private;
            create table private.hidden (id int);
            """)
        #expect(lint.findings(of: rule) == [])
    }
}
