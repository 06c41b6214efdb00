import Foundation
import KeywayCore
import KeywayEmit
import KeywayLoad
import KeywayModel
@testable import KeywayValidate
import KeywayFiles
import Testing

/// Inputs at the sizes the README's limits promise: each is handled (the whole answer is
/// checked: no diagnostic, every file) or refused at a documented limit with a positioned
/// error. Time is the benchmark's business (scripts/bench), not these tests'.
@Suite("Scale: thousands of manifests, big connectors and tools, long values")
struct ScaleTests {
    /// Generates into a fresh folder, then once more: the second run must find nothing to do.
    static func generate(_ dir: TempDir) throws -> (files: [GeneratedFile], out: TempDir) {
        let out = TempDir()
        let generation = try Pipeline.generate(manifests: dir.path, templates: Pipeline.templates(overrides: nil))
        #expect(generation.diagnostics == [])
        let writer = OutputWriter(outputFolder: out.path)
        try writer.apply(writer.plan(generation.files))
        #expect(try writer.plan(generation.files).isUpToDate)
        return (generation.files, out)
    }

    @Test("10,000 manifests (3,334 integrations, 3,333 connectors, 3,333 scope catalogs) validate and generate")
    func tenThousandManifests() throws {
        let dir = TempDir()
        for n in 0..<3_334 {
            let key = String(format: "service-%05d", n)
            dir.write("integrations/\(key).yaml", Fixture.integration
                .replacing1("key: mail", "key: \(key)").replacing1("provider: google-mail", "provider: provider-\(n)"))
            if n < 3_333 {
                dir.write("connectors/\(key).yaml", Fixture.connector
                    .replacing1("slug: mail", "slug: \(key)").replacing1("provider_key: mail", "provider_key: \(key)"))
                dir.write("scopes/provider-\(n).yaml", Fixture.scopes
                    .replacing1("provider: google\n", "provider: provider-\(n)\n").replacing1("providers: [google-mail]", "providers: [provider-\(n)]"))
            }
        }
        // The last integration has no connector: its scope is the only unused one.
        #expect(Fixture.diagnostics(dir).map(\.formatted) == [
            "integrations/service-03333.yaml:11:14: warning: scope 'https://www.googleapis.com/auth/gmail.send' is granted but no tool uses it; remove it (least privilege), add the tool that needs it, or mark it 'without_tool: true' if the provider requires it",
        ])
        let generation = try Pipeline.generate(manifests: dir.path, templates: Pipeline.templates(overrides: nil))
        // A tool file per connector and a checklist per integration, their two indexes, the
        // catalog in Swift and JSON, the scope report and the RLS tests.
        #expect(generation.files.count == 3_333 + 1 + 3_334 + 1 + 2 + 1 + 1)
        #expect(generation.files.filter { $0.path.hasPrefix("Tools/") }.count == 3_334)
        let out = TempDir()
        let writer = OutputWriter(outputFolder: out.path)
        try writer.apply(writer.plan(generation.files))
        #expect(try writer.plan(generation.files).isUpToDate)
        #expect(out.read("Tools/Service03332.swift")?.contains("public enum Service03332 {") == true)
    }

    @Test("a connector with 1,000 tools")
    func thousandTools() throws {
        var connector = Fixture.connector.replacing1("""
          - name: send_email
            description: Send an email
            method: POST
            endpoint: /gmail/v1/users/me/messages/send
            scopes: [https://www.googleapis.com/auth/gmail.send]
            input:
              to: { type: string, format: email, description: Recipient }

        """, "")
        for n in 0..<1_000 {
            connector += """
              - name: tool_\(n)
                description: Tool number \(n)
                method: \(n % 2 == 0 ? "GET" : "POST")
                endpoint: /v1/things/{id}/part\(n)
                scopes: [https://www.googleapis.com/auth/gmail.send]
                input:
                  id: { type: string, description: The thing }
                  limit: { type: integer, optional: true, default: 10, minimum: 1, maximum: 100 }

            """
        }
        let dir = Fixture.folder(connector: connector)
        #expect(Fixture.diagnostics(dir) == [])
        let (files, _) = try Self.generate(dir)
        let tools = try #require(files.first { $0.path == "Tools/Mail.swift" }?.contents)
        #expect(tools.components(separatedBy: ": KeywayRuntime.StandardRequestTool {").count == 1_001)
        #expect(tools.contains("public struct Tool999: KeywayRuntime.StandardRequestTool {"))
        let registry = try #require(files.first { $0.path == "Tools/AllTools.swift" }?.contents)
        #expect(registry.components(separatedBy: "        Mail.Tool").count == 1_001)
        // The checklist's test tool: a read-only one with the fewest required inputs, then by name.
        #expect(files.first { $0.path == "Checklists/mail.md" }?.contents.contains("the read-only tool `mail_tool_0` (`GET /v1/things/{id}/part0`)") == true)
    }

    @Test("a tool with 1,000 inputs: 500 strings, and 500 objects whose inner objects share one name")
    func fiveHundredInputs() throws {
        let inputs = (0..<500).map { "      in_\($0): { type: string, optional: true, description: Input \($0) }" }
        let objects = (0..<500).map { "      obj_\($0): { type: object, optional: true, properties: { item: { type: object, properties: { v: { type: integer } } } } }" }
        let connector = Fixture.connector.replacing1("      to: { type: string, format: email, description: Recipient }",
                                                     (inputs + objects).joined(separator: "\n"))
        let dir = Fixture.folder(connector: connector)
        #expect(Fixture.diagnostics(dir) == [])
        let (files, _) = try Self.generate(dir)
        let tools = try #require(files.first { $0.path == "Tools/Mail.swift" }?.contents)
        #expect(tools.contains("public var in499: Swift.String?"))
        #expect(tools.contains(".init(\"in_499\", .string(), description: \"Input 499\", optional: true, in: .body),"))
        // Every nested object gets a struct of its own: Item, Item_, Item__, … (500 of them).
        #expect(tools.contains("public struct Item: Swift.Codable"))
        #expect(tools.contains("public struct Item" + String(repeating: "_", count: 499) + ": Swift.Codable"))
        #expect(!tools.contains("public struct Item" + String(repeating: "_", count: 500) + ":"))
    }

    @Test("a value of 64 KiB is kept; longer is an error at its position; a 1 MiB description stops at the file limit")
    func longValues() throws {
        let limit = ManifestLoader.maxValueSize
        let longest = String(repeating: "Long text. ", count: limit / 11) + String(repeating: "x", count: limit % 11)
        #expect(longest.utf8.count == limit)
        let kept = Fixture.folder(connector: Fixture.connector.replacing1("description: Send an email", "description: \(longest)"))
        #expect(Fixture.diagnostics(kept) == [])
        let (files, _) = try Self.generate(kept)
        #expect(files.first { $0.path == "Tools/Mail.swift" }?.contents.contains("public static let description = \"\(longest)\"") == true)

        let over = Fixture.folder(connector: Fixture.connector.replacing1("description: Send an email", "description: \(longest)x"))
        #expect(Fixture.diagnostics(over).map(\.formatted) == [
            "connectors/mail.yaml:8:18: error: this value is 65537 bytes long, more than keyway's limit of 65536 bytes (64 KiB) for one value; shorten it — a description is read by models and people, a few sentences say what they need",
        ])

        // A key that long can only be written explicitly (`? key`): plain keys stop at YAML's 1,024 characters.
        let longKey = Fixture.folder(connector: Fixture.connector + "? \(String(repeating: "k", count: limit + 1))\n: 1\n")
        #expect(Fixture.diagnostics(longKey).map(\.formatted) == [
            "connectors/mail.yaml:14:3: error: this key is 65537 bytes long, more than keyway's limit of 65536 bytes (64 KiB) for one key or value; keys are field names: use a short one",
            "connectors/mail.yaml:14:3: error: unknown key '\(String(repeating: "k", count: 80))…' in a connector manifest; allowed keys: slug, name, description, nango, multiple_connections, tools",
        ])

        let mebibyte = String(repeating: "x", count: 1 << 20)
        let huge = Fixture.folder(connector: Fixture.connector.replacing1("description: Send an email", "description: \(mebibyte)"))
        #expect(Fixture.diagnostics(huge).map(\.formatted) == [
            "connectors/mail.yaml:1:1: error: the manifest is larger than 1 MiB, keyway's limit for one manifest file; split it (a manifest describes one integration, connector or provider) or shorten its longest values (each is at most 64 KiB)",
        ])
    }

    @Test("did-you-mean beyond the budget across documents read side by side: the same answer as one reader in order")
    func suggestionBudgetAcrossDocuments() throws {
        // 48 connectors × 1,000 unknown keys, each one edit-distance 4 from
        // 'multiple_connections' (23 × 20 cells of distance work): the run's budget runs
        // out after 20,000,000 / 460 of them, in path order.
        let dir = Fixture.folder()
        for file in 0..<48 {
            let keys = (0..<1_000).map { String(format: "multiple_connection%04d: true", $0) }
            dir.write(String(format: "connectors/extra-%02d.yaml", file), Fixture.connector
                .replacing1("slug: mail", String(format: "slug: extra-%02d", file)) + keys.joined(separator: "\n") + "\n")
        }
        let diagnostics = Fixture.diagnostics(dir)
        #expect(diagnostics.count == 48_000)
        let suggested = diagnostics.filter { $0.message.hasSuffix("did you mean 'multiple_connections'?") }
        let plain = diagnostics.filter { $0.message.contains("allowed keys: slug, name, description, nango, multiple_connections, tools") }
        #expect(suggested.count == NodeReader.suggestionBudget / (23 * 20))
        #expect(suggested.count + plain.count == 48_000)
        // The suggestions are the first ones in path and line order; then none.
        #expect(diagnostics.prefix(suggested.count) == suggested[...])
        #expect(Fixture.diagnostics(dir) == diagnostics)
    }
}
