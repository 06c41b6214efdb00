import Foundation
import KeywayConnections
import KeywayCore
import KeywayRuntime
import Logging
import PostgresNIO
import Testing

/// `keyway nango plan|apply|check|connections` against a loopback Nango that keeps state.
@Suite("keyway nango")
struct NangoCommandTests {
    static let gmail = """
        key: gmail
        provider: google-mail
        name: Gmail
        category: email
        description: Send and read email
        auth:
          mode: oauth2
          scopes:
            - scope: https://www.googleapis.com/auth/gmail.send
              reason: Agents send email
            - scope: https://www.googleapis.com/auth/gmail.readonly
              reason: Agents search email
          redirect_uris:
            production: https://api.nango.dev/oauth/callback
          secrets:
            client_id: GOOGLE_CLIENT_ID
            client_secret: GOOGLE_CLIENT_SECRET

        """
    static let slack = """
        key: slack
        provider: slack
        name: Slack
        category: communication
        description: Post messages
        auth:
          mode: oauth2
          scopes:
            - scope: chat:write
              reason: Agents post messages
            - scope: channels:read
              reason: Agents find channels
          redirect_uris:
            production: https://api.nango.dev/oauth/callback
          secrets:
            client_id: SLACK_CLIENT_ID
            client_secret: SLACK_CLIENT_SECRET

        """
    static let gmailTools = """
        slug: gmail
        name: Gmail
        nango:
          provider_key: gmail
        tools:
          - name: send_email
            description: Send an email
            method: POST
            endpoint: /gmail/v1/users/me/messages/send
            scopes: [https://www.googleapis.com/auth/gmail.send]
            input:
              raw: { type: string, description: The message }
          - name: search_emails
            description: Search email
            method: GET
            endpoint: /gmail/v1/users/me/messages
            scopes: [https://www.googleapis.com/auth/gmail.readonly]
            input:
              q: { type: string, description: Query }

        """
    static let slackTools = """
        slug: slack
        name: Slack
        nango:
          provider_key: slack
        tools:
          - name: send_message
            description: Post a message
            method: POST
            endpoint: /chat.postMessage
            scopes: [chat:write]
            input:
              channel: { type: string, description: Channel }
              text: { type: string, description: Text }
          - name: list_channels
            description: List channels
            method: GET
            endpoint: /conversations.list
            scopes: [channels:read]
            input:
              limit: { type: integer, optional: true, description: Page size }

        """

    static let secrets = ["GOOGLE_CLIENT_ID": "google-client-1", "GOOGLE_CLIENT_SECRET": "google-secret-value-1",
                          "SLACK_CLIENT_ID": "slack-client-1", "SLACK_CLIENT_SECRET": "slack-secret-value-1"]

    /// A project: the manifests and the stand-in, with Nango's providers.
    struct Project {
        let dir = TempDir()
        let nango: NangoStandIn

        init(gmail: String = NangoCommandTests.gmail, slack: String = NangoCommandTests.slack) throws {
            dir.write("Manifests/integrations/gmail.yaml", gmail)
            dir.write("Manifests/integrations/slack.yaml", slack)
            dir.write("Manifests/connectors/gmail.yaml", NangoCommandTests.gmailTools)
            dir.write("Manifests/connectors/slack.yaml", NangoCommandTests.slackTools)
            nango = try NangoStandIn()
            nango.addProvider("google-mail")
            nango.addProvider("slack", separator: ",")
            nango.addProvider("hubspot")
            nango.addProvider("stripe", "API_KEY")
        }

        func keyway(_ arguments: [String], environment: [String: String] = NangoCommandTests.secrets) throws -> KeywayRun {
            try KeywayRun.run(["nango"] + arguments + ["--nango-url", nango.baseURL.absoluteString], in: dir.url,
                              environment: ["NANGO_SECRET_KEY": NangoStandIn.secretKey].merging(environment) { $1 })
        }

        /// The writes Nango received since `from` (a count of requests).
        func writes(since from: Int = 0) -> [String] {
            nango.requests.dropFirst(from).filter { $0.method != "GET" }.map { "\($0.method) \($0.target) \(String(decoding: $0.body, as: UTF8.self))" }
        }
        var url: String { nango.baseURL.absoluteString }
    }

