import Foundation
import KeywayCore
import Testing

/// `keyway tools diff`: every class of change to the tool contract, breaking or not,
/// between two manifest versions in a real git history, and against a baseline file.
@Suite("tools diff: breaking changes to the tool contract")
struct ToolsDiffTests {
    static let before = """
        slug: notes
        name: Notes
        description: A connector written for this test
        nango:
          provider_key: slack
        tools:
          - name: list_notes
            description: List notes
            method: GET
            endpoint: /notes
            scopes: [channels:read]
            input:
              limit: { type: integer, optional: true, minimum: 1, maximum: 100 }
              status: { type: string, optional: true, enum: [open, closed, archived] }
              cursor: { type: string, optional: true }
              query: { type: string, optional: true, max_length: 200 }
          - name: old_tool
            description: Old
            method: GET
            endpoint: /old
            scopes: [channels:read]
          - name: create_note
            description: Create a note
            method: POST
            endpoint: /notes
            scopes: [chat:write]
            input:
              text: { type: string, max_length: 1000 }
              title: { type: string, optional: true }
              count: { type: integer, optional: true }

        """
    static let after = """
        slug: notes
        name: Notes
        description: A connector written for this test
        nango:
          provider_key: slack
        tools:
          - name: list_notes
            description: List notes
            method: GET
            endpoint: /notes
            scopes: [channels:read, users:read]
            input:
              limit: { type: integer, optional: true, minimum: 5, maximum: 200 }
              status: { type: string, optional: true, enum: [open, closed, draft] }
              query: { type: string, max_length: 100, pattern: "^[a-z ]+$" }
              page: { type: integer, optional: true }
          - name: new_tool
            description: Old, renamed
            method: GET
            endpoint: /old
            scopes: [channels:read]
          - name: create_note
            description: Create a note
            method: POST
            endpoint: /notes
            scopes: [chat:write]
            input:
              text: { type: string, max_length: 2000 }
              title: { type: string }
              count: { type: number, optional: true }
              folder: { type: string }

        """
    static let changes = [
        "breaking notes_create_note: input 'count': type changed from 'integer' to 'number'",
        "breaking notes_create_note: required input 'folder' added: a call without it is refused",
        "ok       notes_create_note: input 'text': maxLength raised from 1000 to 2000",
        "breaking notes_create_note: input 'title' was made required",
        "breaking notes_list_notes: scope 'users:read' added: users who connected before must consent again",
        "breaking notes_list_notes: input 'cursor' removed: a call that sends it is refused",
        "ok       notes_list_notes: input 'limit': maximum raised from 100 to 200",
        "breaking notes_list_notes: input 'limit': minimum raised from 1 to 5",
        "ok       notes_list_notes: optional input 'page' added",
        "breaking notes_list_notes: input 'query' was made required",
        "breaking notes_list_notes: input 'query': maxLength lowered from 200 to 100",
        #"breaking notes_list_notes: input 'query': pattern added: '^[a-z ]+$'"#,
        "breaking notes_list_notes: input 'status': enum value 'archived' removed",
        "ok       notes_list_notes: input 'status': enum value 'draft' added",
        "ok       notes_new_tool: tool added",
        "breaking notes_old_tool: tool removed (or renamed): agents and apps that call it fail",
    ]

    /// A git repository of the shipped manifests plus `notes.yaml` as `before` (commit one),
    /// then as `after` (commit two); `between` runs after the first commit.
    static func twoCommits(_ before: String, _ after: String, between: (TempDir) throws -> Void = { _ in }) throws -> (repo: TempDir, manifests: String) {
        let repo = TempDir()
        func git(_ arguments: String...) -> Int32 {
            PostgresServer.run("/usr/bin/env", ["git", "-C", repo.path, "-c", "user.name=t", "-c", "user.email=t@example.com"] + arguments).status
        }
        try FileManager.default.copyItem(atPath: packageRoot.appendingPathComponent("Manifests").path, toPath: repo.path + "/Manifests")
        repo.write("Manifests/connectors/notes.yaml", before)
        #expect(git("init", "-q") == 0 && git("add", "-A") == 0 && git("commit", "-qm", "one") == 0)
        try between(repo)
        repo.write("Manifests/connectors/notes.yaml", after)
        #expect(git("commit", "-qam", "two") == 0)
        return (repo, repo.path + "/Manifests")
    }

