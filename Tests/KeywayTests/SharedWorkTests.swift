import Testing
import KeywayCore
import KeywayModel

/// What a run does once for several of its parts must not change what any part makes: a
/// one-shot command keeps the parse trees until it exits instead of freeing them.
@Suite("Work a run shares: same output as without sharing")
struct SharedWorkTests {
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
