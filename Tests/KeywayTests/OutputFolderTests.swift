import Foundation
import KeywayCore
import KeywayModel
import KeywayFiles
import Testing

/// Where keyway writes, driven through the real binary: a path means what it says (`~` is
/// a folder named `~`), one folder spelled two ways is one folder, and folders that
/// overlap are an error at the keyway.yaml line or flag that names them, before anything
/// is planned or written.
@Suite struct OutputFolderTests {
    /// A project folder with a copy of the shipped manifests and `keyway.yaml`, if given.
    static func project(_ config: String? = nil, manifests: String = "Manifests") throws -> TempDir {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: (dir.path + "/" + manifests as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: packageRoot.appendingPathComponent("Manifests").path, toPath: dir.path + "/" + manifests)
        if let config { dir.write("keyway.yaml", config) }
        return dir
    }

    /// The files of the project that are not its manifests or keyway.yaml.
    static func outputs(_ dir: TempDir) -> [String: Data] {
        dir.snapshot().filter { !$0.key.hasPrefix("Manifests/") && $0.key != "keyway.yaml" }
    }

    static let noMigrations = "artifacts: [swift, catalog, checklists, audit]\n"

    @Test("~ is a folder named ~: keyway.yaml's and the flags' paths are taken from their folder, never from $HOME")
    func tildeIsAFolder() throws {
        let home = TempDir()
        let dir = try Self.project("manifests: \"~\"\noutput: ~/gen\n" + Self.noMigrations, manifests: "~")
        let generate = try KeywayRun.run(["generate"], in: dir.url, environment: ["HOME": home.path])
        #expect(generate.status == 0 && generate.stderr == "", "\(generate.stderr)")
        #expect(generate.stdout == "keyway: 19 created, 0 updated, 0 removed, 0 unchanged in ~/gen\n")
        let validate = try KeywayRun.run(["validate", "--manifests", "~"], in: dir.url, environment: ["HOME": home.path])
        #expect(validate.status == 0 && validate.stderr == "", "\(validate.stderr)")
        let flag = try KeywayRun.run(["generate", "--output", "~/flag"], in: dir.url, environment: ["HOME": home.path])
        #expect(flag.status == 0 && flag.stderr == "", "\(flag.stderr)")
        let written = Set(dir.snapshot().keys.filter { !$0.hasPrefix("~/integrations/") && !$0.hasPrefix("~/connectors/") && !$0.hasPrefix("~/scopes/") && $0 != "keyway.yaml" })
        #expect(written.count == 40 && written.allSatisfy { $0.hasPrefix("~/gen/") || $0.hasPrefix("~/flag/") }, "\(written.sorted())")
        #expect(home.snapshot() == [:])
    }

    @Test("one folder spelled another way (absolute, through .., through a link) is the same folder: nothing is removed, check holds")
    func oneFolderManySpellings() throws {
        let dir = try Self.project(Self.noMigrations)
        let first = try KeywayRun.run(["generate"], in: dir.url)
        #expect(first.status == 0 && first.stdout == "keyway: 19 created, 0 updated, 0 removed, 0 unchanged in Generated\n", "\(first.stderr)")
        let generated = Self.outputs(dir)
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/Link", withDestinationPath: "Generated")
        for (config, flags) in [
            (Self.noMigrations, ["--swift-output", dir.path + "/Generated/Swift"]),
            (Self.noMigrations + "swift:\n  output: Missing/../Generated/Swift\n", []),
            (Self.noMigrations + "swift:\n  output: Link/Swift\n", []),
        ] {
            dir.write("keyway.yaml", config)
            let again = try KeywayRun.run(["generate"] + flags, in: dir.url)
            #expect(again.status == 0 && again.stderr == "", "\(config) \(flags): \(again.stderr)")
            #expect(again.stdout == "keyway: 0 created, 0 updated, 0 removed, 19 unchanged in Generated\n", "\(config) \(flags)")
            let check = try KeywayRun.run(["check"] + flags, in: dir.url)
            #expect(check.status == 0 && check.stderr == "", "\(config) \(flags): \(check.stderr)")
            #expect(Self.outputs(dir).filter { !$0.key.hasPrefix("Link") } == generated)
        }
    }

