import Foundation
import KeywayCore
import KeywayEmit
import KeywayHostileFixture
import KeywayLoad
import KeywayManifestTools
import KeywayMigrations
import KeywayModel
import KeywayReferenceTools
import KeywayRuntime
import KeywayValidate
import KeywayFiles
import Testing

/// `Tests/HostileGenerated/Swift` is keyway's output for `Tests/Fixtures/HostileManifests`
/// and is compiled as the `KeywayHostileFixture` target: if escaping broke, the package
/// would not build. These tests check that it is fresh and holds the strings exactly.
@Suite("Hostile manifests compile into Swift that keeps every string")
struct HostileFixtureTests {
    static let manifests = packageRoot.appendingPathComponent("Tests/Fixtures/HostileManifests").path
    static let generated = packageRoot.appendingPathComponent("Tests/HostileGenerated").path

    @Test("the compiled fixture is what keyway generates today")
    func fresh() throws {
        let roots = try Pipeline.outputRoots(generateFiles(Self.manifests), config: ProjectConfig(output: Self.generated))
        #expect(roots.map(\.folder) == [Self.generated])
        for file in roots.flatMap(\.files) {
            let onDisk = FileManager.default.contents(atPath: Self.generated + "/" + file.path)
            #expect(onDisk == Data(file.contents.utf8), "Tests/HostileGenerated/\(file.path) is stale: swift run keyway generate --manifests Tests/Fixtures/HostileManifests --output Tests/HostileGenerated --swift-output Tests/HostileGenerated/Swift")
        }
    }

    @Test("the compiled strings equal the manifests' byte for byte")
    func stringsKept() throws {
        let catalog = try #require(Pipeline.validate(manifests: Self.manifests).catalog)
        let integration = catalog.integrations[0]
        let info = KeywayHostileFixture.Integration.allCases[0].info
        #expect(info.name == integration.name && info.category == integration.category && info.description == integration.description)
        #expect(info.grantedScopes.map(\.scope) == integration.auth.scopes.map(\.scope))
        #expect(info.grantedScopes.map(\.reason) == integration.auth.scopes.map(\.reason))
        let tool = catalog.connectors[0].tools[0]
        #expect(Data_.Default.description == tool.description)
        #expect(Data_.Default.scopes == tool.scopes)
        #expect(Data_.Default.inputSchema["properties"]?["class"]?["enum"] == .array([.string("a\"b"), .string("c\\d"), .string("\u{202E}")]))
        #expect(info.description.unicodeScalars.contains("\u{202E}") && info.description.contains("\n"))
        // log: as the manifest says it, and the default for the tools that say nothing.
        #expect(catalog.connectors[0].tools.map(\.callLog) == [.none, .none, CallLogPolicy(arguments: true, response: false, maxBytes: 65_536)])
        #expect([Data_.Default.callLog, Data_.Init.callLog, Data_.Protocol_.callLog] == catalog.connectors[0].tools.map(\.callLog))
        // The generated source itself holds no raw bidirectional or control character.
        for path in ["Swift/IntegrationCatalog.swift", "Swift/Tools/Data_.swift"] {
            let source = try String(contentsOfFile: Self.generated + "/" + path, encoding: .utf8)
            #expect(!source.unicodeScalars.contains { $0 != "\n" && ($0.properties.generalCategory == .control || $0.properties.generalCategory == .format) })
        }
    }

    @Test("keyword-named inputs decode, validate and map to the request by their JSON names")
    func keywordInputs() throws {
        let json = #"{"self": "s/1", "class": "c\\d", "validate": false, "init": 4, "in": "h", "Type": {"default": "https://example.com", "protocol": ["a@b.co"]}}"#
        let input = try JSONDecoder().decode(Data_.Default.Input.self, from: Data(json.utf8))
        try Data_.Default.check(input)
        #expect(input.self_ == "s/1" && input.class == "c\\d" && input.validate_ == false && input.init_ == 4 && input.in == "h")
        let request = try Data_.Default.makeRequest(input)
        #expect(request.path == "/v1/s%2F1/items")
        #expect(request.headers.contains { $0.name == "in" && $0.value == "h" })
        let body = try KeywayRuntime.JSONValue(json: try #require(request.body))
        #expect(body == .object(["class": .string("c\\d"), "validate": .bool(false), "init\"]);exit(1)//\u{202E}\\(x)$": .number(4),
                                 "Type": .object(["default": .string("https://example.com"), "protocol": .array([.string("a@b.co")])])]))
        var bad = input
        bad.class = "z"
        #expect(throws: ToolFailure.invalidInput(field: "class", reason: "must be one of a\"b, c\\d, \u{202E}")) { try Data_.Default.check(bad) }
    }
}

/// One declaration of each tool's input: the contract the generated Swift carries as a
/// literal is, value for value, the one the validator read from the manifest, for every
/// tool of the shipped manifests and of the hostile ones (keyword names, escapes, every
/// constraint); and `keyway mcp`'s tools carry the same value.
@Suite("The compiled input contracts are the manifests'")
struct CompiledContractTests {
    static func contracts(_ manifests: String) throws -> [String: InputContract] {
        let catalog = try #require(Pipeline.validate(manifests: manifests).catalog)
        var out: [String: InputContract] = [:]
        for connector in catalog.connectors {
            for tool in connector.tools { out[connector.modelName(of: tool)] = tool.inputContract }
        }
        return out
    }

    @Test("Manifests/ against KeywayReferenceTools, and Tests/Fixtures/HostileManifests against KeywayHostileFixture")
    func sameValues() throws {
        for (manifests, registry) in [(packageRoot.appendingPathComponent("Manifests").path, KeywayReferenceTools.AllTools.registry),
                                      (HostileFixtureTests.manifests, KeywayHostileFixture.AllTools.registry)] {
            let expected = try Self.contracts(manifests)
            #expect(Set(registry.tools.keys) == Set(expected.keys))
            for (name, tool) in registry.tools {
                #expect(tool.inputContract == expected[name], "\(name)")
                #expect(tool.inputSchema == expected[name]?.jsonSchema, "\(name)")
            }
            let described = ManifestTools.describe(try #require(Pipeline.validate(manifests: manifests).catalog))
            for tool in described.tools { #expect(tool.inputContract == expected[tool.qualifiedName], "\(tool.qualifiedName)") }
        }
    }
}
