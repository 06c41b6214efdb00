import Foundation
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

    @Test("Parallel.map runs its thread setup on each thread before that thread's share of the work; results keep their order")
    func threadSetupBeforeWork() {
        final class Threads: @unchecked Sendable {
            let lock = NSLock()
            var readied: Set<UInt> = []
            var workedUnreadied = 0
        }
        let threads = Threads()
        let previous = Parallel.threadSetup
        Parallel.threadSetup = { threads.lock.withLock { _ = threads.readied.insert(UInt(pthread_self())) } }
        defer { Parallel.threadSetup = previous }
        let items = Array(0..<2_000)
        let results = Parallel.map(items) { item -> Int in
            threads.lock.withLock { if !threads.readied.contains(UInt(pthread_self())) { threads.workedUnreadied += 1 } }
            return item * 3
        }
        #expect(results == items.map { $0 * 3 })
        #expect(threads.workedUnreadied == 0)
        #expect(!threads.readied.isEmpty)
    }

}
