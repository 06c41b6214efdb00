import Foundation
import KeywayCore
import KeywayDatabase
import KeywayEmit
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayValidate
import KeywayFiles
import Testing

/// `keyway migrate adopt` on a real PostgreSQL that holds the seed guide's table.
@Suite("Adopting an existing database", .serialized)
struct AdoptTests {
    /// The seed guide's table, as a team that followed it has it, with its own policy.
    static let seed = """
        create table public.integrations (
          id uuid primary key default gen_random_uuid(),
          owner_id uuid not null,
          provider text not null,
          nango_connection_id text not null,
          status text not null default 'active',
          scopes text[] default '{}',
          connected_by uuid,
          connected_at timestamptz default now(),
          expires_at timestamptz,
          metadata jsonb default '{}'
        );
        alter table public.integrations enable row level security;
        create policy "owners" on public.integrations for all to authenticated
          using (owner_id::text = current_setting('request.jwt.claims', true)::jsonb ->> 'sub');
        insert into public.integrations (id, owner_id, provider, nango_connection_id, status, scopes, connected_by, connected_at, expires_at, metadata) values
          ('00000000-0000-0000-0000-00000000000a', '10000000-0000-0000-0000-000000000001', 'gmail', 'n-1', 'active', array['https://www.googleapis.com/auth/gmail.send'], '10000000-0000-0000-0000-000000000001', '2025-01-02T03:04:05Z', '2030-01-01T00:00:00Z', '{"label": "work"}'),
          ('00000000-0000-0000-0000-00000000000b', '10000000-0000-0000-0000-000000000001', 'slack', 'n-2', 'expired', null, null, '2025-02-03T00:00:00Z', null, null),
          ('00000000-0000-0000-0000-00000000000c', '20000000-0000-0000-0000-000000000002', 'google-mail', 'n-3', 'revoked', '{}', null, '2025-03-04T00:00:00Z', null, '[1]');
        """

    func structureWithoutKeyway(_ server: PostgresServer, _ db: String) -> String {
        postgresStructure(server, db) + server.psql(db, "select count(*) from pg_namespace where nspname = 'keyway'").output
            + server.psql(db, "select string_agg(id::text || provider || nango_connection_id, ',' order by id) from public.integrations").output
    }

