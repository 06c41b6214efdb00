import Foundation
import KeywayContract
import KeywayCore
@testable import KeywayEmit
import KeywayReferenceTools
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayValidate
import KeywayFiles
import Testing

/// `catalog.json` read back with a JSON parser.
struct CatalogJSON: Decodable, Equatable {
    struct Integration: Decodable, Equatable {
        var id, provider, name, category, description, auth_mode: String
        var scopes: [Scope]
        var connectors: [Connector]
    }
    struct Scope: Decodable, Equatable { var scope, reason: String }
    struct Connector: Decodable, Equatable {
        var slug, name: String
        var multiple_connections: Bool
        var tools: [Tool]
    }
    struct Tool: Decodable, Equatable { var name, description, method, endpoint: String; var scopes: [String] }
    var integrations: [Integration]

    /// What the JSON must say, straight from the model.
    init(_ catalog: Catalog) {
        integrations = catalog.integrations.map { i in
            Integration(id: i.key, provider: i.provider, name: i.name, category: i.category, description: i.description,
                        auth_mode: i.auth.mode.rawValue, scopes: i.auth.scopes.map { Scope(scope: $0.scope, reason: $0.reason) },
                        connectors: catalog.connectors(of: i).map { c in
                            Connector(slug: c.slug, name: c.name, multiple_connections: c.multipleConnections, tools: c.tools.map {
                                Tool(name: $0.name, description: $0.description, method: $0.method.rawValue, endpoint: $0.endpoint, scopes: $0.scopes)
                            })
                        })
        }
    }
}

/// Strings that would break a naive emitter of Swift, JSON or Markdown.
let hostileStrings = [
    "quote \" and backslash \\ and interpolation \\(exit(1)) and raw #\"x\"#",
    "triple \"\"\" quotes */ /* comment // line",
    "new\nline\r\ttab and NUL-free control \u{7}",
    "RTL \u{202E}override\u{202C} and isolate \u{2066}x\u{2069} zero\u{200B}width",
    "line\u{2028}separator </script> ]]> \"}]} emoji 🙂 accents é",
    "private use \u{E000} and beyond the BMP \u{F0001}, unassigned \u{0378}",
]

@Suite("The integration catalog emitter")
struct CatalogEmitterTests {
    static let manifests = packageRoot.appendingPathComponent("Manifests").path

    @Test("catalog.json read back equals the model")
    func jsonRoundTrip() throws {
        let catalog = try #require(Pipeline.validate(manifests: Self.manifests).catalog)
        let files = try generateFiles(Self.manifests)
        let json = try #require(files.first { $0.path == "catalog.json" })
        let decoded = try JSONDecoder().decode(CatalogJSON.self, from: Data(json.contents.utf8))
        #expect(decoded == CatalogJSON(catalog))
        #expect(decoded.integrations.count == 7)
    }

    @Test("the compiled Swift catalog equals the model")
    func swiftRoundTrip() throws {
        let catalog = try #require(Pipeline.validate(manifests: Self.manifests).catalog)
        #expect(KeywayReferenceTools.Integration.allCases.map(\.rawValue) == catalog.integrations.map(\.key))
        for (generated, model) in zip(KeywayReferenceTools.Integration.allCases, catalog.integrations) {
            let info = generated.info
            #expect(info.id == model.key && info.provider == model.provider && info.name == model.name)
            #expect(info.category == model.category && info.description == model.description)
            #expect(info.authMode.rawValue == model.auth.mode.rawValue)
            #expect(info.grantedScopes.map(\.scope) == model.auth.scopes.map(\.scope))
            #expect(info.grantedScopes.map(\.reason) == model.auth.scopes.map(\.reason))
            let connectors = catalog.connectors(of: model)
            #expect(info.connectors.map(\.slug) == connectors.map(\.slug))
            #expect(info.tools.map(\.name) == connectors.flatMap(\.tools).map(\.name))
            #expect(info.tools.map(\.scopes) == connectors.flatMap(\.tools).map(\.scopes))
            #expect(info.tools.map(\.endpoint) == connectors.flatMap(\.tools).map(\.endpoint))
        }
    }

    @Test("Generated/ and the reference tools are what the shipped manifests generate (keyway check), where keyway.yaml puts them")
    func generatedIsFresh() throws {
        let config = try Pipeline.projectConfig(path: packageRoot.appendingPathComponent("keyway.yaml").path)
        let roots = try Pipeline.outputRoots(Pipeline.generate(manifests: config.manifests, templates: Pipeline.templates(overrides: nil), config: config).files, config: config)
        #expect(roots.map(\.folder) == [packageRoot.path + "/Generated", packageRoot.path + "/Tests/ReferenceTools/Generated"])
        for root in roots {
            for file in root.files {
                let path = root.folder + "/" + file.path
                #expect(FileManager.default.contents(atPath: path) == Data(file.contents.utf8), "\(path) is stale: run swift run keyway generate")
            }
        }
    }

