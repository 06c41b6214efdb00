import Foundation
import KeywayCore
import KeywayReferenceTools
import KeywayHostileFixture
import KeywayManifestTools
import KeywayRuntime
import Testing

typealias JSON = KeywayRuntime.JSONValue

/// Records what the executor sends instead of sending it (`{}` with 200 comes back).
final class RecordingTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var sent: [String] = []

    var requests: [String] { lock.withLock { sent } }

    func send(_ request: KeywayRuntime.HTTPRequest) async throws -> HTTPResponse {
        let headers = request.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
        let line = "\(request.method) \(request.url.absoluteString)\n\(headers)\n\n" + String(decoding: request.body ?? Data(), as: UTF8.self)
        lock.withLock { sent.append(line) }
        return HTTPResponse(status: 200, headers: [:], body: Data("{}".utf8))
    }
}

@Suite("Tools built from manifests behave as the compiled ones")
struct ManifestToolsTests {
    /// Arguments a model might send: the sample, then every property removed, nulled or
    /// replaced by values of each kind, in range and out, at every depth.
    static func variants(_ schema: JSON) -> [JSON] {
        let sample = sampleArguments(schema)
        let replacements: [JSON] = [
            .null, "x".json, "".json, .number(1.5), .number(-1), .number(0), .number(7), .number(1e6), .number(1e19), .bool(true),
            .array([]), .array(["a,b".json]), .array([.number(2.5)]), .array([.null]), .array(Array(repeating: "z".json, count: 4)),
            .obj([:]), .obj(["k": .number(1)]), .obj(["k": "v".json]), "not-an-email".json, "2026-02-30".json, "2026-01-31".json,
            "ada@example.com".json, "https://example.com/".json, "line\nbreak".json, String(repeating: "y", count: 600).json, "ab(x)".json,
        ]
        var out: [JSON] = [sample, .obj([:]), .null, .array([]), "x".json, sample.merging(["connection_id": "conn-other".json])]
        func walk(_ value: JSON, _ rebuild: @escaping (JSON?) -> JSON) {
            switch value {
            case .object(let fields):
                for key in fields.keys.sorted() {
                    let inner = { (new: JSON?) -> JSON in
                        var copy = fields
                        copy[key] = new
                        return rebuild(.object(copy))
                    }
                    out.append(inner(nil))
                    for r in replacements { out.append(inner(r)) }
                    walk(fields[key]!, inner)
                }
            case .array(let items) where !items.isEmpty:
                let inner = { (new: JSON?) -> JSON in rebuild(.array(new.map { [$0, items[0]] } ?? [])) }
                for r in replacements { out.append(inner(r)) }
                walk(items[0]) { new in rebuild(.array(new.map { [$0] } ?? [])) }
            default: break
            }
        }
        walk(sample) { $0 ?? .null }
        return out
    }

    func compare(_ compiled: [any AgentTool.Type], manifests: String) async throws -> Int {
        let catalog = try #require(Pipeline.validate(manifests: manifests).catalog)
        let described = ManifestTools.describe(catalog)
        let compiledTransport = RecordingTransport(), describedTransport = RecordingTransport()
        let resolver = InMemoryConnectionResolver()
        for integration in catalog.integrations { await resolver.set(owner: "t", providerConfigKey: integration.key, ResolvedConnection(connectionID: "c-\(integration.key)")) }
        let a = ToolExecutor(client: NangoClient(secretKey: "k", transport: compiledTransport), resolver: resolver, registry: ToolRegistry(compiled))
        let b = ToolExecutor(client: NangoClient(secretKey: "k", transport: describedTransport), resolver: resolver, registry: ToolRegistry([], described: described.tools))
        #expect(ToolRegistry([], described: described.tools).definitions == ToolRegistry(compiled.filter { !described.custom.contains($0.qualifiedName) }).definitions)
        var count = 0
        for tool in described.tools {
            for arguments in Self.variants(tool.inputSchema) {
                let data = arguments == .null ? Data() : arguments.jsonData
                let expected = await a.execute(tool: tool.qualifiedName, arguments: data, owner: "t")
                let actual = await b.execute(tool: tool.qualifiedName, arguments: data, owner: "t")
                #expect(actual == expected, "\(tool.qualifiedName) \(String(decoding: data, as: UTF8.self))")
                count += 1
            }
        }
        #expect(describedTransport.requests.count == compiledTransport.requests.count)
        #expect(describedTransport.requests == compiledTransport.requests)
        return count
    }

    @Test("the shipped tools: the same failures (field and reason) and the same requests, byte for byte, over more than a thousand arguments")
    func shipped() async throws {
        let count = try await compare(KeywayReferenceTools.AllTools.tools, manifests: packageRoot.appendingPathComponent("Manifests").path)
        #expect(count > 1000)
    }

    @Test("the hostile fixture's tools (keyword names, hostile wire names, form bodies, maps of objects) behave alike too")
    func hostile() async throws {
        let count = try await compare(KeywayHostileFixture.AllTools.tools, manifests: packageRoot.appendingPathComponent("Tests/Fixtures/HostileManifests").path)
        #expect(count > 200)
    }

    @Test("a custom tool is not described; integer fields name a fraction for what it is")
    func customAndIntegers() async throws {
        let described = ManifestTools.describe(try #require(Pipeline.validate(manifests: packageRoot.appendingPathComponent("Manifests").path).catalog))
        #expect(described.custom == ["gmail_send_email"])
        #expect(described.tools.map(\.qualifiedName) == KeywayReferenceTools.AllTools.registry.tools.keys.sorted().filter { $0 != "gmail_send_email" })
        let resolver = InMemoryConnectionResolver()
        let executor = ToolExecutor(client: NangoClient(secretKey: "k", transport: RecordingTransport()), resolver: resolver, registry: KeywayReferenceTools.AllTools.registry)
        #expect(await executor.execute(tool: "gmail_search_emails", arguments: Data(#"{"q": "x", "maxResults": 2.5}"#.utf8), owner: "t")
                == .failure(.invalidInput(field: "maxResults", reason: "must be an integer")))
    }
}

extension JSON {
    func merging(_ other: [String: JSON]) -> JSON {
        guard case .object(let fields) = self else { return self }
        return .object(fields.merging(other) { _, new in new })
    }
}

extension KeywayRuntime.JSONValue {
    /// Builds an object from pairs (tests write plans and expectations with it).
    static func obj(_ pairs: KeyValuePairs<String, KeywayRuntime.JSONValue>) -> KeywayRuntime.JSONValue {
        .object(Dictionary(pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }))
    }

    var array: [KeywayRuntime.JSONValue]? { if case .array(let items) = self { items } else { nil } }
    var string: String? { if case .string(let s) = self { s } else { nil } }
}

extension String {
    var json: KeywayRuntime.JSONValue { .string(self) }
}