    @Test("create from empty, then a second apply writes nothing and check passes")
    func createFromEmpty() throws {
        let p = try Project()
        let plan = try p.keyway(["plan"])
        #expect(plan.status == 0)
        #expect(plan.stderr == "")
        #expect(plan.stdout == """
            create     gmail (provider google-mail): display name "Gmail", scopes https://www.googleapis.com/auth/gmail.send,https://www.googleapis.com/auth/gmail.readonly
            create     slack (provider slack): display name "Slack", scopes chat:write,channels:read
            keyway: Nango at \(p.url): 2 to create, 0 to update, 0 to delete, 0 unmanaged

            """)
        #expect(p.writes() == [])
        #expect(p.nango.requestLines == ["GET /integrations", "GET /providers/google-mail", "GET /providers/slack"])

        let apply = try p.keyway(["apply"])
        #expect(apply.status == 0)
        #expect(apply.stdout == plan.stdout + """
            applied    create gmail
            applied    create slack
            keyway: 2 changes applied to Nango

            """)
        let before = p.nango.requests.count
        #expect(p.writes() == [
            #"POST /integrations {"credentials":{"client_id":"google-client-1","client_secret":"google-secret-value-1","scopes":"https://www.googleapis.com/auth/gmail.send,https://www.googleapis.com/auth/gmail.readonly","type":"OAUTH2"},"display_name":"Gmail","provider":"google-mail","unique_key":"gmail"}"#,
            #"POST /integrations {"credentials":{"client_id":"slack-client-1","client_secret":"slack-secret-value-1","scopes":"chat:write,channels:read","type":"OAUTH2"},"display_name":"Slack","provider":"slack","unique_key":"slack"}"#,
        ])

        let again = try p.keyway(["apply"])
        #expect(again.status == 0 && again.stderr == "")
        #expect(again.stdout == "keyway: Nango at \(p.url) matches the manifests\nkeyway: 0 changes applied to Nango\n")
        #expect(p.writes(since: before) == [])
        #expect(p.nango.requestLines.dropFirst(before) == [
            "GET /integrations", "GET /integrations/gmail?include=credentials", "GET /integrations/slack?include=credentials",
            "GET /providers/google-mail", "GET /providers/slack",
        ])
        let check = try p.keyway(["check"])
        #expect(check.status == 0 && check.stderr == "")
        #expect(check.stdout == "keyway: Nango at \(p.url) matches the manifests\n")
    }

    @Test("drift made in Nango is named by check and repaired by apply; --prune deletes what no manifest names")
    func drift() throws {
        let p = try Project()
        #expect(try p.keyway(["apply"]).status == 0)
        p.nango.edit("gmail") { $0.credentials?["scopes"] = "https://www.googleapis.com/auth/gmail.send,https://mail.google.com/" }
        p.nango.edit("slack") {
            $0.displayName = "Slack (old)"
            $0.credentials?["client_secret"] = "rotated-elsewhere"
            $0.credentials?["client_id"] = "slack-client-0"
        }
        p.nango.addIntegration("legacy-crm", provider: "hubspot", displayName: "CRM", clientID: "h", clientSecret: "hs", scopes: ["oauth"])
        let check = try p.keyway(["check"])
        #expect(check.status == 1)
        let planText = """
            update     gmail: scope +https://www.googleapis.com/auth/gmail.readonly
            update     gmail: scope -https://mail.google.com/
            update     slack: display name "Slack (old)" → "Slack"
            update     slack: client id "slack-client-0" → "slack-client-1"
            update     slack: client secret changed
            unmanaged  legacy-crm (provider hubspot): in Nango, in no manifest; apply --prune deletes it
            keyway: Nango at \(p.url): 0 to create, 2 to update, 0 to delete, 1 unmanaged

            """
        #expect(check.stdout == planText)
        let m = "Manifests/integrations"
        #expect(check.stderr == """
            <command line>:1:1: error: Nango differs from the manifests: unmanaged  legacy-crm (provider hubspot): in Nango, in no manifest; apply --prune deletes it; run keyway nango apply --prune
            \(m)/gmail.yaml:1:6: error: Nango differs from the manifests: update     gmail: scope -https://mail.google.com/; run keyway nango apply
            \(m)/gmail.yaml:11:14: error: Nango differs from the manifests: update     gmail: scope +https://www.googleapis.com/auth/gmail.readonly; run keyway nango apply
            \(m)/slack.yaml:1:6: error: Nango differs from the manifests: update     slack: display name "Slack (old)" → "Slack"; run keyway nango apply
            \(m)/slack.yaml:16:16: error: Nango differs from the manifests: update     slack: client id "slack-client-0" → "slack-client-1"; run keyway nango apply
            \(m)/slack.yaml:17:20: error: Nango differs from the manifests: update     slack: client secret changed; run keyway nango apply
            6 errors, 0 warnings

            """)
        #expect(!check.stdout.contains("rotated-elsewhere") && !check.stderr.contains("rotated-elsewhere") && !check.stderr.contains("slack-secret-value-1"))

        let before = p.nango.requests.count
        let apply = try p.keyway(["apply"])
        #expect(apply.status == 0 && apply.stderr == "")
        #expect(apply.stdout == planText + "applied    update gmail\napplied    update slack\nkeyway: 2 changes applied to Nango\n")
        #expect(p.writes(since: before) == [
            #"PATCH /integrations/gmail {"credentials":{"client_id":"google-client-1","client_secret":"google-secret-value-1","scopes":"https://www.googleapis.com/auth/gmail.send,https://www.googleapis.com/auth/gmail.readonly","type":"OAUTH2"}}"#,
            #"PATCH /integrations/slack {"credentials":{"client_id":"slack-client-1","client_secret":"slack-secret-value-1","scopes":"chat:write,channels:read","type":"OAUTH2"},"display_name":"Slack"}"#,
        ])
        #expect(try p.keyway(["check"]).status == 1)   // legacy-crm is still unmanaged

        let prune = try p.keyway(["apply", "--prune"])
        #expect(prune.status == 0 && prune.stderr == "")
        #expect(prune.stdout == """
            delete     legacy-crm (provider hubspot)
            keyway: Nango at \(p.url): 0 to create, 0 to update, 1 to delete, 0 unmanaged
            applied    delete legacy-crm
            keyway: 1 change applied to Nango

            """)
        #expect(p.nango.integrations.keys.sorted() == ["gmail", "slack"])
        #expect(try p.keyway(["check"]).status == 0)
    }

    @Test("a missing secret, a provider Nango cannot change, an unknown provider and a wrong auth mode refuse before any write")
    func refusals() throws {
        let p = try Project(gmail: Self.gmail.replacing1("provider: google-mail", "provider: gogle-mail"),
                            slack: Self.slack.replacing1("mode: oauth2", "mode: api_key").replacing1("  redirect_uris:\n    production: https://api.nango.dev/oauth/callback\n", ""))
        p.nango.addIntegration("slack", provider: "slack", displayName: "Slack", clientID: "s", clientSecret: "t")
        var environment = Self.secrets
        environment["GOOGLE_CLIENT_SECRET"] = ""
        let apply = try p.keyway(["apply", "--prune"], environment: environment)
        #expect(apply.status == 1)
        #expect(p.writes() == [])
        let m = "Manifests/integrations"
        #expect(apply.stderr == """
            <command line>:1:1: error: nothing was applied: the plan has errors; fix them and apply again
            \(m)/gmail.yaml:2:11: error: Nango has no provider 'gogle-mail'; did you mean 'google-mail'?
            \(m)/gmail.yaml:17:20: error: the environment variable GOOGLE_CLIENT_SECRET (auth.secrets.client_secret) is not set; set it to the OAuth client's secret before keyway nango plans or applies
            \(m)/slack.yaml:7:9: error: auth.mode is api_key but Nango's provider 'slack' uses OAUTH2; write mode: oauth2
            4 errors, 0 warnings

            """)

        // Nango's integration has another provider: Nango cannot patch it.
        let q = try Project()
        q.nango.addIntegration("slack", provider: "hubspot", displayName: "Slack", clientID: "s", clientSecret: "t")
        let moved = try q.keyway(["plan"])
        #expect(moved.status == 1)
        #expect(moved.stderr == """
            Manifests/integrations/slack.yaml:2:11: error: Nango's integration 'slack' has provider 'hubspot', not 'slack', and Nango cannot change an integration's provider: give this manifest a new key (and delete the old integration with apply --prune), or delete 'slack' in Nango (its connections go with it) and apply again
            1 error, 0 warnings

            """)
        #expect(try q.keyway(["apply"]).status == 1)
        #expect(q.writes() == [])
    }

    @Test("a 500 in the middle: apply names what it did and did not do, and the next apply converges")
    func failureMidway() throws {
        let p = try Project()
        p.nango.failWrite = 2
        let apply = try p.keyway(["apply"])
        #expect(apply.status == 1)
        #expect(apply.stderr == """
            <command line>:1:1: error: POST /integrations: Nango answered 500 (server_error: An unexpected error occurred); applied: create gmail; not applied: create slack; run keyway nango apply again to finish
            1 error, 0 warnings

            """)
        #expect(p.nango.integrations.keys.sorted() == ["gmail"])
        let again = try p.keyway(["apply"])
        #expect(again.status == 0 && again.stderr == "")
        #expect(again.stdout.hasPrefix("create     slack (provider slack)"))
        #expect(p.nango.integrations.keys.sorted() == ["gmail", "slack"])
        #expect(try p.keyway(["check"]).status == 0)
    }

    @Test("connections that lack a tool's scope, Google's space-separated and Slack's comma-separated, with reconnect links")
    func connections() throws {
        let p = try Project()
        #expect(try p.keyway(["apply"]).status == 0)
        p.nango.addConnection("g-full", integration: "gmail", tags: ["end_user_id": "u1"],
                              rawScope: "https://www.googleapis.com/auth/gmail.send https://www.googleapis.com/auth/gmail.readonly")
        p.nango.addConnection("g-send", integration: "gmail", tags: ["end_user_id": "u2", "organization_id": "o1"],
                              rawScope: "https://www.googleapis.com/auth/gmail.send")
        p.nango.addConnection("s-read", integration: "slack", tags: ["end_user_id": "u1"], rawScope: "channels:read,users:read")
        p.nango.addConnection("s-asked", integration: "slack", tags: [:], rawScope: nil, requested: "chat:write,channels:read")
        p.nango.addIntegration("other", provider: "hubspot", displayName: "Other", clientID: "h", clientSecret: "hs")
        p.nango.addConnection("h-1", integration: "other", tags: [:], rawScope: "")

        let list = try p.keyway(["connections"])
        #expect(list.status == 1)
        #expect(list.stdout == """
            gmail g-full (end_user_id=u1): every tool's scopes granted
            gmail g-send (end_user_id=u2,organization_id=o1): lacks https://www.googleapis.com/auth/gmail.readonly (gmail_search_emails)
            slack s-read (end_user_id=u1): lacks chat:write (slack_send_message)
            slack s-asked: every tool's scopes granted [requested scopes: the provider's answer is not recorded]
            keyway: 4 connections of managed integrations, 2 lacking a scope or unusable

