import Foundation
import KeywayCore
import KeywayModel
import KeywayMCP
import KeywayReferenceTools
import KeywayRuntime
import Testing

/// The compiled tool's answer decoded as its `Output` and written back as JSON.
private func decodedOutput<T: AgentTool>(_ tool: T.Type, _ answer: JSON) throws -> JSON {
    try JSON(json: JSONEncoder().encode(JSONDecoder().decode(T.Output.self, from: answer.jsonData)))
}

/// What of an answer a decoded `Output` keeps: the declared fields, a struct's absent or
/// null ones left out (as a Swift optional encodes), items and map values as they are.
private func declared(_ value: JSON, _ schema: ValueSchema) -> JSON {
    switch (schema.type, value) {
    case (.object(let properties), .object(let fields)): return declared(fields, properties)
    case (.array(let items), .array(let elements)): return .array(elements.map { $0 == .null ? .null : declared($0, items) })
    case (.map(let values), .object(let fields)): return .object(fields.mapValues { $0 == .null ? .null : declared($0, values) })
    default: return value
    }
}

private func declared(_ fields: [String: JSON], _ properties: [NamedSchema]) -> JSON {
    var out: [String: JSON] = [:]
    for p in properties {
        if let v = fields[p.name], v != .null { out[p.name] = declared(v, p.schema) }
    }
    return .object(out)
}

@Suite("Typed outputs: declared in manifests, decoded from providers' answers, checked, served as structured content")
struct ToolOutputTests {
    static let manifests = packageRoot.appendingPathComponent("Manifests").path

