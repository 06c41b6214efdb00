import KeywayDatabase
import Testing

@Suite("lint COL102 tenant_writable_connection_id, on a real PostgreSQL")
struct TenantWritableConnectionIDTests {
    let rule = TenantWritableConnectionID()

    @Test("code, name and level are stable")
    func identity() {
        #expect(TenantWritableConnectionID.code == "COL102")
        #expect(TenantWritableConnectionID.name == "tenant_writable_connection_id")
        #expect(TenantWritableConnectionID.level == .error)
    }

    @Test("a connection id anon or authenticated may insert or update (table or column grant, through PUBLIC too) is an error per column and role")
    func fails() async throws {
        let lint = try await LintCase("""
            create table public.links (owner text, connection_id text);
            alter table public.links enable row level security;
            create policy links_own on public.links for all to authenticated using (owner = current_user) with check (owner = current_user);
            grant select, insert on public.links to authenticated;
            grant update (connection_id) on public.links to anon;
            create table public.accounts (owner text, nango_connection_id text);
            alter table public.accounts enable row level security;
            grant insert, update on public.accounts to public;
            create view public.links_view as select owner, connection_id from public.links;
            grant update on public.links_view to authenticated;
            """)
        let message = { (role: String, privileges: String, column: String, table: String) in
            "\(role) may \(privileges) \(column): a tenant could point its row at another tenant's Nango connection and act with that grant; `revoke insert, update on \(table) from \(role)` and let the server (service_role) write connections"
        }
        #expect(lint.findings(of: rule) == [
            LintFinding(TenantWritableConnectionID.self, object: "public.accounts", message: message("anon", "insert and update", "nango_connection_id", "public.accounts")),
            LintFinding(TenantWritableConnectionID.self, object: "public.accounts", message: message("authenticated", "insert and update", "nango_connection_id", "public.accounts")),
            LintFinding(TenantWritableConnectionID.self, object: "public.links", message: message("anon", "update", "connection_id", "public.links")),
            LintFinding(TenantWritableConnectionID.self, object: "public.links", message: message("authenticated", "insert", "connection_id", "public.links")),
            LintFinding(TenantWritableConnectionID.self, object: "public.links_view", message: message("authenticated", "update", "connection_id", "public.links_view")),
        ])
    }

    @Test("tenants read the connection id and write other columns, the server writes it: no finding")
    func passes() async throws {
        let lint = try await LintCase("""
            create table public.links (owner text, label text, connection_id text);
            alter table public.links enable row level security;
            create policy links_own on public.links for all to authenticated using (owner = current_user) with check (owner = current_user);
            grant select on public.links to anon, authenticated;
            grant insert (owner, label), update (label) on public.links to authenticated;
            grant all on public.links to service_role;
            """)
        #expect(lint.findings(of: rule) == [])
    }
}