            """)
        let m = "Manifests/integrations"
        #expect(list.stderr == """
            \(m)/gmail.yaml:11:14: error: connection 'g-send' of gmail lacks https://www.googleapis.com/auth/gmail.readonly, which gmail_search_emails need; the user must connect again (keyway nango connections --reconnect makes a link)
            \(m)/slack.yaml:9:14: error: connection 's-read' of slack lacks chat:write, which slack_send_message need; the user must connect again (keyway nango connections --reconnect makes a link)
            2 errors, 0 warnings

            """)

        let before = p.nango.requests.count
        let json = try p.keyway(["connections", "--reconnect", "--format", "json"])
        #expect(json.status == 1)
        #expect(json.stdout == """
            {
              "connections" : [
                {
                  "connection_id" : "g-full",
                  "granted" : [
                    "https://www.googleapis.com/auth/gmail.send",
                    "https://www.googleapis.com/auth/gmail.readonly"
                  ],
                  "integration" : "gmail",
                  "missing" : [

                  ],
                  "provider" : "google-mail",
                  "tags" : {
                    "end_user_id" : "u1"
                  },
                  "verified" : true
                },
                {
                  "connection_id" : "g-send",
                  "granted" : [
                    "https://www.googleapis.com/auth/gmail.send"
                  ],
                  "integration" : "gmail",
                  "missing" : [
                    {
                      "scope" : "https://www.googleapis.com/auth/gmail.readonly",
                      "tools" : [
                        "gmail_search_emails"
                      ]
                    }
                  ],
                  "provider" : "google-mail",
                  "reconnect_link" : "https://connect.nango.dev/?session_token=nango_connect_session_g-send",
                  "tags" : {
                    "end_user_id" : "u2",
                    "organization_id" : "o1"
                  },
                  "verified" : true
                },
                {
                  "connection_id" : "s-read",
                  "granted" : [
                    "channels:read",
                    "users:read"
                  ],
                  "integration" : "slack",
                  "missing" : [
                    {
                      "scope" : "chat:write",
                      "tools" : [
                        "slack_send_message"
                      ]
                    }
                  ],
                  "provider" : "slack",
                  "reconnect_link" : "https://connect.nango.dev/?session_token=nango_connect_session_s-read",
                  "tags" : {
                    "end_user_id" : "u1"
                  },
                  "verified" : true
                },
                {
                  "connection_id" : "s-asked",
                  "granted" : [
                    "chat:write",
                    "channels:read"
                  ],
                  "integration" : "slack",
                  "missing" : [

                  ],
                  "provider" : "slack",
                  "tags" : {

                  },
                  "verified" : false
                }
              ]
            }

