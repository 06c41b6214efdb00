import KeywayDatabase
import Testing

@Suite("lint COL101 sensitive_columns_exposed, on a real PostgreSQL")
struct SensitiveColumnsExposedTests {
    let rule = SensitiveColumnsExposed()

    @Test("code, name and level are stable")
    func identity() {
        #expect(SensitiveColumnsExposed.code == "COL101")
        #expect(SensitiveColumnsExposed.name == "sensitive_columns_exposed")
        #expect(SensitiveColumnsExposed.level == .error)
    }

    @Test("credential-like columns (any ASCII case, `_` and `-` left out, HTTP's credential headers) of a table without RLS, a view or a materialized view are errors")
    func fails() async throws {
        let lint = try await LintCase("""
            create table public.accounts (id int, api_key text, "Refresh_Token" text, email text, "PASSWD" text, privatekey text, "api-key" text, "authorization" text);
            create table public.guarded (id int, client_secret text);
            alter table public.guarded enable row level security;
            create policy guarded_read on public.guarded for select to authenticated using (true);
            create view public.guarded_view as select id, client_secret from public.guarded;
            create materialized view public.keys as select 1 as id, 'x'::text as credentials;
            """)
        let message = { (column: String) in
            "column \(column) looks like a credential and the table is exposed without row level security; enable RLS or move the column out of public"
        }
        #expect(lint.findings(of: rule) == [
            LintFinding(SensitiveColumnsExposed.self, object: "public.accounts", message: message("PASSWD")),
            LintFinding(SensitiveColumnsExposed.self, object: "public.accounts", message: message("Refresh_Token")),
            LintFinding(SensitiveColumnsExposed.self, object: "public.accounts", message: message("api-key")),
            LintFinding(SensitiveColumnsExposed.self, object: "public.accounts", message: message("api_key")),
            LintFinding(SensitiveColumnsExposed.self, object: "public.accounts", message: message("authorization")),
            LintFinding(SensitiveColumnsExposed.self, object: "public.accounts", message: message("privatekey")),
            LintFinding(SensitiveColumnsExposed.self, object: "public.guarded_view", message: message("client_secret")),
            LintFinding(SensitiveColumnsExposed.self, object: "public.keys", message: message("credentials")),
        ])
    }

    @Test("credential columns behind RLS, other columns without it, and letters that only fold to ASCII outside C (the Kelvin sign): no finding")
    func passes() async throws {
        let lint = try await LintCase("""
            create table public.accounts (id int, api_key text, password text);
            alter table public.accounts enable row level security;
            create policy accounts_read on public.accounts for select to authenticated using (true);
            create table public.people (id int, email text, "api_\u{212A}ey" text, old_token text, passport text, bypass text, author text);
            alter table public.people drop column old_token;
            create schema private;
            create table private.secrets (secret text);
            """)
        #expect(lint.findings(of: rule) == [])
    }
}
