import Foundation
import KeywayCore
import KeywayModel
import Testing

/// `keyway init`, and `keyway.yaml` driving the real binary: what it writes, where, and
/// that flags win.
@Suite struct InitAndConfigCLITests {
    @Test("--version prints the version, and ArgumentParser's completion scripts name every command, for both executables")
    func versionAndCompletions() throws {
        let generator = KeywayRun.binary.deletingLastPathComponent().appendingPathComponent("keyway-generator")
        for binary in [KeywayRun.binary, generator] {
            let version = try KeywayRun.run(["--version"], executable: binary)
            #expect(version.status == 0 && version.stdout == KeywayVersion.current + "\n" && version.stderr == "")
            for shell in ["bash", "zsh", "fish"] {
                let script = try KeywayRun.run(["--generate-completion-script", shell], executable: binary)
                #expect(script.status == 0 && script.stdout.contains("generate") && script.stdout.contains("validate"), "\(shell)")
            }
        }
        let keyway = try KeywayRun.run(["--generate-completion-script", "bash"])
        #expect(keyway.stdout.contains("migrate") && keyway.stdout.contains("audit"))
    }

    @Test("keyway init writes a commented keyway.yaml and manifests that validate and generate; a second init names every file in the way and writes nothing")
    func initProject() throws {
        let dir = TempDir()
        let first = try KeywayRun.run(["init"], in: dir.url)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr == "")
        #expect(first.stdout == """
            created keyway.yaml
            created Manifests/integrations/linear.yaml
            created Manifests/connectors/linear.yaml
            created Manifests/scopes/linear.yaml
            keyway: next, `keyway generate` writes Generated/ from Manifests/, and `keyway migrate diff --name initial` the first migration

            """)
        #expect(Set(dir.snapshot().keys) == ["keyway.yaml", "Manifests/integrations/linear.yaml", "Manifests/connectors/linear.yaml", "Manifests/scopes/linear.yaml"])
        // The scaffold is the defaults, spelt out.
        #expect(try Pipeline.projectConfig(path: dir.path + "/keyway.yaml") == ProjectConfigReaderDefaults.at(dir.path))
        let validate = try KeywayRun.run(["validate"], in: dir.url)
        #expect(validate.status == 0 && validate.stderr == "", "\(validate.stderr)")
        let generate = try KeywayRun.run(["generate"], in: dir.url)
        #expect(generate.status == 0 && generate.stderr == "", "\(generate.stderr)")
        #expect(generate.stdout == "keyway: 8 created, 0 updated, 0 removed, 0 unchanged in Generated\n")
        let migrate = try KeywayRun.run(["migrate", "diff", "--name", "initial"], in: dir.url)
        #expect(migrate.status == 0, "\(migrate.stderr)")
        let check = try KeywayRun.run(["check"], in: dir.url)
        #expect(check.status == 0, "\(check.stderr)")

        // Edit one file, then init again: nothing is replaced, every file in the way is named.
        dir.write("Manifests/connectors/linear.yaml", "# mine\n")
        let before = dir.snapshot()
        let again = try KeywayRun.run(["init"], in: dir.url)
        #expect(again.status == 1)
        #expect(again.stdout == "")
        #expect(again.stderr == """
            Manifests/connectors/linear.yaml:1:1: error: already exists; keyway init never replaces a file: move it away to start over, or edit it
            Manifests/integrations/linear.yaml:1:1: error: already exists; keyway init never replaces a file: move it away to start over, or edit it
            Manifests/scopes/linear.yaml:1:1: error: already exists; keyway init never replaces a file: move it away to start over, or edit it
            keyway.yaml:1:1: error: already exists; keyway init never replaces a file: move it away to start over, or edit it
            4 errors, 0 warnings

            """)
        #expect(dir.snapshot() == before)
    }

    @Test("keyway.yaml picks the folders, artifacts and layout; flags win; a wrong keyway.yaml stops every command before anything is written")
    func configDrivesTheRun() throws {
        let dir = TempDir()
        #expect(try KeywayRun.run(["init", "--manifests", "specs"], in: dir.url).status == 0)
        var yaml = try #require(dir.read("keyway.yaml"))
        #expect(yaml.contains("\nmanifests: specs\n"))
        yaml = yaml.replacing1("artifacts: [swift, catalog, checklists, audit, migrations]", "artifacts: [swift, audit]")
            .replacing1("  # output: Sources/App/Generated", "  output: Sources/App/Generated")
            .replacing1("layout: per-connector", "layout: single-file")
        dir.write("keyway.yaml", yaml)
        // From another folder, through --config: paths are the file's.
        let elsewhere = TempDir()
        let run = try KeywayRun.run(["generate", "--config", dir.path + "/keyway.yaml"], in: elsewhere.url)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "keyway: 3 created, 0 updated, 0 removed, 0 unchanged in \(dir.path)/Generated, \(dir.path)/Sources/App/Generated\n")
        #expect(elsewhere.snapshot().isEmpty)
        #expect(Set(dir.snapshot().keys.filter { !$0.hasPrefix("specs/") && $0 != "keyway.yaml" }) == [
            "Generated/scopes.md", "Generated/.keyway-manifest",
            "Sources/App/Generated/IntegrationCatalog.swift", "Sources/App/Generated/Tools.swift", "Sources/App/Generated/.keyway-manifest",
        ])
        #expect(try KeywayRun.run(["check", "--config", dir.path + "/keyway.yaml"], in: elsewhere.url).status == 0)
        // A flag wins: with every artifact asked for, check finds the rest missing.
        let wider = try KeywayRun.run(["check", "--config", dir.path + "/keyway.yaml", "--artifacts", "swift,audit,catalog"], in: elsewhere.url)
        #expect(wider.status == 1)
        #expect(wider.stderr == """
            \(dir.path)/Generated/.keyway-manifest:1:1: error: stale: the record of the files keyway owns is out of date; run `keyway generate`
            \(dir.path)/Generated/catalog.json:1:1: error: missing: the file is not what the manifests generate; run `keyway generate`
            2 errors, 0 warnings