            """)
        #expect(p.nango.requestLines.dropFirst(before) == [
            "GET /connections?limit=1000&page=0",
            "GET /connections/g-full?provider_config_key=gmail", "GET /connections/g-send?provider_config_key=gmail",
            "GET /connections/s-read?provider_config_key=slack", "GET /connections/s-asked?provider_config_key=slack",
            "GET /providers/google-mail", "GET /providers/slack",
            "POST /connect/sessions/reconnect", "POST /connect/sessions/reconnect",
        ])
        #expect(p.writes(since: before) == [
            #"POST /connect/sessions/reconnect {"connection_id":"g-send","integration_id":"gmail"}"#,
            #"POST /connect/sessions/reconnect {"connection_id":"s-read","integration_id":"slack"}"#,
        ])

        // Every connection has what its tools need: exit 0.
        p.nango.edit("gmail") { _ in }
        let q = try Project()
        #expect(try q.keyway(["apply"]).status == 0)
        q.nango.addConnection("g-full", integration: "gmail", tags: [:], rawScope: "https://www.googleapis.com/auth/gmail.readonly https://www.googleapis.com/auth/gmail.send")
        let clean = try q.keyway(["connections"])
        #expect(clean.status == 0 && clean.stderr == "")
        #expect(clean.stdout == "gmail g-full: every tool's scopes granted\nkeyway: 1 connection of managed integrations, 0 lacking a scope or unusable\n")
    }

    @Test("Nango answers that are not what its API says are errors naming the request; the key appears nowhere")
    func badAnswers() throws {
        let p = try Project()
        func errors(_ arguments: [String], environment: [String: String] = NangoCommandTests.secrets) throws -> String {
            let run = try p.keyway(arguments, environment: environment)
            #expect(run.status == 1)
            #expect(!run.stdout.contains(NangoStandIn.secretKey) && !run.stderr.contains(NangoStandIn.secretKey))
            #expect(!run.stderr.contains("secret-value"))
            return run.stderr
        }
        #expect(try errors(["plan"], environment: ["NANGO_SECRET_KEY": "wrong-key-1"]) == """
            <command line>:1:1: error: GET /integrations: Nango refused the secret key (401 (unknown_account: The secret key is not valid)); set NANGO_SECRET_KEY to the secret key of this Nango environment
            1 error, 0 warnings

            """)
        #expect(try errors(["plan"], environment: ["NANGO_SECRET_KEY": ""]) == """
            <command line>:1:1: error: NANGO_SECRET_KEY is not set; set it to the secret key of the Nango environment (Environment Settings → API keys)
            1 error, 0 warnings

            """)
        p.nango.stub.onRequest { request in
            switch request.path {
            case "/integrations": StubNango.Reply(status: 502, headers: [("Content-Type", "text/html")], body: "<html>Bad gateway \(NangoStandIn.secretKey)</html>")
            default: StubNango.Reply(status: 403, body: #"{"error":{"code":"forbidden","message":"Insufficient scope. Required: environment:connections:list"}}"#)
            }
        }
        #expect(try errors(["plan"]) == """
            <command line>:1:1: error: GET /integrations: Nango answered 502 (a body that is not JSON, text/html)
            1 error, 0 warnings

            """)
        #expect(try errors(["connections"]) == """
            <command line>:1:1: error: GET /connections: the secret key is not allowed to list connections (403 (forbidden: Insufficient scope. Required: environment:connections:list)); use a key with that permission
            1 error, 0 warnings

            """)
        p.nango.stub.onRequest { request in
            request.path == "/integrations"
                ? StubNango.Reply(status: 302, headers: [("Location", "http://127.0.0.1:1/steal")], body: "")
                : StubNango.Reply(body: #"{"data": "not a list"}"#)
        }
        #expect(try errors(["plan"]) == """
            <command line>:1:1: error: GET /integrations: Nango answered a redirect (302) to http://127.0.0.1:1/steal; keyway does not follow it (it would send the secret key there): set --nango-url to the API's own address
            1 error, 0 warnings

            """)
        p.nango.stub.onRequest { _ in StubNango.Reply(body: #"{"data": [{"unique_key": "x"}]}"#) }
        #expect(try errors(["plan"]) == """
            <command line>:1:1: error: GET /integrations: Nango's answer is not what its API documents: expected JSON of the documented shape (no 'provider' at data[0])
            1 error, 0 warnings