    /// A fixture whose every free-text field is hostile.
    static func hostileFolder(_ text: String) -> TempDir {
        let yamlText = "\"" + text.unicodeScalars.map { s -> String in
            switch s {
            case "\"": return "\\\""
            case "\\": return "\\\\"
            case "\n": return "\\n"
            case "\r": return "\\r"
            case "\t": return "\\t"
            default: return s.value < 0x20 || (0x7F...0x9F).contains(s.value) || s.properties.generalCategory == .format || s.value == 0x2028
                ? String(format: "\\u%04X", s.value) : String(s)
            }
        }.joined() + "\""
        return Fixture.folder(
            integration: Fixture.integration.replacing1("name: Mail", "name: \(yamlText)").replacing1("reason: Agents send email", "reason: \(yamlText)"),
            connector: Fixture.connector.replacing1("description: Send an email", "description: \(yamlText)"))
    }

    @Test("hostile strings survive the JSON round trip byte for byte", arguments: hostileStrings)
    func hostileJSON(_ text: String) throws {
        let dir = Self.hostileFolder(text)
        let files = try withExtendedLifetime(dir) { try generateFiles(dir.path) }
        let json = try #require(files.first { $0.path == "catalog.json" })
        let decoded = try JSONDecoder().decode(CatalogJSON.self, from: Data(json.contents.utf8))
        #expect(decoded.integrations[0].name == text)
        #expect(decoded.integrations[0].scopes[0].reason == text)
        #expect(decoded.integrations[0].connectors[0].tools[0].description == text)
    }

