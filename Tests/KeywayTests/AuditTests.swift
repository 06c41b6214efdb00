import Foundation
import KeywayCore
import KeywayEmit
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayValidate
import KeywayFiles
import Testing

/// A fixture with one scope of each kind: restricted and used, sensitive and unused,
/// and one that no scope catalog knows.
enum AuditFixture {
    static let integration = Fixture.integration.replacing1("      reason: Agents send email\n", """
              reason: Agents send email
            - scope: https://www.googleapis.com/auth/gmail.readonly
              reason: Read mail
            - scope: https://www.googleapis.com/auth/gmail.metadata
              reason: Labels

        """)
    static let connector = Fixture.connector + """
      - name: read_mail
        description: Read mail
        method: GET
        endpoint: /gmail/v1/users/me/messages
        scopes: [https://www.googleapis.com/auth/gmail.send, https://www.googleapis.com/auth/gmail.metadata]

    """
    static let scopes = Fixture.scopes + """
      - scope: https://www.googleapis.com/auth/gmail.readonly
        level: restricted
        description: Read mail

    """

    static func folder() -> TempDir { Fixture.folder(integration: integration, connector: connector, scopes: scopes) }
}

@Suite("The scope audit")
struct AuditTests {
    @Test("flags: unused, unknown, sensitive, restricted; tools per scope; highest level")
    func flags() throws {
        let dir = AuditFixture.folder()
        let catalog = try #require(dir.validate().catalog)
        let audit = ScopeAudit(catalog)
        let scopes = audit.integrations[0].scopes
        #expect(scopes.map(\.scope) == ["https://www.googleapis.com/auth/gmail.send", "https://www.googleapis.com/auth/gmail.readonly", "https://www.googleapis.com/auth/gmail.metadata"])
        #expect(scopes.map(\.flags) == [[.sensitive], [.unused, .restricted], [.unknown]])
        #expect(scopes.map(\.level) == [.sensitive, .restricted, nil])
        #expect(scopes[0].tools == ["mail_read_mail", "mail_send_email"])
        #expect(audit.integrations[0].highestLevel == .restricted)
    }