            """)
        // Nango left out the credentials (a key without read_credentials): no guess at the OAuth client.
        let q = try Project()
        #expect(try q.keyway(["apply"]).status == 0)
        q.nango.readsCredentials = false
        let plan = try q.keyway(["plan"])
        #expect(plan.status == 1)
        #expect(plan.stderr.components(separatedBy: "\n").first == "<command line>:1:1: error: Nango left out the credentials of 'gmail' (GET /integrations/gmail?include=credentials): the secret key lacks the environment:integrations:read_credentials permission, and keyway cannot compare the OAuth client without it; use a key with that permission")
        // Nothing listens: the request is named.
        let closed = try KeywayRun.run(["nango", "plan", "--nango-url", "http://127.0.0.1:9"], in: q.dir.url,
                                       environment: ["NANGO_SECRET_KEY": NangoStandIn.secretKey].merging(Self.secrets) { $1 })
        #expect(closed.status == 1)
        #expect(closed.stderr.hasPrefix("<command line>:1:1: error: GET /integrations: no answer from Nango at http://127.0.0.1:9 ("))
        #expect(!closed.stderr.contains(NangoStandIn.secretKey))
    }

    /// The recorded requests as the checker reads them.
    static func requestsJSON(_ requests: [StubNango.Recorded]) throws -> Data {
        try JSONSerialization.data(withJSONObject: requests.map { r -> [String: Any] in
            ["method": r.method, "target": r.target, "headers": r.headers.map { [$0.0, $0.1] },
             "body": r.body.isEmpty ? NSNull() : String(decoding: r.body, as: UTF8.self) as Any]
        }, options: [.sortedKeys])
    }

    /// Runs Tests/Fixtures/nango/check_requests.py on the requests, against `document`.
    static func check(_ requests: Data, against document: String) throws -> (status: Int32, output: String) {
        let dir = TempDir()
        let file = dir.write("requests.json", requests)
        return Python.run([packageRoot.appendingPathComponent("Tests/Fixtures/nango/check_requests.py").path, document, file.path])
    }

    @Test("every request keyway sends to Nango is valid per Nango's document: the operation, its parameters, its JSON body")
    func requestsValidPerNangoDocument() async throws {
        guard Python.require(["jsonschema"]) else { return }
        let p = try Project()
        // The commands: create, repair, prune, connections with reconnect links.
        #expect(try p.keyway(["apply"]).status == 0)
        p.nango.edit("slack") { $0.displayName = "Old"; $0.credentials?["scopes"] = "chat:write" }
        p.nango.addIntegration("legacy", provider: "hubspot", displayName: "Legacy", clientID: "h", clientSecret: "s")
        #expect(try p.keyway(["apply", "--prune"]).status == 0)
        p.nango.addConnection("s-1", integration: "slack", tags: ["end_user_id": "u1"], rawScope: "channels:read")
        #expect(try p.keyway(["connections", "--reconnect"]).status == 1)
        // The runtime: the proxy, a connection, a connect session, a deletion.
        let client = NangoClient(secretKey: NangoStandIn.secretKey, baseURL: p.nango.baseURL)
        _ = try? await client.proxy(ToolRequest(method: .POST, path: "/chat.postMessage", query: [("pretty", "1")],
                                                headers: [("Content-Type", "application/json"), ("X-Slack-Retry", "1")], body: Data("{}".utf8)),
                                    connectionID: "s-1", providerConfigKey: "slack")
        _ = try? await client.connection(id: "s-1", providerConfigKey: "slack")
        _ = try? await client.createConnectSession(for: Tenant(user: "u1", organization: "o1"), connector: "slack", allowedIntegrations: ["slack"])
        try? await client.deleteConnection(id: "s-1", providerConfigKey: "slack")

        let requests = p.nango.requests
        #expect(Set(requests.map { "\($0.method) \($0.path.split(separator: "/").first ?? "")" }) == [
            "GET integrations", "POST integrations", "PATCH integrations", "DELETE integrations", "GET providers", "GET connections",
            "POST connect", "POST proxy", "DELETE connections",
        ])
        let fixture = packageRoot.appendingPathComponent("Tests/Fixtures/nango/nango-api.json").path
        let result = try Self.check(Self.requestsJSON(requests), against: fixture)
        #expect(result.output == "")
        #expect(result.status == 0)
        // Nango's whole document, converted to JSON (docs/spec.yaml in NangoHQ/nango), when given.
        if let whole = ProcessInfo.processInfo.environment["KEYWAY_NANGO_SPEC_JSON"], !whole.isEmpty {
            // One difference, Nango's document's own: it declares the proxy's query for GET and
            // DELETE only, while its server forwards the query of every method (allProxy.ts
            // takes the endpoint from the original URL, "path and querystring").
            let full = try Self.check(Self.requestsJSON(requests), against: whole)
            #expect(full.output == "POST /proxy/chat.postMessage?pretty=1: query parameter 'pretty' is not declared\n")
        }

        // The check fails where it must: each kind of mistake, named.
        let bad: [[String: Any]] = [
            ["method": "GET", "target": "/connection/c1?provider_config_key=gmail", "headers": [] as [Any], "body": NSNull()],
            ["method": "GET", "target": "/integrations/gmail?include=webhook,credentials", "headers": [] as [Any], "body": NSNull()],
            ["method": "GET", "target": "/connections/c1", "headers": [] as [Any], "body": NSNull()],
            ["method": "POST", "target": "/integrations", "headers": [["Content-Type", "application/json"]],
             "body": #"{"unique_key":"a","credentials":{"type":"OAUTH2","client_id":"x","client_secret":"y","scopes":"a b"}}"#],
            ["method": "PATCH", "target": "/integrations/a", "headers": [["Content-Type", "application/json"]], "body": #"{"provider":"x"}"#],
            ["method": "PATCH", "target": "/integrations/b", "headers": [["Content-Type", "application/json"]],
             "body": #"{"credentials":{"type":"OAUTH2","client_id":"x","client_secret":"y","scopes":null}}"#],
            ["method": "POST", "target": "/proxy/x", "headers": [["Connection-Id", "c"], ["X-Other", "1"]], "body": "{}"],
            ["method": "POST", "target": "/connect/sessions", "headers": [] as [Any], "body": #"{"end_user":{"id":"u"}}"#],
            ["method": "PUT", "target": "/integrations/a", "headers": [] as [Any], "body": NSNull()],
        ]
        let caught = try Self.check(JSONSerialization.data(withJSONObject: bad), against: fixture)
        #expect(caught.status == 1)
        #expect(caught.output == """
            GET /connection/c1?provider_config_key=gmail: GET /connection/{connectionId} is deprecated
            GET /integrations/gmail?include=webhook,credentials: query parameter 'include' is 'webhook,credentials', not one of ['webhook', 'credentials']
            GET /connections/c1: required query parameter 'provider_config_key' is missing
            POST /integrations: the body: 'provider' is a required property
            POST /integrations: credentials: {'type': 'OAUTH2', 'client_id': 'x', 'client_secret': 'y', 'scopes': 'a b'} is not valid under any of the given schemas
            PATCH /integrations/a: body property 'provider' is not declared
            PATCH /integrations/b: credentials: {'type': 'OAUTH2', 'client_id': 'x', 'client_secret': 'y', 'scopes': None} is not valid under any of the given schemas
            POST /proxy/x: header 'x-other' is not declared
            POST /proxy/x: required header 'Provider-Config-Key' is missing
            POST /connect/sessions: body property 'end_user' is deprecated
            PUT /integrations/a: /integrations/{uniqueKey} has no PUT operation

