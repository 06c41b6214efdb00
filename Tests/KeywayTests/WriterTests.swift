import Foundation
import Testing
import KeywayCore

@Suite("The write stage and keyway check")
struct WriterTests {
    static let files = [
        GeneratedFile(path: "Swift/A.swift", contents: "// \(GeneratedFile.marker)\nlet a = 1\n"),
        GeneratedFile(path: "b.json", contents: "{\"@generated\": \"\(GeneratedFile.marker)\"}\n"),
    ]

    @Test("writes every file, then touches nothing on a second run")
    func writesOnlyChanges() throws {
        let out = TempDir()
        let writer = OutputWriter(outputFolder: out.path)
        try writer.apply(writer.plan(Self.files))
        #expect(out.read("Swift/A.swift") == Self.files[0].contents)
        let before = try FileManager.default.attributesOfItem(atPath: out.path + "/Swift/A.swift")
        let plan = try writer.plan(Self.files)
        #expect(plan.isUpToDate && plan.unchanged == ["Swift/A.swift", "b.json"])
        Thread.sleep(forTimeInterval: 0.02)
        try writer.apply(plan)
        let after = try FileManager.default.attributesOfItem(atPath: out.path + "/Swift/A.swift")
        #expect(before[.modificationDate] as? Date == after[.modificationDate] as? Date)
        #expect(before[.systemFileNumber] as? Int == after[.systemFileNumber] as? Int)
    }

    @Test("a stale file is removed only if it carries keyway's marker")
    func removesOnlyMarkedFiles() throws {
        let out = TempDir()
        out.write("Swift/Old.swift", "// \(GeneratedFile.marker)\n")
        out.write("Swift/Handwritten.swift", "// mine\n")
        let writer = OutputWriter(outputFolder: out.path)
        let plan = try writer.plan(Self.files)
        #expect(plan.extra == ["Swift/Old.swift"])
        try writer.apply(plan)
        #expect(out.read("Swift/Old.swift") == nil)
        #expect(out.read("Swift/Handwritten.swift") == "// mine\n")
    }

    @Test("paths that leave the output folder are refused", arguments: ["../evil.swift", "/etc/evil", "a/../../evil", "a//b", "", "./a", "a\\..\\b"])
    func pathGuard(_ path: String) {
        #expect(throws: WriteError.self) { try OutputWriter.checkRelativePath(path) }
        let out = TempDir()
        #expect(throws: WriteError.self) { try OutputWriter(outputFolder: out.path).plan([GeneratedFile(path: path, contents: "x")]) }
    }

    @Test("a symlinked folder that leads outside is refused")
    func symlinkGuard() throws {
        let out = TempDir(), outside = TempDir()
        try FileManager.default.createSymbolicLink(atPath: out.path + "/Swift", withDestinationPath: outside.path)
        let writer = OutputWriter(outputFolder: out.path)
        #expect(throws: WriteError.self) { try writer.plan(Self.files) }
        #expect(outside.snapshot().isEmpty)
    }

    @Test("a write that cannot finish changes nothing")
    func atomicWrite() throws {
        let out = TempDir()
        out.write("Swift/A.swift", "old\n")
        try FileManager.default.createDirectory(atPath: out.path + "/b.json", withIntermediateDirectories: true)
        let before = out.snapshot()
        let writer = OutputWriter(outputFolder: out.path)
        #expect(throws: WriteError.self) { try writer.apply(writer.plan(Self.files)) }
        #expect(out.snapshot() == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path + "/Swift") == ["A.swift"])
    }

    @Test("check reports fresh, stale, missing and extra files")
    func checkStates() throws {
        let out = TempDir()
        let writer = OutputWriter(outputFolder: out.path)
        try writer.apply(writer.plan(Self.files))
        #expect(try writer.plan(Self.files).isUpToDate)
        out.write("Swift/A.swift", "edited\n")
        try FileManager.default.removeItem(atPath: out.path + "/b.json")
        out.write("Swift/Gone.swift", "// \(GeneratedFile.marker)\n")
        let plan = try writer.plan(Self.files)
        #expect(plan.stale.map(\.path) == ["Swift/A.swift"])
        #expect(plan.missing.map(\.path) == ["b.json"])
        #expect(plan.extra == ["Swift/Gone.swift"])
        #expect(!plan.isUpToDate)
    }
}

@Suite("The keyway command")
struct CommandTests {
    static let manifests = packageRoot.appendingPathComponent("Manifests").path