    @Test("--format json parsed back equals the model; csv and md hold every scope", arguments: ["json", "csv", "md", "text"])
    func formats(_ format: String) throws {
        let dir = AuditFixture.folder()
        let run = try withExtendedLifetime(dir) { try KeywayRun.run(["audit", "--manifests", dir.path, "--format", format]) }
        #expect(run.status == 0, "\(run.stderr)")
        let audit = ScopeAudit(try #require(dir.validate().catalog))
        switch format {
        case "json":
            #expect(try JSONDecoder().decode(ScopeAudit.self, from: Data(run.stdout.utf8)) == audit)
        case "csv":
            let rows = run.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(rows.count == 1 + 3)
            #expect(rows[2] == "mail,google-mail,https://www.googleapis.com/auth/gmail.readonly,restricted,Read mail,,unused restricted")
        default:
            for scope in audit.integrations[0].scopes { #expect(run.stdout.contains(scope.scope)) }
        }
    }

    @Test("CSV cells that a spreadsheet would run are defused")
    func csvInjection() throws {
        let dir = Fixture.folder(integration: Fixture.integration.replacing1("reason: Agents send email", "reason: \"=HYPERLINK(\\\"https://evil\\\", \\\"x\\\")\""))
        let csv = ScopeAudit(try #require(dir.validate().catalog)).csv
        #expect(csv.contains(",\"'=HYPERLINK(\"\"https://evil\"\", \"\"x\"\")\","))
    }

    @Test("each --fail-on gate exits 1 with an error at the scope's line, and 0 when nothing matches", arguments: [
        (["unused"], "13:14: error: --fail-on unused: scope 'https://www.googleapis.com/auth/gmail.readonly' of mail is unused"),
        (["unknown"], "15:14: error: --fail-on unknown: scope 'https://www.googleapis.com/auth/gmail.metadata' of mail is unknown"),
        (["restricted"], "13:14: error: --fail-on restricted: scope 'https://www.googleapis.com/auth/gmail.readonly' of mail is restricted"),
    ])
    func gates(_ gates: [String], _ expected: String) throws {
        let dir = AuditFixture.folder()
        let failing = try withExtendedLifetime(dir) { try KeywayRun.run(["audit", "--manifests", dir.path, "--fail-on"] + gates) }
        #expect(failing.status == 1)
        let errors = failing.stderr.split(separator: "\n").map(String.init).filter { $0.contains(": error: ") }
        #expect(errors == ["\(dir.path)/integrations/mail.yaml:" + expected], "\(failing.stderr)")
        let clean = Fixture.folder()
        let passing = try withExtendedLifetime(clean) { try KeywayRun.run(["audit", "--manifests", clean.path, "--fail-on"] + gates) }
        #expect(passing.status == 0, "\(passing.stderr)")
    }

    @Test("--fail-on added needs a baseline; with one it stops a pull request that adds a scope")
    func addedGate() throws {
        let before = Fixture.folder(), after = AuditFixture.folder(), files = TempDir()
        #expect(try KeywayRun.run(["audit", "--manifests", after.path, "--fail-on", "added"]).status == 2)
        let baseline = try KeywayRun.run(["audit", "--manifests", before.path, "--format", "json"])
        files.write("baseline.json", baseline.stdout)
        let run = try KeywayRun.run(["audit", "--manifests", after.path, "--baseline", files.path + "/baseline.json", "--fail-on", "added"])
        #expect(run.status == 1)
        #expect(run.stderr.split(separator: "\n").map(String.init).filter { $0.contains(": error: ") } == [
            "\(after.path)/integrations/mail.yaml:13:14: error: --fail-on added: scope 'https://www.googleapis.com/auth/gmail.readonly' of mail was added since the baseline",
            "\(after.path)/integrations/mail.yaml:15:14: error: --fail-on added: scope 'https://www.googleapis.com/auth/gmail.metadata' of mail was added since the baseline",
        ], "\(run.stderr)")
        #expect(try KeywayRun.run(["audit", "--manifests", before.path, "--baseline", files.path + "/baseline.json", "--fail-on", "added"]).status == 0)
        withExtendedLifetime((before, after, files)) {}
    }

    @Test("the baseline diff in each direction: added, level raised, tool added; removed")
    func baselineDiff() throws {
        let v1 = Fixture.folder(), v2 = AuditFixture.folder()
        let old = ScopeAudit(try #require(v1.validate().catalog))
        // v2 also raises gmail.send from sensitive to restricted.
        v2.write("scopes/google.yaml", AuditFixture.scopes.replacing1("level: sensitive", "level: restricted"))
        let new = ScopeAudit(try #require(v2.validate().catalog))
        let forward = try #require(new.comparing(with: old).changes)
        #expect(forward.map { "\($0.kind.rawValue) \($0.scope) \($0.from?.rawValue ?? "-") \($0.to?.rawValue ?? "-") \($0.tool ?? "-")" } == [
            "added https://www.googleapis.com/auth/gmail.metadata - - -",
            "added https://www.googleapis.com/auth/gmail.readonly - restricted -",
            "level_raised https://www.googleapis.com/auth/gmail.send sensitive restricted -",
            "tool_added https://www.googleapis.com/auth/gmail.send - - mail_read_mail",
        ])
        let backward = try #require(old.comparing(with: new).changes)
        #expect(backward.map { "\($0.kind.rawValue) \($0.scope)" } == [
            "removed https://www.googleapis.com/auth/gmail.metadata", "removed https://www.googleapis.com/auth/gmail.readonly",
        ])
        #expect(new.comparing(with: new).changes == [])
    }

    @Test("--since GITREF compares with the manifests of an earlier commit")
    func since() throws {
        let repo = TempDir()
        func git(_ arguments: String...) -> Int32 {
            PostgresServer.run("/usr/bin/env", ["git", "-C", repo.path, "-c", "user.name=t", "-c", "user.email=t@example.com"] + arguments).status
        }
        #expect(git("init", "-q") == 0)
        for (path, text) in [("integrations/mail.yaml", Fixture.integration), ("connectors/mail.yaml", Fixture.connector), ("scopes/google.yaml", Fixture.scopes)] {
            repo.write("Manifests/" + path, text)
        }
        #expect(git("add", "-A") == 0 && git("commit", "-qm", "one") == 0)
        repo.write("Manifests/integrations/mail.yaml", AuditFixture.integration)
        repo.write("Manifests/connectors/mail.yaml", AuditFixture.connector)
        repo.write("Manifests/scopes/google.yaml", AuditFixture.scopes)
        #expect(git("commit", "-qam", "two") == 0)
        let run = try KeywayRun.run(["audit", "--manifests", repo.path + "/Manifests", "--since", "HEAD~1", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let audit = try JSONDecoder().decode(ScopeAudit.self, from: Data(run.stdout.utf8))
        #expect(audit.changes?.filter { $0.kind == .added }.map(\.scope) == ["https://www.googleapis.com/auth/gmail.metadata", "https://www.googleapis.com/auth/gmail.readonly"])
        #expect(try KeywayRun.run(["audit", "--manifests", repo.path + "/Manifests", "--since", "HEAD", "--fail-on", "added"]).status == 0)
        #expect(try KeywayRun.run(["audit", "--manifests", repo.path + "/Manifests", "--since", "nope"]).status == 1)
    }
}

/// `keyway audit --calls`: the granted scopes against what the call log shows the tools did.
@Suite("audit --calls: scopes proven by use, from a call log on a real PostgreSQL")
struct AuditCallsTests {
    @Test("each scope gets its tools' calls in the window, when last and how many were refused; unused-in-production and refused are flagged and gate CI")
    func use() async throws {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        _ = try await applyPostgres(MigrationsFolder.files(in: PostgresTests.shippedMigrations), server, db)
        let now = Date()
        let twoDays = now.addingTimeInterval(-2 * 86_400), oneDay = now.addingTimeInterval(-86_400)
        // RFC 3339 in UTC, to the second: what the audit prints.
        func iso(_ d: Date) -> String {
            let f = ISO8601DateFormatter()
            f.timeZone = TimeZone(identifier: "UTC")
            return f.string(from: d)
        }
        func sql(_ d: Date) -> String { "'" + iso(d) + "'" }
        func row(_ tool: String, _ connector: String, _ key: String, _ outcome: String, _ at: String) -> String {
            "('\(tool)', '\(connector)', '\(key)', 'org-a', 'user-a', '\(outcome)', 5, \(at))"
        }
        let seeded = server.psql(db, """
            insert into public.tool_calls (tool, connector_slug, provider_config_key, owner_id, user_id, outcome, latency_ms, called_at) values
            \([
                row("gmail_search_emails", "gmail", "gmail", "ok", sql(twoDays)),
                row("gmail_search_emails", "gmail", "gmail", "ok", sql(oneDay)),
                row("gmail_get_profile", "gmail", "gmail", "upstream_error", sql(twoDays)),
                row("gmail_send_email", "gmail", "gmail", "needs_reauth", sql(twoDays)),
                row("gmail_send_email", "gmail", "gmail", "insufficient_scope", sql(oneDay)),
                row("slack_list_users", "slack", "slack", "ok", "now() - interval '40 days'"),
                row("stripe_list_customers", "stripe", "stripe", "ok", sql(oneDay)),
            ].joined(separator: ",\n"));
            """)
        #expect(seeded.status == 0, "\(seeded.output)")
        let manifests = packageRoot.appendingPathComponent("Manifests").path
        let run = try KeywayRun.run(["audit", "--manifests", manifests, "--calls", server.urlString(db), "--window", "30d", "--format", "csv"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.components(separatedBy: "\r\n")
        #expect(lines.first == "integration,provider,scope,level,reason,tools,flags,calls,last_called,refused")
        // The scopes of the tools called, and of one called before the window only.
        let used = lines.filter { $0.hasPrefix("gmail,") || $0.hasPrefix("stripe,") || $0.hasPrefix("slack,google-mail,") || $0.contains("users:read") }
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).enumerated().filter { [0, 2, 6, 7, 8, 9].contains($0.offset) }.map(\.element).joined(separator: "|") }
        #expect(used == [
            "gmail|https://www.googleapis.com/auth/gmail.send|sensitive refused|2|\(iso(oneDay))|2",
            "gmail|https://www.googleapis.com/auth/gmail.readonly|restricted|3|\(iso(oneDay))|0",
            "slack|users:read|unused-in-production|0||0",
            "stripe|read_only||1|\(iso(oneDay))|0",
        ], "\(run.stdout)")
        // The Markdown report has the same figures, after the scope table.
        let md = try KeywayRun.run(["audit", "--manifests", manifests, "--calls", server.urlString(db), "--window", "30d", "--format", "md"])
        #expect(md.status == 0, "\(md.stderr)")
        let section = md.stdout.components(separatedBy: "\n## Use in the call log ").dropFirst().first ?? ""
        // The window's start is the run's clock less 30 days: within the seconds the run took.
        let heading = section.prefix { $0 != "\n" }
        let start = ISO8601DateFormatter().date(from: String(heading.dropFirst("(the last 30d, since ".count).dropLast(")".count)))
        #expect(heading.hasPrefix("(the last 30d, since ") && start.map { $0.timeIntervalSince(now.addingTimeInterval(-30 * 86_400)) } .map { (-1...120).contains($0) } == true, "\(heading)")
        #expect(section.split(separator: "\n").filter { $0.contains("gmail.send`") || $0.contains("gmail.readonly`") || $0.contains("`users:read`") || $0.contains("`read_only`") }.map(String.init) == [
            "| `gmail` | `https://www.googleapis.com/auth/gmail.send` | 2 | \(iso(oneDay)) | 2 |",
            "| `gmail` | `https://www.googleapis.com/auth/gmail.readonly` | 3 | \(iso(oneDay)) | 0 |",
            "| `slack` | `users:read` | 0 |  | 0 |",
            "| `stripe` | `read_only` | 1 | \(iso(oneDay)) | 0 |",
        ], "\(section)")

        // The gates: an error at each flagged scope's grant.
        let gate = try KeywayRun.run(["audit", "--manifests", manifests, "--calls", server.urlString(db), "--fail-on", "refused"])
        #expect(gate.status == 1)
        #expect(gate.stderr == "\(manifests)/integrations/gmail.yaml:11:14: error: --fail-on refused: scope 'https://www.googleapis.com/auth/gmail.send' of gmail is refused\n1 error, 0 warnings\n")
        let noLog = try KeywayRun.run(["audit", "--manifests", manifests, "--fail-on", "unused-in-production"])
        #expect(noLog.status == 2 && noLog.stderr.hasPrefix("Error: --fail-on unused-in-production and refused need --calls postgres://… (the call log)\n"))
    }
}
