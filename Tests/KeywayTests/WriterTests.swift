import Foundation
import KeywayChecksum
import KeywayCore
import KeywayEmit
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayValidate
@testable import KeywayFiles
import Testing

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

    @Test("ownership is the manifest's: a file that merely quotes the marker is never removed or replaced")
    func ownershipByManifest() throws {
        let out = TempDir()
        out.write("NOTES.md", "We use keyway; its files say \(GeneratedFile.marker) at the top.\n")
        out.write("Swift/Handwritten.swift", "// mine, not \(GeneratedFile.marker)\n")
        let writer = OutputWriter(outputFolder: out.path)
        try writer.apply(writer.plan(Self.files))
        #expect(out.read(".keyway-manifest") == """
            # keyway owns the files below: the XXH64 of the bytes it wrote, the command, the path. Written by keyway; do not edit.
            \(OwnershipManifest.hash(Data(Self.files[0].contents.utf8)))  generate  Swift/A.swift
            \(OwnershipManifest.hash(Data(Self.files[1].contents.utf8)))  generate  b.json

            """)
        // The next run produces only b.json: A.swift (owned, unedited) goes; the others stay.
        let plan = try writer.plan([Self.files[1]])
        #expect(plan.extra == ["Swift/A.swift"] && plan.conflicts == [] && plan.released == [])
        try writer.apply(plan)
        #expect(out.read("Swift/A.swift") == nil)
        #expect(out.read("NOTES.md") != nil && out.read("Swift/Handwritten.swift") != nil)
        #expect(try writer.plan([Self.files[1]]).isUpToDate)
    }

    @Test("a record of an earlier keyway (SHA-256) keeps working: check finds it up to date and an edit still shows; generate rewrites it as XXH64, once")
    func legacyRecord() throws {
        let out = TempDir()
        let writer = OutputWriter(outputFolder: out.path)
        for file in Self.files { out.write(file.path, file.contents) }
        let legacyHeader = "# keyway owns the files below: SHA-256 of the bytes it wrote, the command, the path. Written by keyway; do not edit."
        let legacy = legacyHeader + "\n" + Self.files.map { "\(SHA256.hex(Data($0.contents.utf8)))  generate  \($0.path)\n" }.joined()
        out.write(".keyway-manifest", legacy)
        // Up to date as it is: check has nothing to say.
        let plan = try writer.plan(Self.files)
        #expect(plan.isUpToDate && plan.upgradesRecord && plan.unchanged == ["Swift/A.swift", "b.json"])
        // A file edited since keyway wrote it is still one, by the old hash.
        out.write("b.json", "{}\n")
        #expect(try writer.plan(Self.files).conflicts == [.init(path: "b.json", reason: .edited)])
        out.write("b.json", Self.files[1].contents)
        // generate writes the record anew, and nothing else; then nothing at all.
        try writer.apply(plan)
        #expect(out.read(".keyway-manifest") == OwnershipManifest(entries: [
            "Swift/A.swift": .init(hash: OwnershipManifest.hash(Data(Self.files[0].contents.utf8)), producer: .generate),
            "b.json": .init(hash: OwnershipManifest.hash(Data(Self.files[1].contents.utf8)), producer: .generate),
        ]).rendered)
        let again = try writer.plan(Self.files)
        #expect(again.isUpToDate && !again.upgradesRecord && !again.manifestChanges)
        // A legacy record whose files are no longer produced removes them only when unedited.
        out.write(".keyway-manifest", legacy)
        let shrink = try writer.plan([Self.files[1]])
        #expect(shrink.extra == ["Swift/A.swift"] && shrink.manifestChanges)
    }

    @Test("a hand-written file in the way stops the run and names the file; --force takes it over")
    func notOwnedInTheWay() throws {
        let out = TempDir()
        let writer = OutputWriter(outputFolder: out.path)
        try writer.apply(writer.plan([Self.files[1]]))
        out.write("Swift/A.swift", "// my own A\n")
        let before = out.snapshot()
        let plan = try writer.plan(Self.files)
        #expect(plan.conflicts == [.init(path: "Swift/A.swift", reason: .notOwned)])
        #expect(throws: WriteError.self) { try writer.apply(plan) }
        #expect(out.snapshot() == before)
        let forced = try writer.plan(Self.files, force: true)
        #expect(forced.conflicts == [] && forced.stale.map(\.path) == ["Swift/A.swift"])
        try writer.apply(forced)
        #expect(out.read("Swift/A.swift") == Self.files[0].contents)
    }

    @Test("an owned file edited by hand is not overwritten, and not removed once keyway stops producing it")
    func editedOwnedFile() throws {
        let out = TempDir()
        let writer = OutputWriter(outputFolder: out.path)
        try writer.apply(writer.plan(Self.files))
        out.write("Swift/A.swift", "// \(GeneratedFile.marker)\nlet a = 2 // my fix\n")
        let changed = [GeneratedFile(path: "Swift/A.swift", contents: "// \(GeneratedFile.marker)\nlet a = 3\n"), Self.files[1]]
        #expect(try writer.plan(changed).conflicts == [.init(path: "Swift/A.swift", reason: .edited)])
        let dropped = try writer.plan([Self.files[1]])
        #expect(dropped.extra == [] && dropped.released == ["Swift/A.swift"])
        try writer.apply(dropped)
        #expect(out.read("Swift/A.swift") == "// \(GeneratedFile.marker)\nlet a = 2 // my fix\n")
        #expect(out.read(".keyway-manifest")?.contains("Swift/A.swift") == false)
    }

    @Test("a folder without a record yet: files with keyway's header at the paths it produces are taken over, nothing is removed")
    func firstRecord() throws {
        let out = TempDir()
        out.write("Swift/A.swift", "// \(GeneratedFile.marker)\nlet a = 0\n")
        out.write("Swift/Old.swift", "// \(GeneratedFile.marker)\n")
        out.write("b.json", "{\n  \"note\": \"mine\"\n}\n")
        let plan = try OutputWriter(outputFolder: out.path).plan(Self.files)
        #expect(plan.stale.map(\.path) == ["Swift/A.swift"] && plan.extra == [])
        #expect(plan.conflicts == [.init(path: "b.json", reason: .notOwned)])
    }

    @Test("temporary files of a killed run are reported by check and removed by the next run")
    func litter() throws {
        let out = TempDir()
        let writer = OutputWriter(outputFolder: out.path)
        try writer.apply(writer.plan(Self.files))
        out.write("Swift/.keyway-A.swift.4242.tmp", "half")
        out.write(".keyway-b.json.4242.bak", "old")
        let plan = try writer.plan(Self.files)
        #expect(plan.litter == [".keyway-b.json.4242.bak", "Swift/.keyway-A.swift.4242.tmp"] && !plan.isUpToDate)
        try writer.apply(plan)
        #expect(out.snapshot().keys.sorted() == [".keyway-manifest", "Swift/A.swift", "b.json"])
    }

    @Test("a commit that fails midway is rolled back from the staged originals, and says so")
    func rollback() throws {
        let out = TempDir()
        let writer = OutputWriter(outputFolder: out.path)
        try writer.apply(writer.plan(Self.files))
        let before = out.snapshot()
        let next = [GeneratedFile(path: "Swift/A.swift", contents: "// \(GeneratedFile.marker)\nlet a = 2\n"),
                    GeneratedFile(path: "Swift/New.swift", contents: "// \(GeneratedFile.marker)\n"),
                    GeneratedFile(path: "c/d.json", contents: "{}\n")]
        let plan = try writer.plan(next)
        #expect(plan.extra == ["b.json"])
        for renames in 0...3 {
            do {
                try OutputWriter.commit([(writer, plan)], failingAfter: renames)
                Issue.record("the commit did not fail")
            } catch {
                #expect(error.description.hasSuffix("injected failure; every file was put back: the output is as it was before the run"))
            }
            #expect(out.snapshot() == before, "after \(renames) renames")
            #expect(!FileManager.default.fileExists(atPath: out.path + "/c"))
        }
    }

    @Test("paths that leave the output folder are refused", arguments: [
        ("../evil.swift", "parts"), ("/etc/evil", "relative"), ("a/../../evil", "parts"), ("a//b", "parts"), ("", "relative"), ("./a", "parts"),
        ("a\\..\\b", "relative"),
        // "/\u{301}" is one Character, but the file system sees a slash: a leading one, and
        // one after "..".
        ("/\u{301}etc/evil", "relative"), ("../\u{301}x", "parts"),
        // keyway's own names (.keyway-manifest, .keyway-*.tmp/.bak), at any depth.
        (".keyway-x.swift", "reserved"), ("Swift/.keyway-A.swift.4242.tmp", "reserved"), ("a/../.keyway-x", "parts"), (".keyway-x/../a", "parts"),
        ("a/../b\\c", "relative"),
    ])
    func pathGuard(_ path: String, _ kind: String) {
        let reasons = ["relative": "not a relative path inside the output folder",
                       "parts": "paths inside the output folder must not contain empty, '.' or '..' parts",
                       "reserved": "names starting with '.keyway-' are reserved for keyway's record and temporary files"]
        let expected = "refusing to write '\(path.forDiagnostic)': " + reasons[kind]!
        #expect(throws: WriteError.self) { try OutputWriter.checkRelativePath(path) }
        do { try OutputWriter.checkRelativePath(path) } catch { #expect(error.diagnostic == .error(.start(of: path), expected)) }
        let out = TempDir()
        do {
            _ = try OutputWriter(outputFolder: out.path).plan([GeneratedFile(path: path, contents: "x")])
            Issue.record("planned \(path)")
        } catch {
            #expect(error.diagnostic == .error(.start(of: path), expected))
        }
        #expect(out.snapshot().isEmpty)
    }

    @Test("each part of a path is judged by its own bytes: dots only when it is all dots, the reserved prefix only at its start")
    func pathParts() throws {
        for path in ["...", "a/.../b", ".keyway", ".keywayx/a", "x.keyway-", "a/x.keyway-y", ".kEyway-x", "a.b/.c", "..a", "a/b.."] {
            #expect(throws: Never.self, "\(path)") { try OutputWriter.checkRelativePath(path) }
        }
        let refused = [".keyway-", "a/.keyway-/b", "a/.keyway-x", "a/./.keyway-x", ".keyway-x/..", "a/.", "a/..", "a/", "a//.keyway-x"]
        let reasons = refused.map { path -> String in
            do throws(WriteError) { try OutputWriter.checkRelativePath(path) } catch { return error.diagnostic.message }
            return "accepted"
        }
        let reserved = "names starting with '.keyway-' are reserved for keyway's record and temporary files"
        let parts = "paths inside the output folder must not contain empty, '.' or '..' parts"
        #expect(reasons == zip(refused, [reserved, reserved, reserved, parts, parts, parts, parts, parts, parts]).map { "refusing to write '\($0)': \($1)" })
    }

    @Test("temporary files are looked for in every folder a path names, split at each '/' byte (one before a combining mark too)")
    func litterFolders() throws {
        let files = [GeneratedFile(path: "a/b/c.txt", contents: "c\n"), GeneratedFile(path: "a/b/d.txt", contents: "d\n"),
                     GeneratedFile(path: "q/\u{301}x/y.txt", contents: "y\n"), GeneratedFile(path: "z.txt", contents: "z\n")]
        #expect(OutputWriter.folders(of: files, nil) == ["", "a", "a/b", "q", "q/\u{301}x"])
        let out = TempDir()
        let writer = OutputWriter(outputFolder: out.path)
        try writer.apply(writer.plan(files))
        out.write("q/.keyway-y.txt.7.tmp", "half")
        #expect(try writer.plan(files).litter == ["q/.keyway-y.txt.7.tmp"])
    }

    @Test("folders are told apart by their bytes: 'é' and 'e' + U+0301 are two, each created, and each looked in for temporary files")
    func litterInEquivalentFolders() throws {
        let files = [GeneratedFile(path: "\u{E9}/a.txt", contents: "a\n"), GeneratedFile(path: "e\u{301}/b.txt", contents: "b\n")]
        #expect(OutputWriter.folders(of: files, nil).map { Array($0.utf8) } == [[], [0x65, 0xCC, 0x81], [0xC3, 0xA9]])
        let out = TempDir()
        let writer = OutputWriter(outputFolder: out.path)
        try writer.apply(writer.plan(files))
        out.write("\u{E9}/.keyway-a.txt.5.tmp", "half")
        out.write("e\u{301}/.keyway-b.txt.5.tmp", "half")
        #expect(try writer.plan(files).litter.map { Array($0.utf8) } == [Array("e\u{301}/.keyway-b.txt.5.tmp".utf8), Array("\u{E9}/.keyway-a.txt.5.tmp".utf8)])
    }

    @Test("two files whose names differ by a combining mark after '/' get backups of their own when both are removed")
    func backupNamesAfterSlash() throws {
        let out = TempDir()
        let writer = OutputWriter(outputFolder: out.path)
        try writer.apply(writer.plan([GeneratedFile(path: "q/\u{301}y.txt", contents: "1\n"), GeneratedFile(path: "q/y.txt", contents: "2\n"),
                                      GeneratedFile(path: "keep.txt", contents: "k\n")]))
        let plan = try writer.plan([GeneratedFile(path: "keep.txt", contents: "k\n")])
        #expect(plan.extra.map { Array($0.utf8) } == [Array("q/y.txt".utf8), Array("q/\u{301}y.txt".utf8)])
        try writer.apply(plan)
        #expect(out.snapshot().keys.sorted() == [".keyway-manifest", "keep.txt"])
    }

    @Test("a symlinked folder that leads outside is refused")
    func symlinkGuard() throws {
        let out = TempDir(), outside = TempDir()
        try FileManager.default.createSymbolicLink(atPath: out.path + "/Swift", withDestinationPath: outside.path)
        let writer = OutputWriter(outputFolder: out.path)
        #expect(throws: WriteError.self) { try writer.plan(Self.files) }
        #expect(outside.snapshot().isEmpty)
    }

    @Test("a folder spelled with a combining accent is not the precomposed one: a link by that name that leads outside is refused")
    func canonicallyEquivalentFolders() throws {
        let out = TempDir(), outside = TempDir()
        // "é" precomposed, and "e" + U+0301: equal as Swift strings, two names on disk.
        try FileManager.default.createDirectory(atPath: out.path + "/\u{E9}", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: out.path + "/e\u{301}", withDestinationPath: outside.path)
        let files = [GeneratedFile(path: "\u{E9}/a.md", contents: "a"), GeneratedFile(path: "e\u{301}/b.md", contents: "b")]
        do {
            _ = try OutputWriter(outputFolder: out.path).plan(files)
            Issue.record("planned a write through the link")
        } catch {
            #expect(error.diagnostic == .error(.start(of: out.path + "/e\u{301}/b.md"), "refusing to write 'e\u{301}/b.md': it resolves outside the output folder"))
        }
        #expect(outside.snapshot().isEmpty)
    }

    @Test("files in a folder that is not there are missing, without a look; a foreign file in a folder that is there is still a conflict")
    func absentFolders() throws {
        let out = TempDir()
        out.write("old/b.md", "mine\n")
        let files = [GeneratedFile(path: "new/deeper/a.md", contents: "a"), GeneratedFile(path: "new/c.md", contents: "c"),
                     GeneratedFile(path: "old/b.md", contents: "b"), GeneratedFile(path: "old/d.md", contents: "d")]
        let plan = try OutputWriter(outputFolder: out.path).plan(files)
        #expect(plan.missing.map(\.path) == ["new/c.md", "new/deeper/a.md", "old/d.md"])
        #expect(plan.conflicts == [.init(path: "old/b.md", reason: .notOwned)])
        #expect(plan.stale.isEmpty && plan.unchanged.isEmpty && plan.extra.isEmpty)
    }

    @Test("a write that cannot be staged changes nothing")
    func atomicWrite() throws {
        let out = TempDir()
        out.write("Swift/A.swift", "// \(GeneratedFile.marker)\nold\n")
        let writer = OutputWriter(outputFolder: out.path)
        let plan = try writer.plan(Self.files)
        // b.json turns into a folder after the plan: staging fails, nothing moves.
        try FileManager.default.createDirectory(atPath: out.path + "/b.json/x", withIntermediateDirectories: true)
        let before = out.snapshot()
        #expect(throws: WriteError.self) { try writer.apply(plan) }
        #expect(out.snapshot() == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path + "/Swift") == ["A.swift"])
    }

    @Test("check reports stale, missing, extra, edited and foreign files")
    func checkStates() throws {
        let out = TempDir()
        let writer = OutputWriter(outputFolder: out.path)
        let three = Self.files + [GeneratedFile(path: "Swift/Gone.swift", contents: "// \(GeneratedFile.marker)\n")]
        try writer.apply(writer.plan(three))
        #expect(try writer.plan(three).isUpToDate)
        out.write("Swift/A.swift", "edited\n")
        try FileManager.default.removeItem(atPath: out.path + "/b.json")
        let plan = try writer.plan(Self.files.map { GeneratedFile(path: $0.path, contents: $0.contents + "// v2\n") })
        #expect(plan.conflicts == [.init(path: "Swift/A.swift", reason: .edited)])
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
        #expect(noHistory.status == 1)
        // It says what to run, and what a project without migrations (or with only keyway-generator) does instead.
        #expect(noHistory.stderr.split(separator: "\n").contains("\(out.path)/Migrations/schema.json:1:1: error: there is no migration history yet; run `keyway migrate diff --name initial` (the full `keyway` CLI; keyway-generator has no migrate), or leave `migrations` out of `artifacts` in keyway.yaml if this project keeps no migrations"), "\(noHistory.stderr)")
        #expect(try KeywayRun.run(["migrate", "diff", "--name", "initial", "--manifests", manifests.path, "--output", out.path]).status == 0)
        #expect(out.read("keep.txt") == "hand-written\n")
        #expect(try KeywayRun.run(["check", "--manifests", manifests.path, "--output", out.path]).status == 0)

        // A file keyway did not write is not its business, whatever it says inside.
        out.write("Swift/Removed.swift", "// \(GeneratedFile.marker)\n")
        #expect(try KeywayRun.run(["check", "--manifests", manifests.path, "--output", out.path]).status == 0)
        // A hand-written checklist where an integration's would go stops generate, naming it.
        out.write("Checklists/acme.md", "# my notes on acme\n")
        manifests.write("integrations/acme.yaml", Fixture.integration.replacing1("key: mail", "key: acme").replacing1("provider: google-mail", "provider: acme"))
        let unblocked = out.snapshot()
        let blocked = try KeywayRun.run(["generate", "--manifests", manifests.path, "--output", out.path])
        #expect(blocked.status == 1)
        #expect(blocked.stderr.contains("\(out.path)/Checklists/acme.md:1:1: error: keyway did not write this file (it is not in .keyway-manifest) and would replace it; move it away, or pass --force to let keyway take it over; nothing was changed"))
        #expect(out.snapshot() == unblocked)
        // check names the same file, and the command that can go ahead (check has no --force).
        let checked = try KeywayRun.run(["check", "--manifests", manifests.path, "--output", out.path])
        #expect(checked.status == 1)
        #expect(checked.stderr.split(separator: "\n").contains("\(out.path)/Checklists/acme.md:1:1: error: not keyway's: keyway did not write this file (it is not in .keyway-manifest) and would replace it; move it away, or run `keyway generate --force` to let keyway take it over"), "\(checked.stderr)")
        #expect(out.snapshot() == unblocked)
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