    @Test("overlapping, nested or identical folders, the file system's root and empty paths are errors at the line or flag that names them; nothing is written")
    func conflictingFolders() throws {
        let dir = try Self.project()
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/Link", withDestinationPath: "Generated")
        let root = dir.url.resolvingSymlinksInPath().path
        let cases: [(config: String?, arguments: [String], stderr: String)] = [
            (nil, ["migrate", "diff", "--name", "x", "--layout", "supabase", "--supabase-output", "Generated/Migrations/postgres"],
             "<command line>:1:1: error: --supabase-output Generated/Migrations/postgres is inside 'output' Generated; give each its own folder, side by side\n"),
            ("swift:\n  output: Generated/Migrations/sqlite\n", ["generate"],
             "keyway.yaml:2:11: error: 'swift.output' Generated/Migrations/sqlite is inside the Migrations folder of 'output' Generated, which holds migrate's migrations only; choose a Swift folder outside it\n"),
            ("output: /\n", ["generate"],
             "keyway.yaml:1:9: error: 'output' is the root of the file system; keyway writes into folders of its own: name one, like Generated\n"),
            ("output: //..\n", ["check"],
             "keyway.yaml:1:9: error: 'output' is the root of the file system; keyway writes into folders of its own: name one, like Generated\n"),
            ("output: \"\"\n", ["generate"], "keyway.yaml:1:9: error: 'output' is empty; name a folder\n"),
            ("output: ~\n", ["generate"], "keyway.yaml:1:9: error: 'output' has no value (YAML reads a plain ~, null or nothing as none); name a folder (\"~\" in quotes is a folder named ~), or leave the key out for the default\n"),
            ("swift:\n  output:\n", ["check"], "keyway.yaml:2:10: error: 'output' has no value (YAML reads a plain ~, null or nothing as none); name a folder (\"~\" in quotes is a folder named ~), or leave the key out for the default\n"),
            (nil, ["generate", "--output", ""], "<command line>:1:1: error: --output is empty; name a folder\n"),
            ("output: Generated\nmigrations:\n  layout: supabase\n  supabase_output: ./Generated/\n", ["migrate", "diff", "--name", "x"],
             "keyway.yaml:4:20: error: 'migrations.supabase_output' ./Generated/ is the same folder as 'output' Generated (keyway.yaml:1:9); give each its own folder\n"),
            ("migrations:\n  layout: supabase\n  supabase_output: Link\n", ["migrate", "diff", "--name", "x"],
             "keyway.yaml:3:20: error: 'migrations.supabase_output' Link is the same folder as 'output' Generated; give each its own folder\n"),
            ("output: Generated/Out\nswift:\n  output: \(root)/Generated\n", ["generate"],
             "keyway.yaml:1:9: error: 'output' Generated/Out is inside 'swift.output' \(root)/Generated (keyway.yaml:3:11); give each its own folder, side by side\n"),
            ("output: Manifests/connectors\n", ["generate"],
             "keyway.yaml:1:9: error: 'output' Manifests/connectors is inside connectors/ of the manifests folder Manifests; keyway would write among the manifests it reads: give it a folder of its own, beside them\n"),
            ("manifests: ./M\nswift:\n  output: M/scopes/Swift\n", ["check"],
             "keyway.yaml:3:11: error: 'swift.output' M/scopes/Swift is inside scopes/ of the manifests folder ./M (keyway.yaml:1:12); keyway would write among the manifests it reads: give it a folder of its own, beside them\n"),
            (nil, ["generate", "--output", "Manifests/"],
             "<command line>:1:1: error: --output Manifests/ is the manifests folder; keyway would write among the manifests it reads: give it a folder of its own, beside them\n"),
            ("swift:\n  output: Generated/Out\n", ["generate", "--swift-output", "."],
             "<command line>:1:1: error: 'output' Generated is inside --swift-output .; give each its own folder, side by side\n"),
        ]
        for (config, arguments, stderr) in cases {
            if let config { dir.write("keyway.yaml", config) } else { try? FileManager.default.removeItem(atPath: dir.path + "/keyway.yaml") }
            let before = dir.snapshot()
            let run = try KeywayRun.run(arguments, in: dir.url)
            #expect(run.status == 1 && run.stdout == "", "\(arguments)")
            #expect(run.stderr == stderr + "1 error, 0 warnings\n", "\(config ?? "") \(arguments)")
            #expect(dir.snapshot() == before, "\(arguments)")
        }
    }

    @Test("two writers of one folder in one commit are refused before either is locked (they would wait for each other forever)")
    func oneFolderOneWriter() throws {
        let dir = TempDir()
        let a = OutputWriter(outputFolder: dir.path + "/Generated"), b = OutputWriter(outputFolder: dir.path + "/x/../Generated/")
        let file = [GeneratedFile(path: "a.txt", contents: "a\n")]
        do {
            try OutputWriter.commit([(a, try a.plan(file)), (b, try b.plan(file))])
            Issue.record("committed two writers of one folder")
        } catch {
            #expect(error.description == "\(dir.path)/x/../Generated:1:1: error: is the same folder as \(dir.path)/Generated; one folder has one writer; nothing was changed")
        }
        #expect(dir.snapshot() == [:])
    }