    @Test("--since: each class of change between two commits, classed; --fail-on breaking exits 1 with an error at each; --baseline compares with a tools JSON")
    func history() async throws {
        let (repo, manifests) = try Self.twoCommits(Self.before, Self.after) { repo in
            let baseline = try KeywayRun.run(["tools", "--manifests", repo.path + "/Manifests"])
            #expect(baseline.status == 0)
            repo.write("baseline.json", baseline.stdout)
        }
        defer { withExtendedLifetime(repo) {} }

        let since = try KeywayRun.run(["tools", "diff", "--manifests", manifests, "--since", "HEAD~1"])
        #expect(since.status == 0, "\(since.stderr)")
        #expect(since.stdout == Self.changes.map { $0 + "\n" }.joined() + "keyway: 16 changes to the tool contract, 11 breaking\n")
        #expect(since.stderr == "")

        // Against the tools JSON of the first commit: the same, but for scopes (not in it).
        let file = try KeywayRun.run(["tools", "diff", "--manifests", manifests, "--baseline", repo.path + "/baseline.json"])
        #expect(file.status == 0)
        #expect(file.stdout == Self.changes.filter { !$0.contains("scope") }.map { $0 + "\n" }.joined() + "keyway: 15 changes to the tool contract, 10 breaking\n")

        // CI: an error per breaking change, at the input's line when it still exists.
        let gate = try KeywayRun.run(["tools", "diff", "--manifests", manifests, "--since", "HEAD~1", "--fail-on", "breaking"])
        #expect(gate.status == 1)
        let notes = manifests + "/connectors/notes.yaml"
        #expect(gate.stderr == """
            \(notes):7:11: error: --fail-on breaking: notes_list_notes: input 'cursor' removed: a call that sends it is refused
            \(notes):11:29: error: --fail-on breaking: notes_list_notes: scope 'users:read' added: users who connected before must consent again
            \(notes):13:7: error: --fail-on breaking: notes_list_notes: input 'limit': minimum raised from 1 to 5
            \(notes):14:7: error: --fail-on breaking: notes_list_notes: input 'status': enum value 'archived' removed
            \(notes):15:7: error: --fail-on breaking: notes_list_notes: input 'query' was made required
            \(notes):15:7: error: --fail-on breaking: notes_list_notes: input 'query': maxLength lowered from 200 to 100
            \(notes):15:7: error: --fail-on breaking: notes_list_notes: input 'query': pattern added: '^[a-z ]+$'
            \(notes):29:7: error: --fail-on breaking: notes_create_note: input 'title' was made required
            \(notes):30:7: error: --fail-on breaking: notes_create_note: input 'count': type changed from 'integer' to 'number'
            \(notes):31:7: error: --fail-on breaking: notes_create_note: required input 'folder' added: a call without it is refused
            <command line>:1:1: error: --fail-on breaking: notes_old_tool: tool removed (or renamed): agents and apps that call it fail
            11 errors, 0 warnings

            """)
        // With keyway's database: the live connections the tool runs on that lack the added
        // scope (the owners' connections to slack, the users' own to notes), by id; revoked
        // ones and those already granted it are not named.
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        _ = try await applyPostgres(MigrationsFolder.files(in: PostgresTests.shippedMigrations), server, db)
        let seeded = server.psql(db, """
            insert into public.connectors (slug, name, provider_config_key, multiple_connections) values ('notes', 'Notes', 'slack', false);
            insert into public.integrations (owner_id, provider_config_key, connection_id, status, granted_scopes) values
              ('org-a', 'slack', 'conn-org-a', 'active', '{channels:read,chat:write}'),
              ('org-b', 'slack', 'conn-org-b', 'active', '{channels:read,users:read}'),
              ('org-c', 'slack', 'conn-org-c', 'revoked', '{channels:read}');
            insert into public.connector_connections (owner_id, user_id, connector_slug, provider_config_key, connection_id, status, granted_scopes) values
              ('org-a', 'user-1', 'notes', 'slack', 'conn-user-1', 'needs_reauth', '{channels:read}'),
              ('user-2', 'user-2', 'notes', 'slack', 'conn-user-2', 'active', '{users:read,channels:read}');
            """)
        #expect(seeded.status == 0, "\(seeded.output)")
        let named = try KeywayRun.run(["tools", "diff", "--manifests", manifests, "--since", "HEAD~1", "--database", server.urlString(db)])
        #expect(named.status == 0, "\(named.stderr)")
        let scopeLine = "breaking notes_list_notes: scope 'users:read' added: users who connected before must consent again"
        #expect(named.stdout == Self.changes.map { $0 == scopeLine ? $0 + "\n         2 connections must consent again: conn-org-a (owner org-a), conn-user-1 (user user-1 of owner org-a, needs_reauth)\n" : $0 + "\n" }.joined()
                + "keyway: 16 changes to the tool contract, 11 breaking\n")
        let withBaseline = try KeywayRun.run(["tools", "diff", "--manifests", manifests, "--baseline", repo.path + "/baseline.json", "--database", server.urlString(db)])
        #expect(withBaseline.status == 2 && withBaseline.stderr.hasPrefix("Error: --database needs --since: scopes are compared between manifests only\n"))

        // Nothing changed since HEAD: no change, exit 0 even with the gate.
        let same = try KeywayRun.run(["tools", "diff", "--manifests", manifests, "--since", "HEAD", "--fail-on", "breaking"])
        #expect(same.status == 0 && same.stdout == "keyway: 0 changes to the tool contract, 0 breaking\n")
        let bad = try KeywayRun.run(["tools", "diff", "--manifests", manifests])
        #expect(bad.status == 2 && bad.stderr.hasPrefix("Error: pass one of --since GITREF or --baseline FILE\n"))
    }

    static let outputsBefore = """
        slug: notes
        name: Notes
        nango:
          provider_key: slack
        tools:
          - name: get_note
            description: Get a note
            method: GET
            endpoint: /notes/{id}
            scopes: [channels:read]
            input:
              id: { type: string }
            output:
              id: { type: string }
              title: { type: string }
              body: { type: string, optional: true }
              size: { type: integer }
              state: { type: string, enum: [open, closed] }
              author: { type: object, properties: { name: { type: string }, email: { type: string, nullable: true } } }
              tags: { type: array, items: { type: string } }
              legacy: { type: string }
          - name: list_notes
            description: List notes
            method: GET
            endpoint: /notes
            scopes: [channels:read]
            output:
              notes: { type: array, items: { type: object, properties: { id: { type: string } } } }
          - name: count_notes
            description: Count notes
            method: GET
            endpoint: /notes/count
            scopes: [channels:read]

        """
    static let outputsAfter = """
        slug: notes
        name: Notes
        nango:
          provider_key: slack
        tools:
          - name: get_note
            description: Get a note
            method: GET
            endpoint: /notes/{id}
            scopes: [channels:read]
            input:
              id: { type: string }
            output:
              id: { type: string }
              title: { type: string, optional: true }
              body: { type: string }
              size: { type: number }
              state: { type: string, enum: [open, closed, archived] }
              author: { type: object, properties: { name: { type: string, nullable: true }, email: { type: string } } }
              tags: { type: array, items: { type: integer } }
              url: { type: string }
          - name: list_notes
            description: List notes
            method: GET
            endpoint: /notes
            scopes: [channels:read]
          - name: count_notes
            description: Count notes
            method: GET
            endpoint: /notes/count
            scopes: [channels:read]
            output:
              count: { type: integer }

        """

    @Test("--since on outputs: what readers of the answer rely on, classed the other way round from inputs; --fail-on breaking points at the output field")
    func outputs() throws {
        let (repo, manifests) = try Self.twoCommits(Self.outputsBefore, Self.outputsAfter)
        defer { withExtendedLifetime(repo) {} }
        let since = try KeywayRun.run(["tools", "diff", "--manifests", manifests, "--since", "HEAD~1"])
        #expect(since.status == 0, "\(since.stderr)")
        #expect(since.stdout == """
            ok       notes_count_notes: output declared
            ok       notes_get_note: output field 'author.email' is no longer null
            breaking notes_get_note: output field 'author.name' may now be null
            ok       notes_get_note: output field 'body' is now always present
            breaking notes_get_note: output field 'legacy' removed: apps that read it fail
            breaking notes_get_note: output field 'size' type changed from 'integer' to 'number'
            breaking notes_get_note: output field 'state' enum value 'archived' added: apps that handle each value miss it
            breaking notes_get_note: output field 'tags[]' type changed from 'string' to 'integer'
            breaking notes_get_note: output field 'title' may now be absent
            ok       notes_get_note: output field 'url' added
            breaking notes_list_notes: output no longer declared: apps that decode it fail
            keyway: 11 changes to the tool contract, 7 breaking

            """)
        let gate = try KeywayRun.run(["tools", "diff", "--manifests", manifests, "--since", "HEAD~1", "--fail-on", "breaking"])
        #expect(gate.status == 1)
        let notes = manifests + "/connectors/notes.yaml"
        #expect(gate.stderr == """
            \(notes):13:5: error: --fail-on breaking: notes_get_note: output field 'legacy' removed: apps that read it fail
            \(notes):15:7: error: --fail-on breaking: notes_get_note: output field 'title' may now be absent
            \(notes):17:7: error: --fail-on breaking: notes_get_note: output field 'size' type changed from 'integer' to 'number'
            \(notes):18:7: error: --fail-on breaking: notes_get_note: output field 'state' enum value 'archived' added: apps that handle each value miss it
            \(notes):19:7: error: --fail-on breaking: notes_get_note: output field 'author.name' may now be null
            \(notes):20:7: error: --fail-on breaking: notes_get_note: output field 'tags[]' type changed from 'string' to 'integer'
            \(notes):22:11: error: --fail-on breaking: notes_list_notes: output no longer declared: apps that decode it fail
            7 errors, 0 warnings

            """)
    }
}