            """)
        // --output takes the Swift too, unless --swift-output says otherwise: nothing is written elsewhere.
        let moved = try KeywayRun.run(["generate", "--config", dir.path + "/keyway.yaml", "--output", "out"], in: elsewhere.url)
        #expect(moved.status == 0, "\(moved.stderr)")
        #expect(moved.stdout == "keyway: 3 created, 0 updated, 0 removed, 0 unchanged in out\n")
        #expect(Set(elsewhere.snapshot().keys) == ["out/Swift/IntegrationCatalog.swift", "out/Swift/Tools.swift", "out/scopes.md", "out/.keyway-manifest"])

        // A broken keyway.yaml: positioned errors, nothing written.
        dir.write("keyway.yaml", yaml.replacing1("artifacts: [swift, audit]", "artifacts: [swift, audti]"))
        let before = dir.snapshot()
        let broken = try KeywayRun.run(["generate"], in: dir.url)
        #expect(broken.status == 1)
        #expect(broken.stderr == "keyway.yaml:17:20: error: 'artifacts' cannot list 'audti'; did you mean 'audit'?\n1 error, 0 warnings\n")
        #expect(dir.snapshot() == before)
    }

    @Test("a folder keyway.yaml names that is missing is reported at its line, by every command alike; a flag's folder at the flag")
    func missingConfiguredFolders() throws {
        let dir = TempDir()
        #expect(try KeywayRun.run(["init"], in: dir.url).status == 0)
        dir.write("keyway.yaml", "# the project\nmanifests: specs\ntemplates: Templates\n")
        let manifests = "keyway.yaml:2:12: error: manifests folder 'specs' does not exist; create it, or fix the path (a relative path is taken from the folder of keyway.yaml)\n"
        let templates = "keyway.yaml:3:12: error: templates folder 'Templates' does not exist; create it, or fix the path (a relative path is taken from the folder of keyway.yaml)\n"
        let before = dir.snapshot()
        // audit reads no template (its text format).
        for (command, expected) in [(["validate"], manifests + templates + "2 errors, 0 warnings\n"), (["generate"], manifests + templates + "2 errors, 0 warnings\n"),
                                    (["check"], manifests + templates + "2 errors, 0 warnings\n"),
                                    (["migrate", "diff", "--name", "initial"], manifests + templates + "2 errors, 0 warnings\n"),
                                    (["audit"], manifests + "1 error, 0 warnings\n")] {
            let run = try KeywayRun.run(command, in: dir.url)
            #expect(run.status == 1, "\(command)")
            #expect(run.stdout == "", "\(command)")
            #expect(run.stderr == expected, "\(command)")
        }
        #expect(dir.snapshot() == before)
        // Flags win, and a folder a flag names is reported as the flag's.
        for command in ["validate", "generate"] {
            let flags = try KeywayRun.run([command, "--manifests", "Manifests", "--templates", "nowhere"], in: dir.url)
            #expect(flags.status == 1, "\(command)")
            #expect(flags.stderr == """
                nowhere:1:1: error: templates folder not found; pass an existing folder to --templates
                1 error, 0 warnings

                """, "\(command)")
        }
        #expect(dir.snapshot() == before)
        // A keyway.yaml in another folder: the path is said as keyway opens it; a file is not a folder.
        dir.write("sub/keyway.yaml", "manifests: specs\n")
        dir.write("sub/specs", "not a folder\n")
        let elsewhere = try KeywayRun.run(["validate", "--config", "sub/keyway.yaml"], in: dir.url)
        #expect(elsewhere.status == 1)
        #expect(elsewhere.stderr == """
            sub/keyway.yaml:1:12: error: manifests folder 'sub/specs' is a file, not a folder; fix the path, or put a folder there
            1 error, 0 warnings

            """)
        // An absolute path is used as it is, from any keyway.yaml.
        let absent = dir.url.path + "/absent"
        dir.write("sub/keyway.yaml", "manifests: \(absent)\n")
        let beforeAbsolute = dir.snapshot()
        let absolute = try KeywayRun.run(["validate", "--config", "sub/keyway.yaml"], in: dir.url)
        #expect(absolute.status == 1)
        #expect(absolute.stderr == """
            sub/keyway.yaml:1:12: error: manifests folder '\(absent)' does not exist; create it, or fix the path (a relative path is taken from the folder of keyway.yaml)
            1 error, 0 warnings