            """)
    }

    @Test("keyway init --provider starts an integration and an empty connector that validate, from Nango or a providers.yaml")
    func initFromProvider() throws {
        let nango = try NangoStandIn()
        nango.addProvider("slack", separator: ",", defaults: ["chat:write", "users:read"])
        let dir = TempDir()
        let environment = ["NANGO_SECRET_KEY": NangoStandIn.secretKey]
        let started = try KeywayRun.run(["init", "--provider", "slack", "--nango-url", nango.baseURL.absoluteString], in: dir.url, environment: environment)
        #expect(started.status == 0 && started.stderr == "")
        #expect(started.stdout == """
            created keyway.yaml
            created Manifests/integrations/slack.yaml
            created Manifests/connectors/slack.yaml
            keyway: next, add tools to Manifests/connectors/slack.yaml and `keyway nango plan` shows what Nango gets

            """)
        #expect(dir.read("Manifests/integrations/slack.yaml") == """
            # An integration started from Nango's provider 'slack' (keyway init --provider).
            # Nango's guide: https://nango.dev/docs/integrations/all/slack
            # Nango's proxy sends tool requests to https://api.example.test (endpoints are paths under it).
            key: slack
            provider: slack
            name: Slack
            category: other
            description: Tools on Slack
            auth:
              mode: oauth2
              # Nango's default scopes; it joins scopes with ',' when it asks the provider.
              scopes:
                - scope: chat:write
                  reason: "Nango's default scope for Slack: say why the product needs it, or remove it"
                - scope: users:read
                  reason: "Nango's default scope for Slack: say why the product needs it, or remove it"
              redirect_uris:
                production: https://api.nango.dev/oauth/callback
              secrets:                  # names of the environment variables, never the values
                client_id: SLACK_CLIENT_ID
                client_secret: SLACK_CLIENT_SECRET

            """)
        #expect(dir.read("Manifests/connectors/slack.yaml") == """
            # The agent tools on Slack: add each as a call through Nango's proxy
            # (keyway tools import --openapi drafts one from the provider's OpenAPI document).
            slug: slack
            name: Slack
            nango:
              provider_key: slack
            tools: []

            """)
        let validate = try KeywayRun.run(["validate"], in: dir.url)
        #expect(validate.status == 0)
        #expect(validate.stderr == """
            Manifests/integrations/slack.yaml:13:14: warning: scope 'chat:write' is granted but no tool uses it; remove it (least privilege), add the tool that needs it, or mark it 'without_tool: true' if the provider requires it
            Manifests/integrations/slack.yaml:15:14: warning: scope 'users:read' is granted but no tool uses it; remove it (least privilege), add the tool that needs it, or mark it 'without_tool: true' if the provider requires it
            0 errors, 2 warnings

            """)
        // Again: nothing replaced. An unknown provider: did you mean.
        let again = try KeywayRun.run(["init", "--provider", "slack", "--nango-url", nango.baseURL.absoluteString], in: dir.url, environment: environment)
        #expect(again.status == 1)
        #expect(again.stderr == """
            Manifests/connectors/slack.yaml:1:1: error: already exists; keyway init never replaces a file: move it away to start over, or edit it
            Manifests/integrations/slack.yaml:1:1: error: already exists; keyway init never replaces a file: move it away to start over, or edit it
            2 errors, 0 warnings

            """)
        let unknown = try KeywayRun.run(["init", "--provider", "slak", "--nango-url", nango.baseURL.absoluteString], in: dir.url, environment: environment)
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "<command line>:1:1: error: Nango has no provider 'slak'; did you mean 'slack'?\n1 error, 0 warnings\n")

        // From a providers.yaml of the user's: an alias takes its target's keys, its own win.
        let catalog = dir.write("providers.yaml", """
            hubspot:
                display_name: HubSpot
                categories: [marketing, crm]
                auth_mode: OAUTH2
                scope_separator: ' '
                default_scopes: [oauth]
                docs: https://nango.dev/docs/integrations/all/hubspot
            hubspot-sandbox:
                alias: hubspot
                display_name: "HubSpot (sandbox)\\nkey: injected"
            stripe-app:
                auth_mode: API_KEY
                display_name: Stripe

            """)
        let fromFile = try KeywayRun.run(["init", "--provider", "hubspot-sandbox", "--providers", catalog.path], in: dir.url)
        #expect(fromFile.status == 0 && fromFile.stderr == "")
        #expect(dir.read("Manifests/integrations/hubspot-sandbox.yaml") == """
            # An integration started from Nango's provider 'hubspot-sandbox' (keyway init --provider).
            # Nango's guide: https://nango.dev/docs/integrations/all/hubspot
            key: hubspot-sandbox
            provider: hubspot-sandbox
            name: "HubSpot (sandbox)\\nkey: injected"
            category: marketing
            description: "Tools on HubSpot (sandbox)\\nkey: injected"
            auth:
              mode: oauth2
              # Nango's default scopes; it joins scopes with a space when it asks the provider.
              scopes:
                - scope: oauth
                  reason: "Nango's default scope for HubSpot (sandbox)\\nkey: injected: say why the product needs it, or remove it"
              redirect_uris:
                production: https://api.nango.dev/oauth/callback
              secrets:                  # names of the environment variables, never the values
                client_id: HUBSPOT_SANDBOX_CLIENT_ID
                client_secret: HUBSPOT_SANDBOX_CLIENT_SECRET

