import Testing
import KeywayCore
import KeywayEmit
import KeywayModel

/// What a run does once for several of its parts must not change what any part makes:
/// the emitters share the catalog's index and the scope audit, and a one-shot command
/// keeps the parse trees until it exits instead of freeing them.
@Suite("Work a run shares: same output as without sharing")
struct SharedWorkTests {
    static let folders = ["Manifests", "Tests/Fixtures/HostileManifests"]

    @Test("emitAll, sharing the index and the scope audit, writes exactly what each emitter writes alone", arguments: folders)
    func emitAllEqualsEachEmitterAlone(_ folder: String) throws {
        let catalog = try #require(Pipeline.validate(manifests: packageRoot.appendingPathComponent(folder).path).catalog)
        let templates = try Pipeline.templates(overrides: nil)
        let emitters: [any Emitter] = [ToolsEmitter(), CatalogEmitter(), ChecklistEmitter(), ScopesReportEmitter(), RLSTestsEmitter()]
        var alone: [GeneratedFile] = []
        for emitter in emitters { alone += try emitter.emit(catalog, templates: templates) }
        let together = try Emitters.emitAll(catalog, templates: templates)
        #expect(together.map(\.path) == alone.map(\.path).sorted())
        #expect(together == alone.sorted { $0.path < $1.path })
        // The shared audit is what the checklists and scopes.md show: both are there.
        #expect(together.contains { $0.path == "scopes.md" } && together.contains { $0.path == "Checklists/README.md" })
    }

    @Test("parse trees kept until the exit: the same catalog and diagnostics as trees freed")
    func keptParseTrees() throws {
        // One warning, so that the diagnostics compared are not empty.
        let dir = Fixture.folder(integration: Fixture.integration.replacing1(
            "      reason: Agents send email\n",
            "      reason: Agents send email\n    - scope: https://www.googleapis.com/auth/gmail.readonly\n      reason: Read\n"))
        let freed = Pipeline.validate(manifests: dir.path, parseTrees: .freeInBackground)
        let kept = Pipeline.validate(manifests: dir.path, parseTrees: .keepUntilExit)
        #expect(kept.diagnostics.map { "\($0.location.file.dropFirst(dir.path.count + 1)):\($0.location.line):\($0.location.column): \($0.severity.rawValue): \($0.message)" } == [
            "integrations/mail.yaml:13:14: warning: scope 'https://www.googleapis.com/auth/gmail.readonly' is granted but no tool uses it; remove it (least privilege), add the tool that needs it, or mark it 'without_tool: true' if the provider requires it",
        ])
        #expect(kept.diagnostics == freed.diagnostics)
        let catalog = try #require(kept.catalog)
        #expect(catalog == freed.catalog)
        #expect(catalog.integrations.map(\.key) == ["mail"] && catalog.connectors.map(\.slug) == ["mail"])
    }
}