    @Test("string literals and JSON values are written exactly, escapes included")
    func literalBytes() {
        let text = "q\" b\\ \n\r\t \u{7} \u{202E} 🙂 é \u{F0001}"
        #expect(Literal.swift(text) == #""q\" b\\ \n\r\t \u{7} \u{202E} 🙂 é \u{F0001}""#)
        #expect(Literal.json(text) == #""q\" b\\ \n\r\t \u0007 \u202e 🙂 é \udb80\udc01""#)
        #expect(Literal.swift("plain") == "\"plain\"" && Literal.json("") == "\"\"")
        let value = OrderedJSON.object([("a", .array([.integer(1), .number(2.5), .number(3), .bool(true)])), ("b\"", .object([])),
                                        ("c", .array([])), ("d", .object([("e", .string("x\u{202E}"))]))])
        #expect(value.json(indent: nil) == #"{"a": [1, 2.5, 3, true], "b\"": {}, "c": [], "d": {"e": "x\u202e"}}"#)
        #expect(value.json() == """
            {
              "a": [
                1,
                2.5,
                3,
                true
              ],
              "b\\"": {},
              "c": [],
              "d": {
                "e": "x\\u202e"
              }
            }
            """)
        let contract: [InputField] = [
            .init("q\"", .string(format: .dateTime), description: "x\u{202E}", optional: true, default: .string("a"), enum: [.string("a"), .string("b")],
                  constraints: [.minLength(1), .maxLength(2), .pattern("^[a-z]$")], in: .query, wire: "q[]"),
            .init("n", .number, constraints: [.minimum(0.5), .maximum(1e20), .multipleOf(0.25)], in: .body),
            .init("tags", .array(items: .init(.integer, constraints: [.minimum(-1)])), in: .query, style: .comma),
            .init("o", .object(properties: [.init("m", .map(values: .init(.boolean))), .init("e", .object(properties: []))]), in: .body),
        ]
        #expect(ContractLiteral.render(contract, indent: 3) == """
            [
                        .init("q\\"", .string(format: .dateTime), description: "x\\u{202E}", optional: true, default: .string("a"), enum: [.string("a"), .string("b")], constraints: [.minLength(1), .maxLength(2), .pattern("^[a-z]$")], in: .query, wire: "q[]"),
                        .init("n", .number, constraints: [.minimum(0.5), .maximum(1e+20), .multipleOf(0.25)], in: .body),
                        .init("tags", .array(items: .init(.integer, constraints: [.minimum(-1)])), in: .query, style: .comma),
                        .init("o", .object(properties: [
                            .init("m", .map(values: .init(.boolean))),
                            .init("e", .object(properties: [])),
                        ]), in: .body),
                    ]
            """)
        #expect(ContractLiteral.render([], indent: 3) == "[]")
    }

    @Test("generated files carry no raw control or bidirectional characters")
    func noInvisibleCharacters() throws {
        let dir = Self.hostileFolder(hostileStrings.joined(separator: " "))
        let files = try withExtendedLifetime(dir) { try generateFiles(dir.path) }
        for file in files {
            let bad = file.contents.unicodeScalars.filter { $0 != "\n" && ($0.properties.generalCategory == .control || $0.properties.generalCategory == .format || $0.value == 0x2028) }
            #expect(bad.isEmpty, "\(file.path) holds \(bad.map { String($0.value, radix: 16) })")
        }
    }

    @Test("hostile strings compile into Swift that keeps them byte for byte")
    func hostileSwiftCompiles() throws {
        let text = hostileStrings.joined(separator: " | ")
        let dir = Self.hostileFolder(text)
        let files = try withExtendedLifetime(dir) { try generateFiles(dir.path) }
        let swift = try #require(files.first { $0.path == "IntegrationCatalog.swift" })
        let data = try compileAndRun(swift.contents, main: """
            import Foundation
            let i = Integration.allCases[0].info
            let strings = [i.name, i.grantedScopes[0].reason, i.tools[0].description]
            FileHandle.standardOutput.write(try! JSONEncoder().encode(strings))
            """)
        #expect(try JSONDecoder().decode([String].self, from: data) == [text, text, text])
    }

    @Test("keys that are Swift keywords or start with digits compile, and lists may be empty")
    func keywordKeysCompile() throws {
        let keys = ["default", "class", "self", "init", "info", "type", "protocol", "any", "rawvalue", "1password", "true", "nil", "some", "async"]
        let dir = TempDir()
        for key in keys {
            dir.write("integrations/\(key).yaml", "key: \(key)\nprovider: p-\(key)\nname: N\ncategory: Project Management\ndescription: D\nauth:\n  mode: API_KEY\n")
        }
        let files = try withExtendedLifetime(dir) { try generateFiles(dir.path) }
        let swift = try #require(files.first { $0.path == "IntegrationCatalog.swift" })
        let data = try compileAndRun(swift.contents, main: """
            import Foundation
            FileHandle.standardOutput.write(try! JSONEncoder().encode(Integration.allCases.map { $0.info.id }))
            """)
        #expect(try JSONDecoder().decode([String].self, from: data) == keys.sorted())
    }

    /// Compiles a generated Swift file with a `main.swift` using it, runs it, returns its output.
    func compileAndRun(_ generated: String, main: String) throws -> Data {
        let work = TempDir()
        work.write("IntegrationCatalog.swift", generated)
        work.write("main.swift", main)
        let swiftc = Process()
        swiftc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        swiftc.arguments = ["swiftc", "-o", work.path + "/probe", work.path + "/IntegrationCatalog.swift", work.path + "/main.swift"]
        try swiftc.run()
        swiftc.waitUntilExit()
        try #require(swiftc.terminationStatus == 0, "the generated Swift does not compile")
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: work.path + "/probe")
        let out = Pipe()
        probe.standardOutput = out
        try probe.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        probe.waitUntilExit()
        return data
    }

    @Test("a template that names something its view lacks is an error at its line and column")
    func unknownTemplateName() throws {
        let dir = TempDir()
        dir.write("catalog.json.mustache", "{{% CONTENT_TYPE: TEXT}}\n{\n{{#integrations}}\n  {{{descripton}}}\n{{/integrations}}\n")
        let templates = try Pipeline.templates(overrides: dir.path)
        #expect(throws: DiagnosticsError.self) { try Pipeline.generate(manifests: Self.manifests, templates: templates) }
        do {
            _ = try Pipeline.generate(manifests: Self.manifests, templates: templates)
        } catch {
            #expect(error.diagnostics.map(\.formatted).first?.hasPrefix(dir.path + "/catalog.json.mustache:4:3: error: template uses 'descripton'") == true)
        }
    }

    @Test("--templates replaces a built-in template by file name, and only that one")
    func templateOverride() throws {
        let dir = TempDir()
        dir.write("catalog.json.mustache", "{{% CONTENT_TYPE: TEXT}}\n// {{marker}}\n{{#integrations}}{{{key}}} {{/integrations}}\n")
        let files = try Pipeline.generate(manifests: Self.manifests, templates: Pipeline.templates(overrides: dir.path)).files
        #expect(files.first { $0.path == "catalog.json" }?.contents.hasSuffix("\"gmail\" \"google-calendar\" \"hubspot\" \"linear\" \"notion\" \"slack\" \"stripe\" \n") == true)
        let builtIn = try generateFiles(Self.manifests)
        #expect(files.first { $0.path.hasSuffix(".swift") } == builtIn.first { $0.path.hasSuffix(".swift") })
        // A misnamed override would replace nothing: an error naming it, not silence.
        dir.write("Tool.swift.mustache", "x")
        do {
            _ = try Pipeline.templates(overrides: dir.path)
            Issue.record("a misnamed template was accepted")
        } catch {
            #expect(error.diagnostics.map(\.formatted) == [
                dir.path + "/Tool.swift.mustache:1:1: error: no built-in template has this name, so it would replace nothing; rename it to one of: "
                    + Pipeline.defaultTemplates.keys.sorted().joined(separator: ", "),
            ])
        }
    }

    @Test("same manifests, same bytes: twice, and with files created in another order")
    func determinism() throws {
        let first = try generateFiles(Self.manifests)
        #expect(try generateFiles(Self.manifests) == first)
        // Copy the manifests in reverse order into a fresh folder: directory order differs.
        let copy = TempDir()
        let source = packageRoot.appendingPathComponent("Manifests")
        let files = FileManager.default.enumerator(atPath: source.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".yaml") }
        for relative in files.sorted().reversed() {
            copy.write(relative, FileManager.default.contents(atPath: source.appendingPathComponent(relative).path)!)
        }
        #expect(try withExtendedLifetime(copy) { try generateFiles(copy.path) } == first)
    }
}
