import Foundation
import KeywayConnections
import KeywayCore
import KeywayManifestTools
import KeywayReferenceTools
import KeywayRuntime
import Logging
import PostgresNIO
import Testing

/// The call log (`tool_calls`, table format 3) on a real PostgreSQL: written by a
/// `ToolExecutor`'s recorder as the server, read by tenants under RLS, pruned.
@Suite("Call log: a thousand calls with the database blocked, read as two tenants, pruned", .serialized)
struct CallLogTests {
    /// How long the call log's table stays locked at most (released earlier once every
    /// call has returned): a call that waited on a write would take at least this long.
    static let lockHeld: Double = 60
    /// The bound no call may exceed while the table is locked: half of that. A loopback call
    /// takes milliseconds (a few seconds on a loaded 2-core CI machine beside a build).
    static let bound: Double = 30

    struct Setup {
        let server: PostgresServer
        let db: String
        let client: PostgresClient
        let running: Task<Void, Never>
        let store: ConnectionStore
        let stub: StubNango
    }

    static func setUp() async throws -> Setup {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        _ = try await applyPostgres(MigrationsFolder.files(in: PostgresTests.shippedMigrations), server, db)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let client = PostgresClient(configuration: .init(host: "127.0.0.1", port: server.port, username: "postgres", password: nil, database: db, tls: .disable), backgroundLogger: logger)
        let running = Task { await client.run() }
        let stub = try StubNango()
        stub.onRequest { request in
            if request.query.contains(where: { $0 == ("limit", "500") }) { return StubNango.Reply(status: 500, body: #"{"ok": false, "error": "fatal_error"}"#) }
            return StubNango.Reply(body: RecordedAnswers.body(for: request, fallback: "{}"))
        }
        let store = ConnectionStore(database: client, nango: NangoClient(secretKey: "k", baseURL: stub.baseURL), webhookSigningKey: "", logger: logger)
        return Setup(server: server, db: db, client: client, running: running, store: store, stub: stub)
    }

    /// Holds an exclusive lock on `tool_calls` (every insert waits) until `release()`.
    final class TableLock: @unchecked Sendable {
        let held: Task<Void, Error>
        private let release: AsyncStream<Void>.Continuation

        init(_ client: PostgresClient) async throws {
            let (released, release) = AsyncStream.makeStream(of: Void.self)
            let (locked, lock) = AsyncStream.makeStream(of: Void.self)
            self.release = release
            held = Task {
                try await client.withConnection { connection in
                    _ = try await connection.query("begin", logger: Logger(label: "lock")).collect()
                    _ = try await connection.query("lock table public.tool_calls in access exclusive mode", logger: Logger(label: "lock")).collect()
                    lock.yield()
                    // Released by unlock(), or after lockHeld seconds whatever happens.
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask { for await _ in released { break } }
                        group.addTask { try? await Task.sleep(for: .seconds(CallLogTests.lockHeld)) }
                        await group.next()
                        group.cancelAll()
                    }
                    _ = try await connection.query("rollback", logger: Logger(label: "lock")).collect()
                }
            }
            var iterator = locked.makeAsyncIterator()
            _ = await iterator.next()
        }

        func unlock() async throws {
            release.yield()
            try await held.value
        }
    }

    /// Runs `count` calls, eight at a time, alternating two tenants; each call's seconds.
    static func calls(_ executor: ToolExecutor, count: Int) async -> [Double] {
        let a = Tenant(user: "user-a", organization: "org-a"), b = Tenant(user: "user-b")
        return await withTaskGroup(of: Double.self) { group in
            var seconds: [Double] = []
            for i in 0..<count {
                if i >= 8, let done = await group.next() { seconds.append(done) }
                group.addTask {
                    let started = Date()
                    // Every 100th call (one of B's) fails upstream (500), so the log holds failures too.
                    let limit = i % 100 == 99 ? 500 : 100
                    _ = await executor.execute(tool: "slack_list_users", arguments: Data(#"{"limit": \#(limit)}"#.utf8), tenant: i % 2 == 0 ? a : b)
                    return Date().timeIntervalSince(started)
                }
            }
            for await done in group { seconds.append(done) }
            return seconds
        }
    }

    static func executor(_ setup: Setup, recorder: PostgresCallRecorder) async -> ToolExecutor {
        let resolver = InMemoryConnectionResolver()
        await resolver.set(owner: "org-a", providerConfigKey: "slack", ResolvedConnection(connectionID: "conn-a"))
        await resolver.set(owner: "user-b", providerConfigKey: "slack", ResolvedConnection(connectionID: "conn-b"))
        return ToolExecutor(client: NangoClient(secretKey: "k", baseURL: setup.stub.baseURL), resolver: resolver, registry: AllTools.registry,
                            retry: RetryPolicy(maxRetries: 0), recorder: recorder)
    }

    static func waitUntilWritten(_ recorder: PostgresCallRecorder) async throws {
        let deadline = Date(timeIntervalSinceNow: 120)
        while recorder.pending > 0 {
            guard Date() < deadline else { throw ChildError("the call log still holds \(recorder.pending) records") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test("1,000 calls while tool_calls is locked: none waits on the database (each under the bound), all are written once it is free, and each tenant reads only its own under RLS")
    func underLoad() async throws {
        let setup = try await Self.setUp()
        defer { setup.running.cancel() }
        let recorder = setup.store.callRecorder()
        let writer = Task { await recorder.run() }
        let executor = await Self.executor(setup, recorder: recorder)

        let lock = try await TableLock(setup.client)
        let started = Date()
        let seconds = await Self.calls(executor, count: 1000)
        let elapsed = Date().timeIntervalSince(started)
        // Every call returned while the table was still locked: none waited for a write.
        #expect(recorder.counts == .init(written: 0, dropped: 0, failed: 0))
        #expect(recorder.pending == 1000)
        #expect(seconds.count == 1000)
        #expect(seconds.max()! < Self.bound, "the slowest call took \(seconds.max()!) s (all 1,000 in \(elapsed) s)")
        #expect(setup.stub.requests.count == 1000)
        try await lock.unlock()
        try await Self.waitUntilWritten(recorder)
        recorder.finish()
        await writer.value
        #expect(recorder.counts == .init(written: 1000, dropped: 0, failed: 0))

        // What a row holds, and what each tenant reads under RLS.
        let server = setup.server, db = setup.db
        #expect(server.psql(db, """
            select tool, connector_slug, provider_config_key, connection_id, owner_id, user_id, outcome, coalesce(upstream_status::text, '-'), array_to_string(scopes, ' '), count(*)
            from public.tool_calls group by 1, 2, 3, 4, 5, 6, 7, 8, 9 order by 4, 7
            """).output == """
            slack_list_users|slack|slack|conn-a|org-a|user-a|ok|-|users:read|500
            slack_list_users|slack|slack|conn-b|user-b|user-b|ok|-|users:read|490
            slack_list_users|slack|slack|conn-b|user-b|user-b|upstream_error|500|users:read|10

            """)
        func read(_ claims: String) -> String {
            server.psql(db, """
                begin;
                set local role authenticated;
                set local request.jwt.claims = '\(claims)';
                select owner_id || ' ' || user_id || ' ' || count(*) from public.tool_calls group by owner_id, user_id;
                commit;
                """).output
        }
        #expect(read(#"{"sub": "user-a", "o": {"id": "org-a"}}"#) == "org-a user-a 500\n")
        #expect(read(#"{"sub": "user-b"}"#) == "user-b user-b 500\n")
        #expect(read(#"{"sub": "user-c"}"#) == "")
        #expect(server.psql(db, "begin; set local role authenticated; set local request.jwt.claims = '{\"sub\": \"user-a\"}'; delete from public.tool_calls; commit;").status != 0,
                "a tenant cannot delete its calls")
        #expect(server.psql(db, "select min(latency_ms) >= 0 and max(called_at) <= now() and min(called_at) >= now() - interval '10 minutes' from public.tool_calls").output == "t\n")
    }

    @Test("a queue that fills while the database is blocked drops records, counted, never a call; retention: keyway calls prune --older-than")
    func dropsAndPrune() async throws {
        let setup = try await Self.setUp()
        defer { setup.running.cancel() }
        let recorder = setup.store.callRecorder(capacity: 100, batchSize: 50)
        let writer = Task { await recorder.run() }
        let executor = await Self.executor(setup, recorder: recorder)
        let lock = try await TableLock(setup.client)
        let seconds = await Self.calls(executor, count: 1000)
        #expect(seconds.count == 1000 && seconds.max()! < Self.bound)
        let dropped = recorder.counts.dropped
        // At most the queue (100) and one batch taken before the lock (50) wait; the rest is dropped.
        #expect(dropped >= 850 && dropped + recorder.pending == 1000, "dropped \(dropped), pending \(recorder.pending)")
        try await lock.unlock()
        try await Self.waitUntilWritten(recorder)
        recorder.finish()
        await writer.value
        #expect(recorder.counts == .init(written: 1000 - dropped, dropped: dropped, failed: 0))
        #expect(setup.server.psql(setup.db, "select count(*) from public.tool_calls").output == "\(1000 - dropped)\n")

        // Retention: the calls older than 30 days go, the others stay.
        #expect(setup.server.psql(setup.db, "update public.tool_calls set called_at = now() - interval '31 days' where id in (select id from public.tool_calls order by id limit 20)").status == 0)
        let prune = try KeywayRun.run(["calls", "prune", "--older-than", "30d", "--database", setup.server.urlString(setup.db)])
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(prune.stdout == "keyway: 20 calls older than 30d deleted from postgres://postgres@127.0.0.1:\(setup.server.port)/\(setup.db)?sslmode=disable\n")
        #expect(setup.server.psql(setup.db, "select count(*) from public.tool_calls").output == "\(1000 - dropped - 20)\n")
        let bad = try KeywayRun.run(["calls", "prune", "--older-than", "thirty days", "--database", setup.server.urlString(setup.db)])
        #expect(bad.status == 2 && bad.stderr.hasPrefix("Error: --older-than takes a whole number of days, hours or minutes, like 30d, 12h or 90m, not 'thirty days'\n"))
        // A database that cannot be reached is an error at its URL at once (migrate status's
        // words), not the connection pool's error after a minute of retries; one without
        // keyway's tables gets the database's reason and what to do.
        let unreachable = try KeywayRun.run(["calls", "prune", "--older-than", "30d", "--database", "postgres://postgres@127.0.0.1:1/x?sslmode=disable"])
        #expect(unreachable.status == 1)
        #expect(unreachable.stdout + unreachable.stderr == """
            postgres://postgres@127.0.0.1:1/x:1:1: error: cannot connect to postgres://postgres@127.0.0.1:1/x?sslmode=disable: connectionError (Connection errors: SingleConnectionFailure(target: [IPv4]127.0.0.1/127.0.0.1:1, error: connection reset (error set): Connection refused) (errno: 111)))
            1 error, 0 warnings

            """)
        let empty = try setup.server.createDatabase()
        let unmigrated = try KeywayRun.run(["calls", "prune", "--older-than", "30d", "--database", setup.server.urlString(empty)])
        #expect(unmigrated.status == 1)
        #expect(unmigrated.stdout + unmigrated.stderr == """
            <command line>:1:1: error: cannot prune the call log in \(setup.server.urlString(empty)): the database refused the connection: relation "public.tool_calls" does not exist; run keyway migrate apply there first (table format 3)
            1 error, 0 warnings

            """)
    }

    @Test("log: a tool that opts in keeps its arguments and answer, redacted and capped, written to tool_calls; a tool that does not keeps neither; bad log: entries are errors at their line")
    func optedIn() async throws {
        let setup = try await Self.setUp()
        defer { setup.running.cancel() }
        setup.stub.onRequest { request in
            if request.path.hasSuffix("/big") { return StubNango.Reply(body: #"{"rows": ""# + String(repeating: "x", count: 2000) + #""}"#) }
            if String(decoding: request.body, as: UTF8.self).contains("fail") { return StubNango.Reply(status: 500, body: #"{"error": "down"}"#) }
            if String(decoding: request.body, as: UTF8.self).contains("more scope") { return StubNango.Reply(status: 403, body: #"{"category": "MISSING_SCOPES"}"#) }
            return StubNango.Reply(body: #"{"id": "c1", "owner": {"email": "a@example.com", "api_key": "plain"}, "note": "key sk_live_abcdefgh12345678 inside", "Access-Token": "t", "list": [1, true, null]}"#)
        }
        // The policies come from the manifest, as keyway mcp reads them.
        let connector = Fixture.connector.replacing1("""
                input:
                  to: { type: string, format: email, description: Recipient }
            """, """
                input:
                  to: { type: string, format: email, description: Recipient }
                  password: { type: string, description: The account's password }
                  memo: { type: string, description: A note }
                log: { arguments: true, response: true, max_bytes: 1024 }
              - name: big
                description: A large answer
                method: GET
                endpoint: /big
                scopes: [https://www.googleapis.com/auth/gmail.send]
                log:
                  response: true
                  max_bytes: 256
              - name: quiet
                description: Logs no content
                method: POST
                endpoint: /quiet
                scopes: [https://www.googleapis.com/auth/gmail.send]
                input:
                  memo: { type: string, description: A note }
            """)
        let catalog = try #require(Fixture.folder(connector: connector).validate().catalog)
        let described = ManifestTools.describe(catalog).tools
        #expect(described.map { "\($0.qualifiedName) \($0.callLog)" } == [
            "mail_big CallLogPolicy(arguments: false, response: true, maxBytes: 256)",
            "mail_quiet CallLogPolicy(arguments: false, response: false, maxBytes: 8192)",
            "mail_send_email CallLogPolicy(arguments: true, response: true, maxBytes: 1024)",
        ])
        let resolver = InMemoryConnectionResolver()
        await resolver.set(owner: "org-a", providerConfigKey: "mail", ResolvedConnection(connectionID: "conn-a"))
        let recorder = setup.store.callRecorder()
        let writer = Task { await recorder.run() }
        let executor = ToolExecutor(client: NangoClient(secretKey: "k", baseURL: setup.stub.baseURL), resolver: resolver, registry: ToolRegistry([], described: described),
                                    retry: RetryPolicy(maxRetries: 0), recorder: recorder)
        let tenant = Tenant(user: "user-a", organization: "org-a")
        let send = #"{"to": "b@example.com", "password": "hunter2", "memo": "token xoxb-1234567890-abcdefgh"}"#
        var outcomes: [String] = []
        for (tool, arguments) in [("mail_send_email", send), ("mail_big", "{}"), ("mail_quiet", #"{"memo": "secret plans"}"#),
                                  ("mail_send_email", #"{"to": "b@example.com", "password": "p", "memo": "fail"}"#),
                                  ("mail_send_email", #"{"to": "b@example.com", "password": "p", "memo": "more scope"}"#)] {
            switch await executor.execute(tool: tool, arguments: Data(arguments.utf8), tenant: tenant) {
            case .success: outcomes.append("ok")
            case .failure(let failure): outcomes.append(failure.kind)
            }
        }
        #expect(outcomes == ["ok", "ok", "ok", "upstream_error", "insufficient_scope"])
        try await Self.waitUntilWritten(recorder)
        recorder.finish()
        await writer.value
        #expect(setup.server.psql(setup.db, "select tool, outcome, coalesce(upstream_status::text, '-'), coalesce(arguments::text, '-'), coalesce(response::text, '-') from public.tool_calls order by id").output == """
            mail_send_email|ok|-|{"to": "b@example.com", "memo": "[redacted: a Slack bot token]", "password": "[redacted]"}|{"id": "c1", "list": [1, true, null], "note": "[redacted: a Stripe secret key]", "owner": {"email": "a@example.com", "api_key": "[redacted]"}, "Access-Token": "[redacted]"}
            mail_big|ok|-|-|{"keyway:truncated": {"bytes": 2011, "max_bytes": 256}}
            mail_quiet|ok|-|-|-
            mail_send_email|upstream_error|500|{"to": "b@example.com", "memo": "fail", "password": "[redacted]"}|-
            mail_send_email|insufficient_scope|403|{"to": "b@example.com", "memo": "more scope", "password": "[redacted]"}|-

            """)

        // A log: that keeps nothing, an unknown key, a size out of range, a word for a boolean.
        let bad = Fixture.connector + """
                log: { arguments: yes, responses: true }
              - name: other
                description: Other
                method: GET
                endpoint: /other
                scopes: [https://www.googleapis.com/auth/gmail.send]
                log: { response: false, max_bytes: 100 }
              - name: third
                description: Third
                method: GET
                endpoint: /third
                scopes: [https://www.googleapis.com/auth/gmail.send]
                log: [arguments]

            """
        #expect(Fixture.diagnostics(Fixture.folder(connector: bad)).map(\.formatted) == [
            "connectors/mail.yaml:14:23: error: 'arguments' must be true or false, found 'yes'",
            "connectors/mail.yaml:14:28: error: unknown key 'responses'; did you mean 'response'?",
            "connectors/mail.yaml:20:10: error: 'log' keeps nothing; set arguments: true or response: true, or remove it",
            "connectors/mail.yaml:20:40: error: 'max_bytes' must be a whole number of bytes from 256 to 65536, found '100'",
            "connectors/mail.yaml:26:10: error: 'log' must be a mapping of keys to values, found a list",
        ])
    }
}