            """)
        let apiKey = try KeywayRun.run(["init", "--provider", "stripe-app", "--providers", catalog.path], in: dir.url)
        #expect(apiKey.status == 0)
        #expect(dir.read("Manifests/integrations/stripe-app.yaml") == """
            # An integration started from Nango's provider 'stripe-app' (keyway init --provider).
            key: stripe-app
            provider: stripe-app
            name: Stripe
            category: other
            description: Tools on Stripe
            auth:
              mode: api_key

            """)
        let all = try KeywayRun.run(["validate"], in: dir.url)
        #expect(all.status == 0)
        let missing = try KeywayRun.run(["init", "--provider", "hubspt", "--providers", catalog.path], in: dir.url)
        #expect(missing.stderr == "providers.yaml:1:1: error: the providers file has no provider 'hubspt'; did you mean 'hubspot'?\n1 error, 0 warnings\n".replacingOccurrences(of: "providers.yaml", with: catalog.path))
    }

    @Test("connections --database marks those that lack a scope needs_reauth in keyway's tables, as the server's role")
    func marksNeedsReauth() async throws {
        let server = try PostgresServer.get()
        let db = try server.createDatabase()
        try await applyPostgres(MigrationsFolder.files(in: PostgresTests.shippedMigrations), server, db)
        let p = try Project()
        #expect(try p.keyway(["apply"]).status == 0)
        let send = "https://www.googleapis.com/auth/gmail.send", readonly = "https://www.googleapis.com/auth/gmail.readonly"
        p.nango.addConnection("g-full", integration: "gmail", tags: ["end_user_id": "u1", "keyway_connector": "gmail"], rawScope: "\(send) \(readonly)")
        p.nango.addConnection("g-send", integration: "gmail", tags: ["end_user_id": "u2", "keyway_connector": "gmail"], rawScope: send)
        p.nango.addConnection("s-read", integration: "slack", tags: ["end_user_id": "u1", "organization_id": "o1"], rawScope: "channels:read")
        // The rows, as the webhook path writes them.
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let client = PostgresClient(configuration: .init(host: "127.0.0.1", port: server.port, username: "postgres", password: nil, database: db, tls: .disable), backgroundLogger: logger)
        let running = Task { await client.run() }
        defer { running.cancel() }
        let store = ConnectionStore(database: client, nango: NangoClient(secretKey: NangoStandIn.secretKey, baseURL: p.nango.baseURL),
                                    webhookSigningKey: ConnectionLifecycleTests.signingKey, logger: logger)
        for (id, key, tags) in [("g-full", "gmail", ["end_user_id": "u1", "keyway_connector": "gmail"]), ("g-send", "gmail", ["end_user_id": "u2", "keyway_connector": "gmail"]),
                                ("s-read", "slack", ["end_user_id": "u1", "organization_id": "o1"])] {
            let (body, headers) = ConnectionLifecycleTests.signed(ConnectionLifecycleTests.creation(id, key, tags: tags))
            _ = try await store.ingest(body: body, headers: headers)
        }
        func rows() -> String {
            server.psql(db, "select connection_id || ':' || status from public.connector_connections union all select connection_id || ':' || status from public.integrations order by 1").output
        }
        #expect(rows() == "g-full:active\ng-send:active\ns-read:active\n")
        let url = "postgres://postgres@127.0.0.1:\(server.port)/\(db)?sslmode=disable"
        let run = try p.keyway(["connections", "--database", url])
        #expect(run.status == 1)
        #expect(run.stdout.hasSuffix("keyway: 3 connections of managed integrations, 2 lacking a scope or unusable\nkeyway: 2 rows of \(url) marked needs_reauth\n"))
        #expect(rows() == "g-full:active\ng-send:needs_reauth\ns-read:needs_reauth\n")
        // An empty signing key verifies nothing: a store made for marking ingests no webhook.
        let (body, headers) = ConnectionLifecycleTests.signed(ConnectionLifecycleTests.creation("g-full", "gmail", tags: [:]))
        let unsigned = ConnectionStore(database: client, nango: NangoClient(secretKey: "k", baseURL: p.nango.baseURL), webhookSigningKey: "", logger: logger)
        await #expect(throws: WebhookRejection.badSignature) { try await unsigned.ingest(body: body, headers: headers) }
        let bad = try p.keyway(["connections", "--database", "sqlite:x.db"])
        #expect(bad.status == 2)
        #expect(bad.stderr.hasPrefix("Error: --database must be keyway's PostgreSQL (postgres://…): connections live there"))
    }

    @Test("an integration without scopes: none sent (Nango refuses null), Nango's defaults kept, scopes Nango holds beyond them cleared")
    func scopelessIntegration() throws {
        let noScopes = Self.slack.replacing1("""
              scopes:
                - scope: chat:write
                  reason: Agents post messages
                - scope: channels:read
                  reason: Agents find channels