    @Test("validate: 0 on the shipped manifests, 1 with errors, 2 on a usage error")
    func exitStatuses() throws {
        #expect(try KeywayRun.run(["validate", "--manifests", Self.manifests]).status == 0)
        let broken = Fixture.folder(connector: Fixture.connector.replacing1("method: POST", "method: FETCH"))
        let run = try withExtendedLifetime(broken) { try KeywayRun.run(["validate", "--manifests", broken.path]) }
        #expect(run.status == 1)
        #expect(run.stderr.contains("\(broken.path)/connectors/mail.yaml:9:13: error: 'method' cannot be 'FETCH'; did you mean 'PATCH'?"))
        #expect(run.stderr.contains("1 error, 0 warnings"))
        #expect(try KeywayRun.run(["validate", "--bogus"]).status == 2)
        #expect(try KeywayRun.run(["validate", "--format", "xml"]).status == 2)
    }

    @Test("validate --format json prints the same diagnostics as JSON")
    func jsonFormat() throws {
        let broken = Fixture.folder(integration: Fixture.integration.replacing1("key: mail", "key: Mail"))
        let run = try withExtendedLifetime(broken) { try KeywayRun.run(["validate", "--manifests", broken.path, "--format", "json"]) }
        #expect(run.status == 1)
        struct Report: Decodable {
            struct Entry: Decodable { var file: String; var line, column: Int; var severity, message: String }
            var diagnostics: [Entry]
            var errors, warnings: Int
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8))
        #expect(report.errors >= 1)
        let first = try #require(report.diagnostics.first { $0.file.hasSuffix("integrations/mail.yaml") })
        #expect((first.file, first.line, first.column, first.severity) == (broken.path + "/integrations/mail.yaml", 1, 6, "error"))
    }

    @Test("generate writes nothing when the manifests have an error; check then fails; generate fixes it")
    func generateAndCheck() throws {
        let manifests = Fixture.folder()
        let out = TempDir()
        out.write("keep.txt", "hand-written\n")
        out.write("Swift/IntegrationCatalog.swift", "// \(GeneratedFile.marker)\nold\n")
        let before = out.snapshot()
        manifests.write("connectors/broken.yaml", "slug: broken\n")
        let failed = try KeywayRun.run(["generate", "--manifests", manifests.path, "--output", out.path])
        #expect(failed.status == 1)
        #expect(out.snapshot() == before)

        try FileManager.default.removeItem(atPath: manifests.path + "/connectors/broken.yaml")
        let stale = try KeywayRun.run(["check", "--manifests", manifests.path, "--output", out.path])
        #expect(stale.status == 1)
        #expect(stale.stderr.contains("\(out.path)/Swift/IntegrationCatalog.swift:1:1: error: stale"))
        #expect(stale.stderr.contains("\(out.path)/catalog.json:1:1: error: missing"))

        let generated = try KeywayRun.run(["generate", "--manifests", manifests.path, "--output", out.path])
        #expect(generated.status == 0)
        #expect(generated.stdout.contains("7 created, 1 updated, 0 removed, 0 unchanged"), "catalog.json, rls.sql, two tool files, two checklists, scopes.md created; IntegrationCatalog.swift updated")
        let noHistory = try KeywayRun.run(["check", "--manifests", manifests.path, "--output", out.path])
        #expect(noHistory.status == 1 && noHistory.stderr.contains("no migration history yet"))
        #expect(try KeywayRun.run(["migrate", "diff", "--name", "initial", "--manifests", manifests.path, "--output", out.path]).status == 0)
        #expect(out.read("keep.txt") == "hand-written\n")
        #expect(try KeywayRun.run(["check", "--manifests", manifests.path, "--output", out.path]).status == 0)

        out.write("Swift/Removed.swift", "// \(GeneratedFile.marker)\n")
        let extra = try KeywayRun.run(["check", "--manifests", manifests.path, "--output", out.path])
        #expect(extra.status == 1 && extra.stderr.contains("Swift/Removed.swift:1:1: error: extra"))
        withExtendedLifetime(manifests) {}
    }

    @Test("the binary carries its templates: it runs from any folder")
    func runsFromAnyFolder() throws {
        let elsewhere = TempDir()
        let out = elsewhere.path + "/out"
        let run = try KeywayRun.run(["generate", "--manifests", Self.manifests, "--output", out], in: elsewhere.url)
        #expect(run.status == 0)
        #expect(elsewhere.read("out/catalog.json") == (try String(contentsOfFile: packageRoot.path + "/Generated/catalog.json", encoding: .utf8)))
    }
}