            """)
        #expect(dir.snapshot() == beforeAbsolute)
    }
}

extension InitAndConfigCLITests {
    @Test("migrate diff writes the dialects and layout keyway.yaml names; check holds those dialects' history only")
    func migrationSettings() throws {
        let dir = TempDir()
        #expect(try KeywayRun.run(["init"], in: dir.url).status == 0)
        let yaml = try #require(dir.read("keyway.yaml"))
            .replacing1("dialects: [postgres, sqlite]", "dialects: [postgres]")
            .replacing1("layout: keyway", "layout: supabase")
            .replacing1("supabase_output: supabase/migrations", "supabase_output: db/migrations/")
        dir.write("keyway.yaml", yaml)
        // A version is 14 ASCII digits, as the Supabase CLI reads file names (not any digits).
        let arabic = try KeywayRun.run(["migrate", "diff", "--name", "initial", "--supabase-version", "٢٠٢٦١١٢٢٠٠٠٠٠٠"], in: dir.url)
        #expect(arabic.status == 2)
        #expect(arabic.stdout + arabic.stderr == """
            Error: --supabase-version must be 14 digits (YYYYMMDDHHMMSS)
            Usage: keyway migrate diff [--manifests <manifests>] [--format <format>] [--config <config>] [--output <output>] --name <name> [--allow-destructive] [--layout <layout>] [--supabase-output <supabase-output>] [--supabase-version <supabase-version>] [--templates <templates>] [--force]
              See 'keyway migrate diff --help' for more information.

            """)
        let diff = try KeywayRun.run(["migrate", "diff", "--name", "initial", "--supabase-version", "20261122000000"], in: dir.url)
        #expect(diff.status == 0, "\(diff.stderr)")
        #expect(diff.stdout == """
            wrote Generated/Migrations/postgres/0001_initial.sql
            wrote Generated/Migrations/postgres/keyway.sum
            wrote Generated/Migrations/schema.json
            wrote db/migrations/20261122000000_initial.sql

            """)
        #expect(Set(dir.snapshot().keys.filter { !$0.hasPrefix("Manifests/") && $0 != "keyway.yaml" }) == [
            "Generated/Migrations/postgres/0001_initial.sql", "Generated/Migrations/postgres/keyway.sum", "Generated/Migrations/schema.json",
            "Generated/.keyway-manifest", "db/migrations/20261122000000_initial.sql",
        ])
        #expect(dir.read("db/migrations/20261122000000_initial.sql") == dir.read("Generated/Migrations/postgres/0001_initial.sql"))
        #expect(try KeywayRun.run(["generate"], in: dir.url).status == 0)
        let check = try KeywayRun.run(["check"], in: dir.url)
        #expect(check.status == 0, "\(check.stderr)")
        // `supabase db push` applies the copy: check holds it to the history's bytes.
        let copy = try #require(dir.read("db/migrations/20261122000000_initial.sql"))
        dir.write("db/migrations/20261122000000_initial.sql", copy + "grant all on all tables in schema public to anon;\n")
        let edited = try KeywayRun.run(["check"], in: dir.url)
        #expect(edited.status == 1)
        #expect(edited.stderr == """
            db/migrations/20261122000000_initial.sql:1:1: error: this Supabase copy differs from Generated/Migrations/postgres/0001_initial.sql, the migration keyway's history records, and `supabase db push` applies the copy; restore it from that file (released migrations are never changed)
            1 error, 0 warnings

            """)
        try FileManager.default.removeItem(at: dir.url.appendingPathComponent("db/migrations/20261122000000_initial.sql"))
        let missing = try KeywayRun.run(["check"], in: dir.url)
        #expect(missing.status == 1)
        #expect(missing.stderr == """
            db/migrations/:1:1: error: no Supabase copy of Generated/Migrations/postgres/0001_initial.sql here (<14-digit version>_initial.sql with its bytes), and `supabase db push` applies only this folder; copy it in, with a version after the copies of the migrations before it
            1 error, 0 warnings

            """)
        dir.write("db/migrations/20270101000000_initial.sql", copy)
        #expect(try KeywayRun.run(["check"], in: dir.url).status == 0)
        // The flag wins: the keyway layout writes no Supabase copy.
        dir.write("Manifests/connectors/linear.yaml", try #require(dir.read("Manifests/connectors/linear.yaml")) + "multiple_connections: true\n")
        let second = try KeywayRun.run(["migrate", "diff", "--name", "multiple", "--layout", "keyway"], in: dir.url)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout == "wrote Generated/Migrations/postgres/0002_multiple.sql\nwrote Generated/Migrations/postgres/keyway.sum\nwrote Generated/Migrations/schema.json\n")
    }
}

enum ProjectConfigReaderDefaults {
    static func at(_ base: String) -> ProjectConfig {
        ProjectConfig(manifests: base + "/Manifests", output: base + "/Generated", migrations: .init(supabaseOutput: base + "/supabase/migrations"))
    }
}
