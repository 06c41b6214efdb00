import Foundation
import KeywayCore
import KeywayEmit
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayValidate
import KeywayFiles
import Testing

/// One rule broken in one fixture file: where the error must appear and what it says.
struct RuleCase: CustomTestStringConvertible, Sendable {
    var name: String
    var integration: String = Fixture.integration
    var connector: String = Fixture.connector
    var scopes: String = Fixture.scopes
    var position: String
    var message: String
    var testDescription: String { name }
}

@Suite("Validation rules")
struct ValidationTests {
    @Test("the fixture manifests are clean: no error, no warning")
    func fixtureIsClean() {
        #expect(Fixture.diagnostics(Fixture.folder()) == [])
    }

    @Test("the shipped manifests are clean")
    func shippedManifestsAreClean() {
        let result = Pipeline.validate(manifests: packageRoot.appendingPathComponent("Manifests").path)
        #expect(result.diagnostics.map(\.formatted) == [])
        #expect(result.catalog?.integrations.map(\.key) == ["gmail", "google-calendar", "hubspot", "linear", "notion", "slack", "stripe"])
    }

    static let i = Fixture.integration, c = Fixture.connector, s = Fixture.scopes

    static let cases: [RuleCase] = [
        // Unknown keys and types
        RuleCase(name: "unknown key with did-you-mean", connector: c.replacing1("    scopes: [", "    scoeps: ["),
                 position: "connectors/mail.yaml:11:5: error", message: "unknown key 'scoeps'; did you mean 'scopes'?"),
        RuleCase(name: "unknown key without suggestion", integration: i.replacing1("name: Mail", "name: Mail\nzzzzzzzz: 1"),
                 position: "integrations/mail.yaml:4:1: error", message: "unknown key 'zzzzzzzz' in an integration manifest; allowed keys:"),
        RuleCase(name: "wrong type: scopes: 5", integration: i.replacing1("  scopes:\n    - scope: https://www.googleapis.com/auth/gmail.send\n      reason: Agents send email\n", "  scopes: 5\n"),
                 position: "integrations/mail.yaml:10:11: error", message: "'scopes' must be a list, found '5'"),
        RuleCase(name: "missing required key", integration: i.replacing1("provider: google-mail\n", ""),
                 position: "integrations/mail.yaml:1:1: error", message: "the integration is missing the required key 'provider'"),
        RuleCase(name: "a boolean must be true or false", connector: c.replacing1("multiple_connections: true", "multiple_connections: yes"),
                 position: "connectors/mail.yaml:5:23: error", message: "'multiple_connections' must be true or false, found 'yes'"),
        // Keys and slugs
        RuleCase(name: "key format", integration: i.replacing1("key: mail", "key: Mail_1"),
                 position: "integrations/mail.yaml:1:6: error", message: "'key' must match ^[a-z0-9][a-z0-9-]*$"),
        RuleCase(name: "path traversal in a key", integration: i.replacing1("key: mail", "key: ../../evil"),
                 position: "integrations/mail.yaml:1:6: error", message: "'key' must match"),
        RuleCase(name: "slug format", connector: c.replacing1("slug: mail", "slug: -mail"),
                 position: "connectors/mail.yaml:1:7: error", message: "'slug' must match"),
        RuleCase(name: "file named differently from its key", integration: i.replacing1("key: mail", "key: post"),
                 position: "integrations/mail.yaml:1:6: warning", message: "rename the file to post.yaml"),
        // References and scopes
        RuleCase(name: "provider_key names an integration", connector: c.replacing1("provider_key: mail", "provider_key: mial"),
                 position: "connectors/mail.yaml:4:17: error", message: "names no integration; did you mean 'mail'?"),
        RuleCase(name: "tool scope granted by its integration, error at the scope's line",
                 connector: c.replacing1("scopes: [https://www.googleapis.com/auth/gmail.send]", "scopes: [https://www.googleapis.com/auth/gmail.send, https://www.googleapis.com/auth/gmail.modify]"),
                 position: "connectors/mail.yaml:11:58: error", message: "needs scope 'https://www.googleapis.com/auth/gmail.modify', which integration 'mail' does not grant"),
        RuleCase(name: "unused granted scope is a warning",
                 integration: i.replacing1("      reason: Agents send email\n", "      reason: Agents send email\n    - scope: https://www.googleapis.com/auth/gmail.readonly\n      reason: Read\n"),
                 position: "integrations/mail.yaml:13:14: warning", message: "granted but no tool uses it"),
        RuleCase(name: "a scope needs a reason", integration: i.replacing1("    - scope: https://www.googleapis.com/auth/gmail.send\n      reason: Agents send email\n", "    - https://www.googleapis.com/auth/gmail.send\n"),
                 position: "integrations/mail.yaml:11:7: error", message: "each scope needs a reason"),
        RuleCase(name: "a scope granted twice",
                 integration: i.replacing1("      reason: Agents send email\n", "      reason: Agents send email\n    - scope: https://www.googleapis.com/auth/gmail.send\n      reason: again\n"),
                 position: "integrations/mail.yaml:13:14: error", message: "is granted twice (first at line 11)"),
        // Tools
        RuleCase(name: "HTTP method", connector: c.replacing1("method: POST", "method: FETCH"),
                 position: "connectors/mail.yaml:9:13: error", message: "'method' cannot be 'FETCH'; did you mean 'PATCH'?"),
        RuleCase(name: "endpoint starts with /", connector: c.replacing1("endpoint: /gmail", "endpoint: gmail"),
                 position: "connectors/mail.yaml:10:15: error", message: "the endpoint must start with '/'"),
        RuleCase(name: "endpoint has no query string", connector: c.replacing1("messages/send", "messages/send?x=1"),
                 position: "connectors/mail.yaml:10:15: error", message: "declare query parameters as inputs"),
        RuleCase(name: "endpoint placeholder needs an input", connector: c.replacing1("messages/send", "messages/{id}/send"),
                 position: "connectors/mail.yaml:10:15: error", message: "names '{id}' but no input of that name exists"),
        RuleCase(name: "path input must be in the endpoint", connector: c.replacing1("format: email, description: Recipient", "format: email, in: path, description: Recipient"),
                 position: "connectors/mail.yaml:13:46: error", message: "goes in the path, but the endpoint has no '{to}'"),
        RuleCase(name: "GET carries no body", connector: c.replacing1("method: POST", "method: GET").replacing1("format: email, description", "format: email, in: body, description"),
                 position: "connectors/mail.yaml:13:46: error", message: "a GET request has no body"),
        RuleCase(name: "tool names unique per connector",
                 connector: c + "  - name: send_email\n    description: again\n    method: GET\n    endpoint: /x\n",
                 position: "connectors/mail.yaml:14:11: error", message: "tool 'send_email' is defined twice in this connector (first at line 7)"),
        RuleCase(name: "tool names map to distinct Swift identifiers",
                 connector: c + "  - name: sendEmail\n    description: again\n    method: GET\n    endpoint: /x\n",
                 position: "connectors/mail.yaml:14:11: error", message: "tools 'sendEmail' and 'send_email' (line 7) both become the Swift type 'SendEmail'"),
        RuleCase(name: "the model-facing name fits model APIs (64 characters)", connector: c.replacing1("name: send_email", "name: " + String(repeating: "s", count: 60)),
                 position: "connectors/mail.yaml:7:11: error", message: "is longer than 64 characters"),
        RuleCase(name: "nested properties map to distinct Swift names",
                 connector: c.replacing1("to: { type: string, format: email, description: Recipient }", "to:\n        type: object\n        properties:\n          a_b: { type: string }\n          aB: { type: string }"),
                 position: "connectors/mail.yaml:13:7: error", message: "inputs 'aB' and 'a_b' of 'to' both become the Swift property 'aB'"),
        RuleCase(name: "inputs map to distinct Swift names, reported at the second",
                 connector: c.replacing1("to: { type: string, format: email, description: Recipient }", "to: { type: string, format: email, description: Recipient }\n      a-b: { type: string }\n      A_B: { type: string }"),
                 position: "connectors/mail.yaml:15:7: error", message: "inputs 'A_B' and 'a-b' of tool 'send_email' both become the Swift property 'aB'"),
        RuleCase(name: "tool name format", connector: c.replacing1("name: send_email", "name: send email"),
                 position: "connectors/mail.yaml:7:11: error", message: "tool names must match"),
        RuleCase(name: "input type", connector: c.replacing1("type: string, format: email", "type: strnig"),
                 position: "connectors/mail.yaml:13:19: error", message: "unknown input type 'strnig'; did you mean 'string'?"),
        RuleCase(name: "enum values typed", connector: c.replacing1("to: { type: string, format: email, description: Recipient }", "n: { type: integer, optional: true, enum: [1, two] }"),
                 position: "connectors/mail.yaml:13:53: error", message: "each value of 'enum' must be an integer, found 'two'"),
        RuleCase(name: "default in enum", connector: c.replacing1("to: { type: string, format: email, description: Recipient }", "n: { type: integer, optional: true, enum: [1, 2], default: 3 }"),
                 position: "connectors/mail.yaml:13:66: error", message: "the default is not one of the 'enum' values"),
        RuleCase(name: "endpoint without empty segments", connector: c.replacing1("endpoint: /gmail", "endpoint: //evil.example.com/gmail"),
                 position: "connectors/mail.yaml:10:15: error", message: "must not contain '//'"),
        RuleCase(name: "endpoint without encoded dots", connector: c.replacing1("messages/send", "messages/%2E%2E/send"),
                 position: "connectors/mail.yaml:10:15: error", message: "encoded dots or slashes"),
        // Redirect URIs
        RuleCase(name: "redirect URI absolute", integration: i.replacing1("production: https://api.nango.dev/oauth/callback", "production: /oauth/callback"),
                 position: "integrations/mail.yaml:14:17: error", message: "must be absolute"),
        RuleCase(name: "redirect URI without wildcard", integration: i.replacing1("production: https://api.nango.dev/oauth/callback", "production: https://*.nango.dev/oauth/callback"),
                 position: "integrations/mail.yaml:14:17: error", message: "wildcards are not allowed"),
        RuleCase(name: "redirect URI without fragment", integration: i.replacing1("production: https://api.nango.dev/oauth/callback", "production: https://api.nango.dev/oauth/callback#x"),
                 position: "integrations/mail.yaml:14:17: error", message: "must not have a fragment"),
        RuleCase(name: "https in production", integration: i.replacing1("production: https://api.nango.dev/oauth/callback", "production: http://localhost:3003/oauth/callback"),
                 position: "integrations/mail.yaml:14:17: error", message: "production redirect URIs must use https"),
        RuleCase(name: "http only for loopback elsewhere", integration: i.replacing1("development: http://localhost:3003", "development: http://dev.example.com"),
                 position: "integrations/mail.yaml:15:18: error", message: "http is allowed only for loopback hosts"),
        RuleCase(name: "oauth2 needs a production redirect URI", integration: i.replacing1("    production: https://api.nango.dev/oauth/callback\n", ""),
                 position: "integrations/mail.yaml:13:3: error", message: "needs redirect_uris with a 'production' entry"),
        RuleCase(name: "an empty redirect_uris is no production URI", integration: i.replacing1("    production: https://api.nango.dev/oauth/callback\n    development: http://localhost:3003/oauth/callback\n", ""),
                 position: "integrations/mail.yaml:13:3: error", message: "needs redirect_uris with a 'production' entry"),
        // Secrets
        RuleCase(name: "a secret names an environment variable, and is not echoed",
                 integration: i.replacing1("client_secret: MAIL_CLIENT_SECRET", "client_secret: hunter2-is-my-password"),
                 position: "integrations/mail.yaml:18:20: error", message: "secrets.client_secret must name an environment variable"),
        RuleCase(name: "a credential anywhere is an error",
                 integration: i.replacing1("description: Send and read emails", "description: use xoxb-1234567890-abcdefghij to test"),
                 position: "integrations/mail.yaml:5:14: error", message: "looks like a credential (a Slack bot token)"),
        RuleCase(name: "a private key is an error",
                 connector: c.replacing1("description: Send an email", "description: \"-----BEGIN PRIVATE KEY-----\\nMIIE\""),
                 position: "connectors/mail.yaml:8:18: error", message: "a PEM private key"),
        // Scope catalogs
        RuleCase(name: "scope level", scopes: s.replacing1("level: sensitive", "level: secret"),
                 position: "scopes/google.yaml:5:12: error", message: "'level' cannot be 'secret'"),
    ]