            """, "")
        let p = try Project(slack: noScopes)
        p.dir.write("Manifests/connectors/slack.yaml", Self.slackTools.replacing1("scopes: [chat:write]", "scopes: []").replacing1("scopes: [channels:read]", "scopes: []"))
        p.nango.addProvider("slack", separator: ",", defaults: ["incoming-webhook"])
        let apply = try p.keyway(["apply"])
        #expect(apply.status == 0 && apply.stderr == "")
        #expect(p.writes().last == #"POST /integrations {"credentials":{"client_id":"slack-client-1","client_secret":"slack-secret-value-1","type":"OAUTH2"},"display_name":"Slack","provider":"slack","unique_key":"slack"}"#)
        #expect(p.nango.integrations["slack"]?.credentials?["scopes"] as? String == "incoming-webhook")
        var before = p.nango.requests.count
        #expect(try p.keyway(["apply"]).stdout == "keyway: Nango at \(p.url) matches the manifests\nkeyway: 0 changes applied to Nango\n")
        #expect(p.writes(since: before) == [])
        // A rotated secret: the whole client again, without scopes, and Nango keeps its own.
        before = p.nango.requests.count
        #expect(try p.keyway(["apply"], environment: Self.secrets.merging(["SLACK_CLIENT_SECRET": "slack-secret-value-2"]) { $1 }).status == 0)
        #expect(p.writes(since: before) == [#"PATCH /integrations/slack {"credentials":{"client_id":"slack-client-1","client_secret":"slack-secret-value-2","type":"OAUTH2"}}"#])
        // Scopes Nango holds that are not its defaults: cleared with "", which its server takes.
        p.nango.edit("slack") { $0.credentials?["scopes"] = "chat:write" }
        before = p.nango.requests.count
        let rotated = Self.secrets.merging(["SLACK_CLIENT_SECRET": "slack-secret-value-2"]) { $1 }
        let clear = try p.keyway(["apply"], environment: rotated)
        #expect(clear.stdout.hasPrefix("update     slack: scope -chat:write\n"))
        #expect(p.writes(since: before) == [#"PATCH /integrations/slack {"credentials":{"client_id":"slack-client-1","client_secret":"slack-secret-value-2","scopes":"","type":"OAUTH2"}}"#])
        #expect(try p.keyway(["check"], environment: rotated).status == 0)
    }

    @Test("connections Nango cannot refresh are named with the rest; credentials left out, and a page larger than asked, are errors")
    func unusableConnections() throws {
        let p = try Project()
        #expect(try p.keyway(["apply"]).status == 0)
        p.nango.addConnection("s-dead", integration: "slack", tags: [:], rawScope: "chat:write,channels:read", refreshExhausted: true)
        p.nango.addConnection("s-ok", integration: "slack", tags: [:], rawScope: "chat:write,channels:read")
        let run = try p.keyway(["connections", "--reconnect"])
        #expect(run.status == 1)
        #expect(run.stdout == """
            slack s-ok: every tool's scopes granted
            slack s-dead: cannot be used: Nango cannot refresh its token (Nango answered 424 (invalid_credentials: The refresh limit has been reached for this connection.))
                reconnect: https://connect.nango.dev/?session_token=nango_connect_session_s-dead
            keyway: 2 connections of managed integrations, 1 lacking a scope or unusable

            """)
        #expect(run.stderr == """
            Manifests/integrations/slack.yaml:1:6: error: connection 's-dead' of slack cannot be used: Nango cannot refresh its token (Nango answered 424 (invalid_credentials: The refresh limit has been reached for this connection.)); the user must connect again
            1 error, 0 warnings

            """)
        p.nango.readsConnectionCredentials = false
        let blind = try p.keyway(["connections"])
        #expect(blind.status == 1 && blind.stdout == "")
        #expect(blind.stderr == """
            <command line>:1:1: error: Nango left out the credentials of 1 connection (first 's-ok'): the secret key lacks the environment:connections:read_credentials permission, and the granted scopes are in the credentials; use a key with that permission
            1 error, 0 warnings

            """)
        // A Nango that ignores limit: an error, not a thousand requests.
        p.nango.stub.onRequest { _ in
            let many = (0..<1001).map { #"{"id": \#($0), "connection_id": "c\#($0)", "provider": "slack", "provider_config_key": "other", "created": "x", "metadata": null, "tags": {}, "errors": []}"# }
            return StubNango.Reply(body: #"{"connections": [\#(many.joined(separator: ","))]}"#)
        }
        let before = p.nango.requests.count
        let flood = try p.keyway(["connections"])
        #expect(flood.stderr == "<command line>:1:1: error: GET /connections: Nango answered 1001 connections for a page of 1000: it does not page as its API documents\n1 error, 0 warnings\n")
        #expect(p.nango.requests.count == before + 1)
    }

    @Test("a client secret Nango echoes, and a password in the Nango URL, are never printed")
    func nothingSecretPrinted() throws {
        let p = try Project()
        p.nango.stub.onRequest { request in
            request.method == "POST"
                ? StubNango.Reply(status: 400, body: #"{"error": {"code": "invalid_body", "message": "client_secret slack-secret-value-1 rejected", "errors": [{"code": "custom", "message": "google-secret-value-1 is not valid", "path": ["credentials", "client_secret"]}]}}"#)
                : StubNango.Reply(body: request.path == "/integrations" ? #"{"data": []}"# : #"{"data": {"name": "x", "auth_mode": "OAUTH2"}}"#)
        }
        let url = p.nango.baseURL.absoluteString.replacingOccurrences(of: "http://", with: "http://admin:url-password-9@")
        let run = try KeywayRun.run(["nango", "apply", "--nango-url", url], in: p.dir.url,
                                    environment: ["NANGO_SECRET_KEY": NangoStandIn.secretKey].merging(Self.secrets) { $1 })
        #expect(run.status == 1)
        #expect(run.stderr == """
            <command line>:1:1: error: POST /integrations: Nango answered 400 (invalid_body: client_secret <redacted> rejected; credentials.client_secret: <redacted> is not valid); applied: nothing; not applied: create gmail, create slack; run keyway nango apply again to finish
            1 error, 0 warnings

            """)
        #expect(run.stdout.contains("keyway: Nango at \(p.url): 2 to create"))
        #expect(!run.stdout.contains("url-password-9") && !run.stderr.contains("url-password-9"))
        let bad = try p.keyway(["plan"], environment: Self.secrets.merging(["NANGO_SECRET_KEY": "key\nwith-a-line-break"]) { $1 })
        #expect(bad.stderr == "<command line>:1:1: error: NANGO_SECRET_KEY holds a space, a line break or another character no key has; set it to the key alone\n1 error, 0 warnings\n")
    }
}
