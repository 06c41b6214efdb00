import Foundation
import Testing
import KeywayCore
@testable import KeywayValidate

/// Regression tests for the defects found by a hostile review: folders that cannot be
/// read, files skipped silently, generated Swift that does not build, quadratic checks.
@Suite("Reliability: nothing skipped silently, nothing quadratic, Swift that builds")
struct ReliabilityTests {
    @Test("a kind folder that is a file or a dangling link is an error, not an empty folder; generate then removes nothing")
    func unreadableFolders() throws {
        let file = Fixture.folder()
        try FileManager.default.removeItem(atPath: file.path + "/connectors")
        file.write("connectors", "not a folder\n")
        #expect(Fixture.diagnostics(file).map(\.formatted) == [
            "connectors:1:1: error: connectors is a file, not a folder; manifests live in connectors/<name>.yaml",
            // True of what could be read; the error above says why.
            "integrations/mail.yaml:11:14: warning: scope 'https://www.googleapis.com/auth/gmail.send' is granted but no tool uses it; remove it (least privilege), add the tool that needs it, or mark it 'without_tool: true' if the provider requires it",
        ])
        let link = Fixture.folder()
        try FileManager.default.removeItem(atPath: link.path + "/connectors")
        try FileManager.default.createSymbolicLink(atPath: link.path + "/connectors", withDestinationPath: link.path + "/nowhere")
        #expect(Fixture.diagnostics(link).map(\.formatted) == [
            "connectors:1:1: error: cannot read the folder: it is a symbolic link to nothing; fix the link (keyway will not take a folder it cannot read for an empty one)",
            "integrations/mail.yaml:11:14: warning: scope 'https://www.googleapis.com/auth/gmail.send' is granted but no tool uses it; remove it (least privilege), add the tool that needs it, or mark it 'without_tool: true' if the provider requires it",
        ])
        // With the folder unreadable, generate writes and removes nothing.
        let good = Fixture.folder(), out = TempDir()
        #expect(try KeywayRun.run(["generate", "--manifests", good.path, "--output", out.path]).status == 0)
        let before = out.snapshot()
        #expect(try KeywayRun.run(["generate", "--manifests", link.path, "--output", out.path]).status == 1)
        #expect(out.snapshot() == before)
    }

    @Test("subfolders, upper-case extensions and misspelt kind folders are reported, not skipped")
    func nothingSkippedSilently() {
        let dir = Fixture.folder()
        dir.write("connectors/extra/other.yaml", "slug: other\n")
        dir.write("connectors/chat.YAML", "slug: chat\n")
        dir.write("conectors/x.yaml", "slug: x\n")
        dir.write("notes.txt", "not a manifest\n")
        dir.write("docs/guide.md", "# guide\n")
        #expect(Fixture.diagnostics(dir).map(\.formatted) == [
            "conectors:1:1: warning: not read: did you mean connectors/? manifests live in integrations/, connectors/ or scopes/",
            "connectors/chat.YAML:1:1: warning: not read: manifests end in .yaml or .yml, in lower case; rename the file",
            "connectors/extra:1:1: warning: not read: subfolders of connectors/ are not read; move its manifests up into connectors/",
        ])
    }

    @Test("slugs that would shadow Swift or the catalog, or differ only in case, give Swift that builds or an error")
    func swiftNames() throws {
        #expect(SwiftIdentifier.upperCamel("swift") == "Swift_")
        #expect(SwiftIdentifier.upperCamel("integration-catalog") == "IntegrationCatalog_")
        #expect(SwiftIdentifier.upperCamel("all-tools") == "AllTools_")
        let dir = Fixture.folder()
        dir.write("connectors/ab.yaml", Fixture.connector.replacing1("slug: mail", "slug: ab"))
        dir.write("connectors/a-b.yaml", Fixture.connector.replacing1("slug: mail", "slug: a-b"))
        #expect(Fixture.diagnostics(dir).map(\.formatted) == [
            "connectors/ab.yaml:1:7: error: connector 'ab' and 'a-b' (\(dir.path)/connectors/a-b.yaml) become the Swift types 'Ab' and 'AB', whose files are one on case-insensitive file systems (macOS, Windows); rename one",
        ])
    }

    @Test("an unknown provider_key is reported at the key; an integration file with errors draws no second 'add' hint")
    func providerKey() {
        let dir = Fixture.folder(connector: Fixture.connector.replacing1("provider_key: mail", "provider_key: mial"))
        #expect(Fixture.diagnostics(dir).map(\.formatted) == [
            "connectors/mail.yaml:4:17: error: connector 'mail' uses nango.provider_key 'mial', which names no integration; did you mean 'mail'?",
        ])
        let broken = Fixture.folder(integration: Fixture.integration.replacing1("mode: oauth2", "mode: oath2"))
        #expect(Fixture.diagnostics(broken).map(\.formatted) == [
            "integrations/mail.yaml:7:9: error: 'mode' cannot be 'oath2'; did you mean 'oauth2'?",
        ])
    }

    @Test("did-you-mean work is capped: thousands of misspellings against thousands of names stop suggesting at the budget")
    func suggestionBudget() {
        let reader = NodeReader()
        let candidates = (0..<2_000).map { String(format: "integration-%06d", $0) }
        var suggested = 0
        for i in 0..<5_000 {
            if reader.closest(to: String(format: "integratoin-%06d", i), in: candidates) != nil { suggested += 1 }
        }
        // Each name costs 18 × 18 cells against each same-length candidate: the budget runs
        // out after a fixed number of names, and later ones get no suggestion at no cost.
        #expect(reader.suggestionCells <= NodeReader.suggestionBudget)
        #expect(reader.suggestionCells > NodeReader.suggestionBudget - 18 * 18)
        #expect(suggested == NodeReader.suggestionBudget / (18 * 18 * 2_000) + 1)
    }

    @Test("90,000 enable_apis with duplicates: every duplicate reported once, by set lookups")
    func largeLists() {
        let apis = (0..<90_000).map { "API \($0 % 45_000)" }
        let integration = Fixture.integration.replacing1("enable_apis: [Gmail API]", "enable_apis: [" + apis.joined(separator: ", ") + "]")
        let dir = Fixture.folder(integration: integration)
        let diagnostics = Fixture.diagnostics(dir)
        #expect(diagnostics.count == 45_000)
        #expect(diagnostics.first?.message == "'API 0' is listed twice in enable_apis; remove one")
    }
}