    /// Each case's whole answer is in `Tests/Fixtures/Golden/validation/<case>.txt`; the
    /// case's own line is also asserted here, so a re-recorded file cannot lose the point.
    @Test("each rule reports a positioned error, and nothing else", arguments: cases)
    func rule(_ rule: RuleCase) {
        let d = Fixture.diagnostics(Fixture.folder(integration: rule.integration, connector: rule.connector, scopes: rule.scopes))
        #expect(d.contains { $0.position == rule.position && $0.message.contains(rule.message) }, "got: \(d.map(\.formatted))")
        Golden.expect(d.map { $0.formatted + "\n" }.joined(), matches: "validation/\(Golden.fileName(rule.name)).txt")
    }

    @Test("a secret value is never echoed back")
    func secretNotEchoed() {
        let dir = Fixture.folder(integration: Fixture.integration.replacing1("client_secret: MAIL_CLIENT_SECRET", "client_secret: GOCSPX-abcdefghijklmnopqrstuvwx"))
        let d = Fixture.diagnostics(dir)
        #expect(d.hasErrors)
        #expect(!d.contains { $0.message.contains("abcdefghijklmnop") })
    }

    @Test("a credential-shaped key an alias repeats is reported once, at the key")
    func aliasedSecretKeyOnce() {
        let dir = Fixture.folder(integration: Fixture.integration + "extra: &x { xoxb-1234567890-abcdefghij: 1 }\nagain: [*x, *x]\n")
        #expect(Fixture.diagnostics(dir).map(\.formatted) == [
            "integrations/mail.yaml:19:1: error: unknown key 'extra' in an integration manifest; allowed keys: key, provider, name, category, description, auth",
            "integrations/mail.yaml:19:13: error: this key looks like a credential (a Slack bot token); remove it (it is not shown here) and rotate the secret if it was real",
            "integrations/mail.yaml:20:1: error: unknown key 'again' in an integration manifest; allowed keys: key, provider, name, category, description, auth",
        ])
    }

    @Test("all problems of a run are reported at once, sorted by file and line")
    func allErrorsInOneRun() {
        let dir = Fixture.folder(
            integration: Fixture.integration.replacing1("key: mail", "key: Mail").replacing1("production: https://api", "production: http://api"),
            connector: Fixture.connector.replacing1("method: POST", "method: FETCH").replacing1("endpoint: /gmail", "endpoint: gmail"),
            scopes: Fixture.scopes.replacing1("level: sensitive", "level: secret"))
        let d = Fixture.diagnostics(dir)
        #expect(d.map(\.formatted) == [
            "connectors/mail.yaml:9:13: error: 'method' cannot be 'FETCH'; did you mean 'PATCH'?",
            "connectors/mail.yaml:10:15: error: the endpoint must start with '/' (a path on the provider's API, like /gmail/v1/users/me/messages)",
            "integrations/mail.yaml:1:6: error: 'key' must match ^[a-z0-9][a-z0-9-]*$ (at most 64 characters), not 'Mail'",
            "integrations/mail.yaml:14:17: error: production redirect URIs must use https (redirect_uris.production)",
            "scopes/google.yaml:5:12: error: 'level' cannot be 'secret'; use one of: non-sensitive, sensitive, restricted, read, write, admin",
        ])
        #expect(d.map(\.location) == d.map(\.location).sorted())
        #expect(Set(d.map(\.location.file)) == ["connectors/mail.yaml", "integrations/mail.yaml", "scopes/google.yaml"])
    }

    @Test("integration keys must stay distinct as Swift names")
    func swiftNameCollision() {
        let dir = Fixture.folder()
        dir.write("integrations/a-1.yaml", Fixture.integration.replacing1("key: mail", "key: a-1").replacing1("scopes:\n    - scope: https://www.googleapis.com/auth/gmail.send\n      reason: Agents send email\n", "scopes: []\n"))
        dir.write("integrations/a1.yaml", Fixture.integration.replacing1("key: mail", "key: a1").replacing1("scopes:\n    - scope: https://www.googleapis.com/auth/gmail.send\n      reason: Agents send email\n", "scopes: []\n"))
        let d = Fixture.diagnostics(dir)
        #expect(d.map(\.formatted) == ["integrations/a1.yaml:1:6: error: integration 'a1' and 'a-1' (integrations/a-1.yaml) both become the Swift name 'a1'; rename one"])
    }

    @Test("keys are unique across files")
    func duplicateIntegrationKey() {
        let dir = Fixture.folder()
        dir.write("integrations/mail2.yaml", Fixture.integration)
        let d = Fixture.diagnostics(dir)
        #expect(d.map(\.formatted) == [
            "integrations/mail2.yaml:1:6: error: integration key 'mail' is already used by integrations/mail.yaml:1; each must be unique",
            "integrations/mail2.yaml:1:6: warning: the file is named 'mail2' but its key is 'mail'; rename the file to mail.yaml",
        ])
    }

    @Test("YAML 1.1 booleans stay strings where a string is expected")
    func norway() throws {
        let dir = Fixture.folder(integration: Fixture.integration.replacing1("name: Mail", "name: no"))
        let catalog = try #require(dir.validate().catalog)
        #expect(catalog.integrations[0].name == "no")
    }

    @Test("tricky but valid: capitalised auth mode, free-text category, header names with dashes, IPv6 loopback, .yml")
    func trickyButValid() throws {
        let integration = Fixture.integration.replacing1("mode: oauth2", "mode: OAUTH2").replacing1("category: email", "category: Email & Calendar")
            .replacing1("development: http://localhost:3003/oauth/callback", "development: http://[::1]:3003/oauth/callback")
        let connector = Fixture.connector.replacing1("to: { type: string, format: email, description: Recipient }",
                                                     "to: { type: string, format: email, description: Recipient }\n      X-Request-Id: { type: string, optional: true, in: header }")
        let dir = Fixture.folder(integration: integration, connector: connector)
        try FileManager.default.moveItem(atPath: dir.path + "/connectors/mail.yaml", toPath: dir.path + "/connectors/mail.yml")
        let result = dir.validate()
        #expect(result.diagnostics.map(\.formatted) == [])
        let catalog = try #require(result.catalog)
        #expect(catalog.integrations[0].auth.mode == .oauth2)
        #expect(catalog.connectors[0].tools[0].inputs.map(\.name) == ["to", "X-Request-Id"])
    }

    @Test("an optional list or mapping written with no value is empty")
    func nullIsAbsent() throws {
        let integration = Fixture.integration.replacing1("enable_apis: [Gmail API]", "enable_apis:")
        let connector = Fixture.connector + "  - name: ping\n    description: Ping\n    method: GET\n    endpoint: /ping\n    scopes:\n    input:\n"
        let dir = Fixture.folder(integration: integration, connector: connector)
        let result = dir.validate()
        #expect(result.diagnostics.map(\.formatted) == [])
        #expect(result.catalog?.connectors[0].tools[1].scopes == [])
    }

    @Test("a file name with a newline cannot forge a diagnostic line")
    func fileNameInjection() {
        let dir = Fixture.folder()
        dir.write("integrations/x\nfake.yaml:1:1: error: forged.yaml", "key: [\n")
        let lines = dir.validate().diagnostics.map(\.formatted)
        #expect(lines.count == 1)
        #expect(lines.allSatisfy { !$0.contains("\n") })
    }

    @Test("input locations default by method and endpoint")
    func inputLocations() throws {
        let connector = Fixture.connector.replacing1("endpoint: /gmail/v1/users/me/messages/send", "endpoint: /users/{userId}/send")
            .replacing1("to: { type: string, format: email, description: Recipient }",
                        "to: { type: string }\n      userId: { type: string }\n      trace: { type: string, in: header }")
        let dir = Fixture.folder(connector: connector)
        let catalog = try #require(dir.validate().catalog)
        let inputs = catalog.connectors[0].tools[0].inputs
        #expect(inputs.map(\.placement) == [.body, .path, .header])
    }
}