    @Test("output: .. removes only its own temporary files, not another project's beside it")
    func litterOnlyInKeywaysFolders() throws {
        let parent = TempDir()
        try FileManager.default.copyItem(atPath: packageRoot.appendingPathComponent("Manifests").path, toPath: parent.path + "/app/Manifests")
        parent.write("app/keyway.yaml", "output: ..\n" + Self.noMigrations)
        parent.write("other/.keyway-catalog.json.999.tmp", "another run's\n")
        parent.write("Checklists/.keyway-README.md.1.tmp", "an interrupted run of ours\n")
        let run = try KeywayRun.run(["generate"], in: parent.url.appendingPathComponent("app"))
        #expect(run.status == 0 && run.stderr == "", "\(run.stderr)")
        #expect(run.stdout == "keyway: 19 created, 0 updated, 0 removed, 0 unchanged in ..; removed 1 temporary file of an interrupted run\n")
        #expect(parent.read("other/.keyway-catalog.json.999.tmp") == "another run's\n")
        #expect(parent.read("Checklists/.keyway-README.md.1.tmp") == nil)
    }

    @Test("init --manifests: the value is written as YAML that reads back the same; a file in the way is named, and nothing is written")
    func initManifestsValue() throws {
        for value in ["a: b", "x #y", "'q'", "~", "- list", "Mani fests"] {
            let dir = TempDir()
            let run = try KeywayRun.run(["init", "--manifests=\(value)"], in: dir.url)
            #expect(run.status == 0 && run.stderr == "", "\(value): \(run.stderr)")
            #expect(try Pipeline.projectConfig(path: dir.path + "/keyway.yaml").manifests == dir.path + "/" + value)
            let validate = try KeywayRun.run(["validate"], in: dir.url)
            #expect(validate.status == 0 && validate.stderr == "", "\(value): \(validate.stderr)")
        }
        let dir = TempDir()
        dir.write("afile", "mine\n")
        let run = try KeywayRun.run(["init", "--manifests", "afile"], in: dir.url)
        #expect(run.status == 1 && run.stdout == "")
        #expect(run.stderr == "afile:1:1: error: is a file where 'afile/connectors/linear.yaml' needs a folder; move it away, or choose another folder\n1 error, 0 warnings\n")
        #expect(dir.snapshot() == ["afile": Data("mine\n".utf8)])
        for (value, message) in [("", "--manifests is empty; name a folder"), ("../up", "--manifests must be a folder inside this one, like Manifests")] {
            let bad = try KeywayRun.run(["init", "--manifests", value], in: dir.url)
            #expect(bad.status == 1 && bad.stderr == "<command line>:1:1: error: \(message)\n1 error, 0 warnings\n", "\(bad.stderr)")
        }
        #expect(dir.snapshot() == ["afile": Data("mine\n".utf8)])
    }

    @Test("words and positions: a huge keyway.yaml, a missing manifests folder, a damaged record, the project folder as the manifests folder")
    func wordsAndPositions() throws {
        let dir = try Self.project(Self.noMigrations)
        // A keyway.yaml of 50 MB is told it is not a manifest but a configuration, at its start.
        dir.write("big/keyway.yaml", "output: Gen\n" + String(repeating: "#", count: 50_000_000))
        let big = try KeywayRun.run(["validate", "--config", "big/keyway.yaml"], in: dir.url)
        #expect(big.status == 1 && big.stderr == "big/keyway.yaml:1:1: error: keyway.yaml is larger than 1 MiB, keyway's limit for one file; a project configuration holds a few settings: keep only those\n1 error, 0 warnings\n")
        // A manifests folder that does not exist names itself, not the default's layout.
        let missing = try KeywayRun.run(["validate", "--manifests", "dym"], in: dir.url)
        #expect(missing.status == 1 && missing.stderr == "dym:1:1: error: manifests folder not found; pass --manifests DIR or create dym/integrations\n1 error, 0 warnings\n")
        // The project folder as the manifests folder: keyway.yaml is not taken for a manifest.
        let here = try KeywayRun.run(["validate", "--manifests", "."], in: dir.url)
        #expect(here.status == 1 && here.stderr == ".:1:1: error: no manifests found; add YAML files under integrations and connectors\n1 error, 0 warnings\n")
        // A damaged record is reported at its line, for generate and check alike.
        #expect(try KeywayRun.run(["generate"], in: dir.url).status == 0)
        let record = try #require(dir.read("Generated/.keyway-manifest"))
        dir.write("Generated/.keyway-manifest", record + "garbage\n")
        let line = record.split(separator: "\n", omittingEmptySubsequences: false).count
        for command in ["generate", "check"] {
            let run = try KeywayRun.run([command], in: dir.url)
            #expect(run.status == 1 && run.stdout == "", "\(command)")
            #expect(run.stderr == "Generated/.keyway-manifest:\(line):1: error: not a line keyway writes; restore the file from version control\n1 error, 0 warnings\n", "\(command)")
        }
    }
}