    @Test("a provider the manifests lack is refused by name, and nothing changes; fixed, every row is adopted")
    func adopt() async throws {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        try #require(server.psql(db, Self.seed + "insert into public.integrations (owner_id, provider, nango_connection_id) values ('30000000-0000-0000-0000-000000000003', 'dropbox', 'n-4'), ('30000000-0000-0000-0000-000000000004', 'dropbox', 'n-5'), ('30000000-0000-0000-0000-000000000003', 'box', 'n-6');").status == 0)
        let before = structureWithoutKeyway(server, db)
        let run = try KeywayRun.run(["migrate", "adopt", "--database", server.urlString(db), "--migrations", PostgresTests.shippedMigrations])
        #expect(run.status == 1)
        #expect(run.stderr == "\(server.location(db)):1:1: error: rows name providers the manifests do not have: box (1 row), dropbox (2 rows); add an integration manifest for each (or delete the rows), run `keyway migrate diff`, then adopt again (nothing was changed)\n1 error, 0 warnings\n")
        #expect(structureWithoutKeyway(server, db) == before, "nothing changed")

        _ = server.psql(db, "delete from public.integrations where provider in ('dropbox', 'box')")
        let adopted = try KeywayRun.run(["migrate", "adopt", "--database", server.urlString(db), "--migrations", PostgresTests.shippedMigrations])
        #expect(adopted.status == 0, "\(adopted.stderr)")
        #expect(adopted.stdout == "applied 0001_initial.sql\napplied 0002_trust_boundary.sql\napplied 0003_calendar_events_scope.sql\napplied 0004_call_log.sql\nkeyway: adopted 3 rows into public.integrations; the old table is kept as keyway.adopted_integrations (not exposed): drop it once you are satisfied\n")
        // Every row, every field, where keyway keeps it ('google-mail' is the Nango provider of one integration: gmail).
        #expect(server.psql(db, """
            select id || '|' || owner_id || '|' || provider_config_key || '|' || connection_id || '|' || status || '|' || array_to_string(granted_scopes, ' ') || '|' ||
                   coalesce(connected_by, '-') || '|' || to_char(created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '|' || coalesce(to_char(expires_at at time zone 'UTC', 'YYYY'), '-') || '|' || metadata::text
            from public.integrations order by id
            """).output == """
            00000000-0000-0000-0000-00000000000a|10000000-0000-0000-0000-000000000001|gmail|n-1|active|https://www.googleapis.com/auth/gmail.send|10000000-0000-0000-0000-000000000001|2025-01-02 03:04:05|2030|{"label": "work"}
            00000000-0000-0000-0000-00000000000b|10000000-0000-0000-0000-000000000001|slack|n-2|expired||-|2025-02-03 00:00:00|-|{}
            00000000-0000-0000-0000-00000000000c|20000000-0000-0000-0000-000000000002|gmail|n-3|revoked||-|2025-03-04 00:00:00|-|{"value": [1]}

            """)
        #expect(server.psql(db, "select string_agg(version, ',' order by version) from keyway.schema_migrations").output == "0001,0002,0003,0004\n")
        #expect(server.psql(db, "select count(*) from keyway.adopted_integrations").output == "3\n")
        // The result is keyway's schema: apply has nothing to do, status is clean, lint finds nothing.
        let status = try KeywayRun.run(["migrate", "status", "--database", server.urlString(db), "--migrations", PostgresTests.shippedMigrations])
        #expect(status.status == 0 && status.stdout.hasPrefix("applied  0001_initial"), "\(status.stdout)")
        let lint = try KeywayRun.run(["migrate", "lint", "--database", server.urlString(db)])
        #expect(lint.status == 0 && lint.stdout == "" && lint.stderr == "", "\(lint.stdout)\(lint.stderr)")
        // A member of the owner's organisation reads the adopted rows; another tenant does not.
        #expect(server.psql(db, #"begin; set local role authenticated; set local request.jwt.claims = '{"sub": "10000000-0000-0000-0000-000000000001"}'; select count(*) from public.integrations; rollback;"#).output == "2\n")
        #expect(server.psql(db, #"begin; set local role authenticated; set local request.jwt.claims = '{"sub": "someone-else"}'; select count(*) from public.integrations; rollback;"#).output == "0\n")
        // Adopting twice is refused.
        let again = try KeywayRun.run(["migrate", "adopt", "--database", server.urlString(db), "--migrations", PostgresTests.shippedMigrations])
        #expect(again.stderr == "\(server.location(db)):1:1: error: the database already has keyway's migration history; use `keyway migrate apply`, not adopt\n1 error, 0 warnings\n")
    }

    @Test("unknown statuses, duplicates and dependent objects are refused by name; nothing changes")
    func refusals() async throws {
        let server = try PostgresServer.get()
        for (extra, message) in [
            ("update public.integrations set status = 'pending' where nango_connection_id = 'n-2'",
             "rows have statuses keyway does not know: pending (1); set each to one of active, needs_reauth, expired, error, revoked, then adopt again (nothing was changed)"),
            ("insert into public.integrations (owner_id, provider, nango_connection_id) values ('10000000-0000-0000-0000-000000000001', 'gmail', 'n-9')",
             "several rows for one owner and provider: 10000000-0000-0000-0000-000000000001/gmail; keep one row each, then adopt again (nothing was changed)"),
            ("insert into public.integrations (owner_id, provider, nango_connection_id) values ('40000000-0000-0000-0000-000000000004', 'gmail', 'n-1')",
             "several rows for one Nango connection: gmail/n-1; keep one row each, then adopt again (nothing was changed)"),
            ("create view public.active_integrations as select * from public.integrations where status = 'active'",
             "other objects depend on public.integrations (pg_rewrite active_integrations); drop them or point them elsewhere first, then adopt (nothing was changed)"),
        ] {
            let db = try server.createDatabase()
            try #require(server.psql(db, Self.seed + extra).status == 0)
            let before = structureWithoutKeyway(server, db)
            let run = try KeywayRun.run(["migrate", "adopt", "--database", server.urlString(db), "--migrations", PostgresTests.shippedMigrations])
            #expect(run.status == 1 && run.stderr == "\(server.location(db)):1:1: error: \(message)\n1 error, 0 warnings\n", "\(run.stderr)")
            #expect(structureWithoutKeyway(server, db) == before)
        }
    }
}
