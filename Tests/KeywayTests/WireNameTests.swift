import Foundation
import KeywayCore
import KeywayEmit
import KeywayHostileFixture
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayRuntime
import KeywayValidate
import KeywayFiles
import Testing

/// `wire:`: the name an input has in the query, a header or the body when it is not a
/// Swift-safe input name (`expand[]`, `Notion-Version`, `$filter`).
@Suite("Wire names")
struct WireNameTests {
    /// The shared fixture connector with one more tool, `things`, whose inputs are given.
    static func connector(_ inputs: String, method: String = "GET") -> String {
        let inputs = inputs.split(separator: "\n").map { "      " + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
        return Fixture.connector + """
          - name: things
            description: Things
            method: \(method)
            endpoint: /v1/{id}/things
            input:
              id: { type: string }
        \(inputs)
        """
    }

    @Test("every misuse is an error at the wire name, with what to do")
    func validation() throws {
        let dir = Fixture.folder(connector: Self.connector("""
                  expand:  { type: string, optional: true, wire: "expand[]" }
                  filter:  { type: string, optional: true, wire: "expand[]" }
                  version: { type: string, in: header, wire: "Notion Version" }
                  token:   { type: string, in: header, optional: true, wire: "X(Token)" }
                  key:     { type: string, in: header, optional: true, wire: "Idempotency-Key" }
                  other:   { type: string, in: header, optional: true, wire: "idempotency-key" }
                  same:    { type: string, optional: true, wire: same }
                  extra:   { type: string, in: path, wire: x }
                  blank:   { type: string, optional: true, wire: "" }
          """))
        #expect(Fixture.diagnostics(dir).map(\.formatted) == [
            "connectors/mail.yaml:21:54: error: wire name 'expand[]' is also input 'expand''s in the query; each input needs its own",
            "connectors/mail.yaml:22:50: error: 'wire' must not contain spaces or control characters",
            "connectors/mail.yaml:23:66: error: a header name is letters, digits and !#$%&'*+-.^_`|~ only (RFC 9110), not 'X(Token)'",
            "connectors/mail.yaml:25:66: error: wire name 'idempotency-key' is also input 'key''s in the header; each input needs its own",
            "connectors/mail.yaml:26:54: error: 'wire' is the input's own name; remove it",
            "connectors/mail.yaml:27:36: error: input 'extra' goes in the path, but the endpoint has no '{extra}'; add it to the endpoint or change 'in'",
            "connectors/mail.yaml:27:48: error: input 'extra' goes in the path, where it is named by its '{extra}' placeholder; remove 'wire'",
            "connectors/mail.yaml:28:54: error: 'wire' must be 1 to 128 characters",
        ])
        let fine = Fixture.folder(connector: Self.connector("""
                  expand:  { type: string, optional: true, wire: "expand[]" }
                  filter:  { type: string, optional: true, wire: "$filter" }
                  version: { type: string, in: header, wire: Notion-Version }
          """))
        #expect(Fixture.diagnostics(fine) == [])
        let things = try #require(fine.validate().catalog?.connectors[0].tools[1])
        #expect(things.inputs.map { "\($0.name)→\($0.wireName)@\($0.placement.rawValue)" } == ["id→id@path", "expand→expand[]@query", "filter→$filter@query", "version→Notion-Version@header"])
    }

    /// A tool written the way the generator writes one.
    struct Things: StandardRequestTool {
        static let qualifiedName = "things_list"
        static let name = "list"
        static let description = "List things"
        static let method = KeywayRuntime.HTTPMethod.GET
        static let endpoint = "/v1/things"
        static let scopes: [String] = []
        static let providerConfigKey = "things"
        static let inputContract: KeywayRuntime.InputContract = [
            .init("expand", .string(), optional: true, in: .query, wire: "expand[]"),
            .init("filter", .string(), optional: true, in: .query, wire: "$filter"),
            .init("version", .string(), in: .header, wire: "Notion-Version"),
        ]
        struct Input: KeywayRuntime.ToolInput {
            var expand: String?
            var filter: String?
            var version: String
        }
    }

    @Test("the provider receives the wire names: query, Nango-Proxy header and body, exactly")
    func onTheWire() async throws {
        let request = try Things.makeRequest(.init(expand: "data.customer", filter: "name eq 'x'", version: "2022-06-28"))
        #expect(request.query.map { "\($0.name)=\($0.value)" } == ["expand[]=data.customer", "$filter=name eq 'x'"])
        #expect(request.headers.map { "\($0.name): \($0.value)" } == ["Notion-Version: 2022-06-28"])
        let stub = try StubNango()
        _ = try await NangoClient(secretKey: "k", baseURL: stub.baseURL).proxy(request, connectionID: "c", providerConfigKey: "things")
        let sent = try #require(stub.requests.first)
        #expect(sent.query.map { "\($0.0)=\($0.1)" } == ["expand[]=data.customer", "$filter=name eq 'x'"])
        #expect(sent.header("Nango-Proxy-Notion-Version") == "2022-06-28")
        // A hostile wire name in the body of the compiled fixture: a JSON key, byte for byte.
        let hostile = try KeywayHostileFixture.Data_.Default.makeRequest(.init(self_: "s", init_: 7))
        let body = try JSONSerialization.jsonObject(with: try #require(hostile.body)) as? [String: Any]
        #expect(body?["init\"]);exit(1)//\u{202E}\\(x)$"] as? Int == 7 && body?["init"] == nil)
    }
}