    @Test("every shipped output decodes its provider's recorded answer as the compiled Output; a reference validator agrees with keyway on each answer and on broken copies")
    func shippedOutputs() throws {
        let run = try KeywayRun.run(["tools", "--format", "json", "--manifests", Self.manifests])
        #expect(run.status == 0, "\(run.stderr)")
        let printed = try #require(try JSON(json: Data(run.stdout.utf8)).array)
        var outputs: [String: JSON] = [:]
        for entry in printed { if let schema = entry["output_schema"] { outputs[entry["name"]!.string!] = schema } }
        #expect(outputs.keys.sorted() == [
            "gmail_get_profile", "gmail_search_emails", "gmail_send_email", "google-calendar_create_event", "google-calendar_list_events",
            "hubspot_create_contact", "hubspot_create_deal", "hubspot_list_deals", "hubspot_search_contacts", "notion_search_pages",
            "slack_list_channels", "slack_list_users", "slack_send_message", "stripe_list_customers",
        ], "every shipped tool but Linear's GraphQL query (whose answer is the query's) declares its output")
        #expect(RecordedAnswers.tools == outputs.keys.sorted(), "each has a recorded answer")
        let registry = KeywayReferenceTools.AllTools.registry.tools
        #expect(Set(registry.keys) == Set(printed.map { $0["name"]!.string! }))
        for (name, tool) in registry { #expect(tool.outputSchema == outputs[name], "\(name): the compiled schema is the printed one") }

        // Each recording conforms, and decodes as the compiled Output to exactly its declared fields.
        for name in RecordedAnswers.tools {
            let tool = try #require(registry[name])
            let declaredContract = tool.outputContract
            let contract = try #require(declaredContract)
            let answer = try #require(RecordedAnswers.json(name), "\(name).json is JSON")
            #expect(contract.mismatch(in: answer) == nil, "\(name)")
            #expect(try decodedOutput(tool, answer) == declared(answer, ValueSchema(.object(properties: contract.fields))), "\(name)")
        }

        // Broken copies of each recording: the first required field left out, given a value
        // of another type, set to null; the answer an array. keyway's verdict, then the
        // reference validator's on the same documents.
        var documents: [JSON] = []
        var verdicts: [String] = []
        for name in RecordedAnswers.tools {
            let contract = registry[name]!.outputContract!
            let answer = RecordedAnswers.json(name)!
            guard case .object(let fields) = answer, let first = contract.fields.first(where: { !$0.schema.optional }) else { continue }
            var missing = fields; missing[first.name] = nil
            var retyped = fields; retyped[first.name] = first.schema.type == .string() ? .number(1) : .string("x")
            var nulled = fields; nulled[first.name] = .null
            for document in [JSON.object(missing), .object(retyped), .object(nulled), .array([answer])] {
                documents.append(.object(["schema": outputs[name]!, "answer": document]))
                verdicts.append(contract.mismatch(in: document).map { "\(name): '\($0.field)' \($0.reason)" } ?? "\(name): conforms")
            }
        }
        #expect(verdicts == [
            "gmail_get_profile: 'emailAddress' is missing",
            "gmail_get_profile: 'emailAddress' must be a string",
            "gmail_get_profile: 'emailAddress' is null (declare it nullable: true if the provider sends null)",
            "gmail_get_profile: '' must be an object",
            "gmail_send_email: 'id' is missing",
            "gmail_send_email: 'id' must be a string",
            "gmail_send_email: 'id' is null (declare it nullable: true if the provider sends null)",
            "gmail_send_email: '' must be an object",
            "google-calendar_create_event: 'id' is missing",
            "google-calendar_create_event: 'id' must be a string",
            "google-calendar_create_event: 'id' is null (declare it nullable: true if the provider sends null)",
            "google-calendar_create_event: '' must be an object",
            "hubspot_create_contact: 'id' is missing",
            "hubspot_create_contact: 'id' must be a string",
            "hubspot_create_contact: 'id' is null (declare it nullable: true if the provider sends null)",
            "hubspot_create_contact: '' must be an object",
            "hubspot_create_deal: 'id' is missing",
            "hubspot_create_deal: 'id' must be a string",
            "hubspot_create_deal: 'id' is null (declare it nullable: true if the provider sends null)",
            "hubspot_create_deal: '' must be an object",
            "hubspot_list_deals: 'results' is missing",
            "hubspot_list_deals: 'results' must be an array",
            "hubspot_list_deals: 'results' is null (declare it nullable: true if the provider sends null)",
            "hubspot_list_deals: '' must be an object",
            "hubspot_search_contacts: 'total' is missing",
            "hubspot_search_contacts: 'total' must be an integer",
            "hubspot_search_contacts: 'total' is null (declare it nullable: true if the provider sends null)",
            "hubspot_search_contacts: '' must be an object",
            "notion_search_pages: 'object' is missing",
            "notion_search_pages: 'object' must be a string",
            "notion_search_pages: 'object' is null (declare it nullable: true if the provider sends null)",
            "notion_search_pages: '' must be an object",
            "slack_list_channels: 'ok' is missing",
            "slack_list_channels: 'ok' must be a boolean",
            "slack_list_channels: 'ok' is null (declare it nullable: true if the provider sends null)",
            "slack_list_channels: '' must be an object",
            "slack_list_users: 'ok' is missing",
            "slack_list_users: 'ok' must be a boolean",
            "slack_list_users: 'ok' is null (declare it nullable: true if the provider sends null)",
            "slack_list_users: '' must be an object",
            "slack_send_message: 'ok' is missing",
            "slack_send_message: 'ok' must be a boolean",
            "slack_send_message: 'ok' is null (declare it nullable: true if the provider sends null)",
            "slack_send_message: '' must be an object",
            "stripe_list_customers: 'object' is missing",
            "stripe_list_customers: 'object' must be a string",
            "stripe_list_customers: 'object' is null (declare it nullable: true if the provider sends null)",
            "stripe_list_customers: '' must be an object",
        ])
        // Deeper breaks, and the nulls the contract allows.
        let stripe = RecordedAnswers.json("stripe_list_customers")!
        func edited(_ path: [String], _ index: Int, _ key: String, _ value: JSON?) -> JSON {
            guard case .object(var top) = stripe, case .array(var items)? = top[path[0]], case .object(var item) = items[index] else { return stripe }
            item[key] = value
            items[index] = .object(item)
            top[path[0]] = .array(items)
            return .object(top)
        }
        let deeper: [(JSON, String)] = [
            (edited(["data"], 1, "email", .number(7)), "'data[1].email' must be a string"),
            (edited(["data"], 0, "created", .number(1.5)), "'data[0].created' must be an integer"),
            (edited(["data"], 0, "metadata", .object(["k": .number(1)])), "'data[0].metadata.k' must be a string"),
            (edited(["data"], 0, "livemode", nil), "'data[0].livemode' is missing"),
            (edited(["data"], 0, "name", .null), "conforms"),
            (edited(["data"], 0, "name", nil), "conforms"),
            (edited(["data"], 0, "description", .string("VIP")), "conforms"),
        ]
        let contract = registry["stripe_list_customers"]!.outputContract!
        for (document, verdict) in deeper {
            documents.append(.object(["schema": outputs["stripe_list_customers"]!, "answer": document]))
            let seen = contract.mismatch(in: document).map { "'\($0.field)' \($0.reason)" } ?? "conforms"
            #expect(seen == verdict)
            verdicts.append(seen)
        }
        let notion = registry["notion_search_pages"]!.outputContract!
        var page = RecordedAnswers.json("notion_search_pages")!
        if case .object(var top) = page, case .array(var results)? = top["results"], case .object(var first) = results[0] {
            first["object"] = .string("block")
            results[0] = .object(first)
            top["results"] = .array(results)
            page = .object(top)
        }
        #expect(notion.mismatch(in: page) == OutputMismatch(field: "results[0].object", reason: "must be one of page, database, data_source"))
        documents.append(.object(["schema": outputs["notion_search_pages"]!, "answer": page]))
        verdicts.append("enum")

        // The reference validator (JSON Schema 2020-12) on the same documents: valid exactly
        // where keyway says the answer conforms; and every recording valid.
        #expect(Python.require(["jsonschema"]))
        let dir = TempDir()
        dir.write("documents.json", JSON.array(documents).jsonData)
        dir.write("recordings.json", JSON.array(RecordedAnswers.tools.map { .object(["schema": outputs[$0]!, "answer": RecordedAnswers.json($0)!]) }).jsonData)
        let check = Python.run(["-c", """
            import json, sys
            from jsonschema import Draft202012Validator
            for path in sys.argv[1:]:
                out = []
                for d in json.load(open(path)):
                    Draft202012Validator.check_schema(d["schema"])
                    out.append("valid" if Draft202012Validator(d["schema"]).is_valid(d["answer"]) else "invalid")
                print(" ".join(out))
            """, dir.path + "/documents.json", dir.path + "/recordings.json"])
        let lines = check.output.split(separator: "\n").map(String.init)
        try #require(lines.count == 2, "\(check.output)")
        #expect(lines[0] == verdicts.map { $0.hasSuffix("conforms") ? "valid" : "invalid" }.joined(separator: " "))
        #expect(lines[1] == Array(repeating: "valid", count: RecordedAnswers.tools.count).joined(separator: " "))
    }

    @Test("ToolExecutor.call returns the typed Output of a generated tool; an answer of another shape is unexpectedResponse naming the field, and never decoded")
    func typedCall() async throws {
        let stub = try StubNango()
        let broken = Counter()
        stub.onRequest { request in
            if request.query.contains(where: { $0 == ("limit", "3") }) {
                _ = broken.next()
                return StubNango.Reply(body: RecordedAnswers.text("stripe_list_customers")!.replacingOccurrences(of: #""email": null"#, with: #""email": 7"#))
            }
            return StubNango.Reply(body: RecordedAnswers.body(for: request, fallback: #"{"data": {"issues": {"nodes": []}}}"#))
        }
        let resolver = InMemoryConnectionResolver()
        await resolver.set(owner: "t", providerConfigKey: "stripe", ResolvedConnection(connectionID: "c-stripe"))
        await resolver.set(owner: "t", providerConfigKey: "linear", ResolvedConnection(connectionID: "c-linear"))
        let executor = ToolExecutor(client: NangoClient(secretKey: "k", baseURL: stub.baseURL), resolver: resolver, registry: AllTools.registry)
        let tenant = Tenant(user: "t")

        let customers = try await executor.call(Stripe.ListCustomers.self, .init(limit: 2), tenant: tenant)
        #expect(customers == Stripe.ListCustomers.Output(object: "list", url: "/v1/customers", hasMore: false, data: [
            .init(id: "cus_NffrFeUfNV2Hib", object: "customer", created: 1680893993, email: "jennyrosen@example.com", name: "Jenny Rosen", description: nil,
                  livemode: false, metadata: ["crm_id": "51"]),
            .init(id: "cus_NffrGbWxOTzQ3e", object: "customer", created: 1680893001, email: nil, name: nil, description: "Imported", livemode: false, metadata: [:]),
        ]))
        await #expect(throws: ToolFailure.unexpectedResponse(field: "data[1].email", reason: "must be a string")) {
            try await executor.call(Stripe.ListCustomers.self, .init(limit: 3), tenant: tenant)
        }
        #expect(await executor.execute(tool: "stripe_list_customers", arguments: Data(#"{"limit": 3}"#.utf8), tenant: tenant)
                == .failure(.unexpectedResponse(field: "data[1].email", reason: "must be a string")))
        // A tool that declares no output answers its JSON.
        let issues: JSON = try await executor.call(Linear.QueryIssues.self, .init(query: "{ issues { nodes { id } } }"), tenant: tenant)
        #expect(issues == .object(["data": .object(["issues": .object(["nodes": .array([])])])]))
        #expect(stub.requests.map(\.target) == ["/proxy/v1/customers?limit=2", "/proxy/v1/customers?limit=3", "/proxy/v1/customers?limit=3", "/proxy/graphql"])
        #expect(broken.next() == 3, "the broken answer was not retried: a GET answered 200 is final")
    }

    @Test("over MCP (the Python SDK, which validates structured content against outputSchema): an answer that conforms is structured content; one that does not is an error result whose details are in _meta, never in structuredContent")
    func overMCP() async throws {
        try #require(Python.require(["mcp"]))
        let dir = TempDir()
        let stub = try StubNango()
        stub.onRequest { request in
            let recorded = RecordedAnswers.body(for: request, fallback: "{}")
            // limit=3: Stripe answers with an email that is a number.
            return StubNango.Reply(body: request.query.contains { $0 == ("limit", "3") } ? recorded.replacingOccurrences(of: #""email": null"#, with: #""email": 7"#) : recorded)
        }
        dir.write("connections.json", JSON.obj(["tenant-a": .obj(["stripe": "conn-stripe".json])]).jsonData)
        let output = try await MCPClient.run(.obj([
            "transport": "stdio".json, "errlog": (dir.path + "/server.err").json,
            "command": .array([KeywayRun.binary.path, "mcp", "--manifests", Self.manifests, "--connections", dir.path + "/connections.json", "--owner", "tenant-a"].map(JSON.string)),
            "env": .obj(["NANGO_SECRET_KEY": "nango-secret".json, "KEYWAY_NANGO_URL": stub.baseURL.absoluteString.json]),
            "steps": .array([
                .obj(["op": "call".json, "name": "stripe_list_customers".json, "arguments": .obj(["limit": .number(2)])]),
                .obj(["op": "call".json, "name": "stripe_list_customers".json, "arguments": .obj(["limit": .number(3)])]),
                .obj(["op": "call".json, "name": "hubspot_create_deal".json, "arguments": .obj(["properties": .obj(["dealname": "x".json])])]),
            ]),
        ]), in: dir)
        let answer = try #require(RecordedAnswers.json("stripe_list_customers"))
        let message = "The provider answered, but not as the tool declares: 'data[1].email' must be a string. The provider may have acted on the call; tell the user, and do not repeat it blindly."
        #expect(output["steps"] == .array([
            .obj(["content": .array([.obj(["type": "text".json, "text": .string(String(decoding: answer.jsonData, as: UTF8.self))])]), "structuredContent": answer]),
            .obj(["content": .array([.obj(["type": "text".json, "text": message.json])]), "isError": .bool(true),
                  "_meta": .obj(["keyway/error": .obj(["kind": "unexpected_response".json, "message": message.json, "field": "data[1].email".json, "reason": "must be a string".json])])]),
            .obj(["content": .array([.obj(["type": "text".json, "text": "This user has not connected hubspot. Ask them to connect hubspot, then call the tool again.".json])]), "isError": .bool(true),
                  "_meta": .obj(["keyway/error": .obj(["kind": "not_connected".json, "message": "This user has not connected hubspot. Ask them to connect hubspot, then call the tool again.".json, "integration": "hubspot".json])])]),
        ]), "\(output)")
        #expect(output["stderr"] == .string("""
            keyway mcp: not serving gmail_send_email: its request is built by hand-written Swift (request: custom), which only an app compiling the generated Swift beside that builder can serve (KeywayMCP)
            keyway mcp: serving 14 tools to tenant-a on stdio
            keyway mcp: tenant-a stripe_list_customers: ok
            keyway mcp: tenant-a stripe_list_customers: unexpected_response
            keyway mcp: tenant-a hubspot_create_deal: not_connected

            """))
        #expect(stub.requests.map(\.target) == ["/proxy/v1/customers?limit=2", "/proxy/v1/customers?limit=3"])
    }

    @Test("output mistakes in a manifest are errors at their line, saying what to do")
    func manifestErrors() throws {
        let connector = Fixture.connector + """
                output:
                  id: { type: string, default: x }
                  size: { type: integer, minimum: 1 }
                  when: { type: date }
                  labels: { type: array, items: { type: string, in: query } }
                  1bad: { type: string }
                  fine: { type: object, nullable: true, optional: true, properties: { a: { type: string, nullable: true } } }

            """
        let folder = Fixture.folder(connector: connector.replacing1("to: { type: string, format: email, description: Recipient }", "to: { type: string, format: email, description: Recipient, nullable: true }"))
        #expect(Fixture.diagnostics(folder).map(\.formatted) == [
            "connectors/mail.yaml:13:66: error: unknown key 'nullable' in input 'to'; allowed keys: type, format, description, optional, default, enum, items, properties, values, minimum, maximum, min_length, max_length, pattern, multiple_of, in, wire, style",
            "connectors/mail.yaml:15:27: error: unknown key 'default' in output field 'id'; allowed keys: type, format, description, optional, nullable, enum, items, properties, values",
            "connectors/mail.yaml:16:30: error: unknown key 'minimum' in output field 'size'; allowed keys: type, format, description, optional, nullable, enum, items, properties, values",
            "connectors/mail.yaml:17:21: error: unknown output type 'date'; use one of: string, integer, number, boolean, array, object",
            "connectors/mail.yaml:18:53: error: unknown key 'in' in 'items'; allowed keys: type, format, description, optional, nullable, enum, items, properties, values",
            "connectors/mail.yaml:19:7: error: output field names must match ^[A-Za-z_][A-Za-z0-9_.-]{0,63}$, not '1bad'",
        ])
    }
}
