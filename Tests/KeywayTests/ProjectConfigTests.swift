import Foundation
import KeywayCore
import KeywayEmit
import KeywayModel
import Testing

/// `keyway.yaml`: every key read, paths taken from the file's folder, every mistake at its
/// line and column; and where each artifact is written.
@Suite struct ProjectConfigTests {
    @Test("every key of keyway.yaml is read; relative paths are taken from the file's folder")
    func everyKey() throws {
        let dir = TempDir()
        dir.write("project/keyway.yaml", """
            manifests: specs/manifests
            output: out
            artifacts: [swift, audit]
            templates: /opt/templates
            swift:
              output: Sources/App/Generated
              layout: single-file
            migrations:
              dialects: [postgres]
              layout: supabase
              supabase_output: db/migrations
            tenancy:
              user_claims: [sub]
              organization_claims: [org_id]

            """)
        let base = dir.path + "/project"
        #expect(try Pipeline.projectConfig(path: base + "/keyway.yaml") == ProjectConfig(
            manifests: base + "/specs/manifests", output: base + "/out", artifacts: [.swift, .audit],
            swiftOutput: base + "/Sources/App/Generated", swiftLayout: .singleFile, templates: "/opt/templates",
            migrations: .init(dialects: [.postgres], layout: .supabase, supabaseOutput: base + "/db/migrations"),
            tenancy: TenantClaims(user: [.init(["sub"])], organization: [.init(["org_id"])])))
        // An empty file in another folder: the defaults, in that folder.
        dir.write("other/keyway.yaml", "# nothing set\n")
        #expect(try Pipeline.projectConfig(path: dir.path + "/other/keyway.yaml") == ProjectConfig(
            manifests: dir.path + "/other/Manifests", output: dir.path + "/other/Generated",
            migrations: .init(supabaseOutput: dir.path + "/other/supabase/migrations")))
    }

    @Test("claim lists are checked by set lookups: four times the claims take about four times as long, not sixteen")
    func claimListsLinear() throws {
        let dir = TempDir()
        for n in [2_000, 8_000] {
            let user: String = (0..<n).map { "u\($0)" }.joined(separator: ", ")
            let organization: String = (0..<n).map { "o\($0).id" }.joined(separator: ", ")
            dir.write("c\(n).yaml", "tenancy:\n  user_claims: [\(user)]\n  organization_claims: [\(organization)]\n")
        }
        #expect(try Pipeline.projectConfig(path: dir.path + "/c2000.yaml").tenancy == TenantClaims(
            user: (0..<2_000).map { TenantClaims.Path(["u\($0)"]) }, organization: (0..<2_000).map { TenantClaims.Path(["o\($0)", "id"]) }))
        let ratio = try growthRatio(small: 2_000) { n in _ = try Pipeline.projectConfig(path: dir.path + "/c\(n).yaml") }
        #expect(ratio < 8, "2,000 → 8,000 claims took \(ratio)× as long")
    }

    @Test("a wrong keyway.yaml gets every problem at its line and column, with what to do, and no configuration")
    func everyProblem() throws {
        let dir = TempDir()
        dir.write("keyway.yaml", """
            manifests: [a, b]
            outptu: Gen
            artifacts: [swift, chekclists, swift, sql]
            swift:
              layout: single
              folder: x
            migrations:
              dialects: [sqlite]
              layout: supabase
            templates: "Temp\\u0007lates"

            """)
        let file = dir.path + "/keyway.yaml"
        #expect(throws: DiagnosticsError.self) { try Pipeline.projectConfig(path: file) }
        do { _ = try Pipeline.projectConfig(path: file) } catch {
            #expect(error.diagnostics.map(\.formatted) == [
                "\(file):1:12: error: 'manifests' must be a string, found a list",
                "\(file):2:1: error: unknown key 'outptu'; did you mean 'output'?",
                "\(file):3:20: error: 'artifacts' cannot list 'chekclists'; did you mean 'checklists'?",
                "\(file):3:32: error: 'swift' is listed twice in 'artifacts'; remove one",
                "\(file):3:39: error: 'artifacts' cannot list 'sql'; use one of: swift, catalog, checklists, audit, migrations",
                "\(file):5:11: error: 'layout' cannot be 'single'; use one of: per-connector, single-file",
                "\(file):6:3: error: unknown key 'folder' in 'swift'; allowed keys: output, layout",
                "\(file):9:11: error: the supabase layout copies the PostgreSQL migrations; add postgres to 'dialects' or use layout: keyway",
                "\(file):10:12: error: 'templates' must be a path without control or invisible characters",
            ])
        }
        dir.write("empty-lists.yaml", "artifacts: []\nmigrations: { dialects: [] }\n")
        do { _ = try Pipeline.projectConfig(path: dir.path + "/empty-lists.yaml") } catch {
            #expect(error.diagnostics.map(\.formatted) == [
                "\(dir.path)/empty-lists.yaml:1:12: error: 'artifacts' must name at least one of: swift, catalog, checklists, audit, migrations",
                "\(dir.path)/empty-lists.yaml:2:25: error: 'dialects' must name at least one of: postgres, sqlite",
            ])
        }
    }

    static func file(_ path: String, _ artifact: Artifact) -> GeneratedFile { GeneratedFile(path: path, contents: path, artifact: artifact) }
    static let files = [file("IntegrationCatalog.swift", .swift), file("Tools/Mail.swift", .swift), file("catalog.json", .catalog), file("scopes.md", .audit)]

    @Test("Swift inside the output folder is part of its root; elsewhere it is a root of its own; a root appears only when an artifact goes there")
    func roots() throws {
        let inside = try Pipeline.outputRoots(Self.files, config: ProjectConfig(output: "Gen/"))
        #expect(inside == [OutputRoot(folder: "Gen/", files: [
            GeneratedFile(path: "Swift/IntegrationCatalog.swift", contents: "IntegrationCatalog.swift", artifact: .swift),
            GeneratedFile(path: "Swift/Tools/Mail.swift", contents: "Tools/Mail.swift", artifact: .swift),
            Self.file("catalog.json", .catalog), Self.file("scopes.md", .audit),
        ])])
        let nested = try Pipeline.outputRoots(Self.files, config: ProjectConfig(output: "./Gen", swiftOutput: "Gen//a/./b/"))
        #expect(nested.map(\.folder) == ["./Gen"])
        #expect(nested[0].files.map(\.path) == ["a/b/IntegrationCatalog.swift", "a/b/Tools/Mail.swift", "catalog.json", "scopes.md"])
        let beside = try Pipeline.outputRoots(Self.files, config: ProjectConfig(output: "Gen", swiftOutput: "Sources/App/Generated"))
        #expect(beside == [
            OutputRoot(folder: "Gen", files: [Self.file("catalog.json", .catalog), Self.file("scopes.md", .audit)]),
            OutputRoot(folder: "Sources/App/Generated", files: [Self.file("IntegrationCatalog.swift", .swift), Self.file("Tools/Mail.swift", .swift)]),
        ])
        // Only Swift, in its own folder (the build plugin): the output folder is not a root.
        let swiftOnly = try Pipeline.outputRoots(Array(Self.files.prefix(2)), config: ProjectConfig(output: "Gen", artifacts: [.swift], swiftOutput: "/tmp/plugin"))
        #expect(swiftOnly == [OutputRoot(folder: "/tmp/plugin", files: Array(Self.files.prefix(2)))])
        do {
            _ = try Pipeline.outputRoots(Self.files, config: ProjectConfig(output: "Sources/Gen", swiftOutput: "Sources"))
            Issue.record("accepted a Swift folder holding the output folder")
        } catch {
            #expect(error.diagnostics.map(\.formatted) == ["<command line>:1:1: error: 'output' Sources/Gen is inside 'swift.output' Sources; give each its own folder, side by side"])
        }
    }

    @Test("artifacts pick the emitters; the single-file layout is the per-connector files joined, connectors in order, then the registry")
    func artifactsAndLayout() throws {
        let templates = try Pipeline.templates(overrides: nil)
        let manifests = packageRoot.appendingPathComponent("Manifests").path
        let all = try Pipeline.generate(manifests: manifests, templates: templates).files
        #expect(Set(all.compactMap(\.artifact)) == Set(Artifact.allCases))
        #expect(all.allSatisfy { $0.artifact != nil })
        for artifact in Artifact.allCases {
            let only = try Pipeline.generate(manifests: manifests, templates: templates, config: ProjectConfig(artifacts: [artifact])).files
            #expect(only == all.filter { $0.artifact == artifact }, "artifacts: [\(artifact)]")
        }
        let single = try Pipeline.generate(manifests: manifests, templates: templates, config: ProjectConfig(artifacts: [.swift], swiftLayout: .singleFile)).files
        let swift = all.filter { $0.artifact == .swift }
        let connectors = swift.filter { $0.path.hasPrefix("Tools/") && $0.path != "Tools/AllTools.swift" }
        let registry = try #require(swift.first { $0.path == "Tools/AllTools.swift" })
        #expect(single.map(\.path) == ["IntegrationCatalog.swift", "Tools.swift"])
        #expect(single[0] == swift.first { $0.path == "IntegrationCatalog.swift" })
        #expect(single[1].contents == (connectors + [registry]).map(\.contents).joined(separator: "\n"))
    }
}
