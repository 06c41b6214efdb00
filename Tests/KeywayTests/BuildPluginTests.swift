import Foundation
import Testing

/// The build plugin as a consumer meets it: a package of its own (Tests/Fixtures/ConsumerPackage,
/// copied to a temporary folder and pointed at this checkout) that keeps its manifests in its
/// target's folder, adds KeywayPlugin, links KeywayRuntime only, and calls the generated tools
/// through Nango's proxy, here a loopback stand-in. Not serialized: the consumer's build is
/// the longest test of the run, and it starts with the run, not after the other test here.
@Suite("The build plugin in a consumer package")
struct BuildPluginTests {
    /// What the consumer's clean build compiles (the `.build/debug/<module>.build` folders that
    /// hold objects): the app's side (KeywayRuntime and KeywayContract: Foundation only, no
    /// cryptography) and the plugin's
    /// tool, keyway-generator, built for the host (`-tool`). No database driver (GRDB,
    /// PostgresNIO), no TLS (NIOSSL), no OpenAPI, no MCP: adding a module here is a decision
    /// about what every consumer's build pulls in.
    static let compiledModules: Set<String> = [
        "Consumer", "KeywayContract", "KeywayRuntime",
        "keyway_generator-tool", "KeywayCommandLine-tool", "KeywayCore-tool", "KeywayEmit-tool", "KeywayLoad-tool",
        "KeywayMigrations-tool", "KeywayContract-tool", "KeywayChecksum-tool", "KeywayModel-tool", "KeywayTemplates-tool",
        "KeywayValidate-tool", "KeywayFiles-tool", "ArgumentParser-tool", "ArgumentParserToolInfo-tool",
    ]

    @Test("a consumer builds its tools with KeywayPlugin and calls them; a manifest edit regenerates them; without its custom builder the build fails",
          .timeLimit(.minutes(40)))
    func consumerPackage() async throws {
        let folder = TempDir()
        let package = try ConsumerPackage(copyInto: folder.url)

        // 1. The clean build: resolution (the same packages as keyway's), keyway-generator
        //    for the host, the plugin's command, the app.
        let started = Date()
        let clean = try await package.build()
        let seconds = Date().timeIntervalSince(started)
        try #require(clean.status == 0, "the consumer's build failed:\n\(clean.output)")
        print("BuildPluginTests: the consumer's clean build took \(Int(seconds.rounded())) s")
        #expect(clean.stdout.contains("keyway: 2 created, 0 updated, 0 removed, 0 unchanged in "), "\(clean.output)")
        #expect(try package.compiledModules() == Self.compiledModules)

        // 2. The generated tools, called through the proxy.
        let stub = try StubNango()
        stub.onRequest { StubNango.Reply(body: #"{"echo": "\#($0.method) \#($0.target)"}"#) }
        let run = try await package.run(stub.baseURL)
        #expect(run.status == 0 && run.stderr == "", "\(run.stderr)")
        #expect(run.stdout == """
            github_list_issues: GET /repos/{owner}/{repo}/issues scopes=repo
            github_create_issue: POST /repos/{owner}/{repo}/issues scopes=repo
            github_add_labels: POST /repos/{owner}/{repo}/issues/{issue_number}/labels scopes=repo
            github_list_issues -> {"echo":"GET /proxy/repos/octocat/hello-world/issues?per_page=30&state=open"}
            github_create_issue -> {"echo":"POST /proxy/repos/octocat/hello-world/issues"}
            github_add_labels -> {"echo":"POST /proxy/repos/octocat/hello%20world/issues/7/labels"}
            github_add_labels failed: invalid input 'issue_number' must be at least 1

            """)
        #expect(stub.requests.map(Self.describe) == [
            "GET /proxy/repos/octocat/hello-world/issues?per_page=30&state=open conn-1 github Bearer consumer-secret - ",
            #"POST /proxy/repos/octocat/hello-world/issues conn-1 github Bearer consumer-secret application/json {"body":"It *crashes*.","title":"Crash on launch"}"#,
            #"POST /proxy/repos/octocat/hello%20world/issues/7/labels conn-1 github Bearer consumer-secret application/json ["bug","good first issue"]"#,
        ])

        // 3. A manifest edited: the build reruns the generator, and the app sends the new
        //    default. (SwiftPM also plans this second build of a package again, whatever
        //    changed, and then compiles the plugin's tool again: its cost, not the plugin's.)
        try package.edit("Sources/Consumer/Manifests/connectors/github.yaml",
                         "per_page: { type: integer, optional: true, default: 30,", "per_page: { type: integer, optional: true, default: 50,")
        let editedStart = Date()
        let edited = try await package.build()
        print("BuildPluginTests: the build after a manifest edit took \(Int(Date().timeIntervalSince(editedStart).rounded())) s, \(edited.stdout.split(separator: "\n").filter { $0.contains("Compiling") }.count) compile steps")
        try #require(edited.status == 0, "\(edited.output)")
        #expect(edited.stdout.contains("keyway: 0 created, 1 updated, 0 removed, 1 unchanged in "), "\(edited.output)")
        let rerun = try await package.run(stub.baseURL)
        #expect(rerun.stdout.split(separator: "\n").filter { $0.hasPrefix("github_list_issues ->") }
                == [#"github_list_issues -> {"echo":"GET /proxy/repos/octocat/hello-world/issues?per_page=50&state=open"}"#])

        // 4. Nothing changed: the plugin's command does not run, nothing is compiled.
        let again = try await package.build()
        let compiled = again.stdout.split(separator: "\n").filter { $0.contains("Compiling") && !$0.contains("Compiling plugin") }
        #expect(again.status == 0 && !again.stdout.contains("keyway:") && compiled.isEmpty, "\(again.output)")

        // 5. The command plugin runs the same generator in the package's folder (it reuses
        //    the tool the build compiled) and fails when the generator does, naming the call.
        let command = { (arguments: [String]) in
            try await Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["swift", "package", "--allow-writing-to-package-directory", "keyway"] + arguments, in: package.root)
        }
        let validated = try await command(["validate", "--manifests", "Sources/Consumer/Manifests"])
        #expect(validated.status == 0 && validated.stdout == "", "\(validated.output)")
        let absent = try await command(["validate", "--manifests", "Absent"])
        #expect(absent.status != 0)
        #expect(absent.output.split(separator: "\n").filter { $0.contains("error") }.map(String.init).sorted() == [
            "1 error, 0 warnings",
            "Absent:1:1: error: manifests folder not found; pass --manifests DIR or create Absent/integrations",
            "error: keyway-generator validate --manifests Absent failed (exit status 1)",
        ], "\(absent.output)")

        // 6. The hand-written builder of the `request: custom` tool gone (the file emptied, so
        //    that SwiftPM need not plan the build again): the build fails, naming the tool and
        //    the function it lacks.
        try "// makeRequest(_:) of Github.AddLabels was here\n".write(
            to: package.root.appendingPathComponent("Sources/Consumer/Custom/Github+AddLabels.swift"), atomically: true, encoding: .utf8)
        let missing = try await package.build()
        #expect(missing.status != 0)
        #expect(missing.output.contains("error: type 'Github.AddLabels' does not conform to protocol 'AgentTool'"), "\(missing.output)")
        #expect(missing.output.contains("note: protocol requires function 'makeRequest' with type '(Github.AddLabels.Input) throws(ToolFailure) -> ToolRequest'"), "\(missing.output)")
    }

    @Test("keyway-generator offers init, validate, generate and check, and validates the consumer's manifests")
    func generatorCommands() async throws {
        let generator = KeywayRun.binary.deletingLastPathComponent().appendingPathComponent("keyway-generator")
        let help = try await Subprocess.run(generator, ["--help"], in: packageRoot)
        #expect(help.status == 0)
        // The names in the SUBCOMMANDS block (up to its blank line), each at the start of its entry.
        let block = help.stdout.components(separatedBy: "SUBCOMMANDS:\n").last!.components(separatedBy: "\n\n").first!
        let subcommands = block.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .map { $0.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? "" }
        #expect(subcommands == ["init", "validate", "generate", "check"])

        let manifests = packageRoot.appendingPathComponent("Tests/Fixtures/ConsumerPackage/Sources/Consumer/Manifests").path
        let validate = try await Subprocess.run(generator, ["validate", "--manifests", manifests], in: packageRoot)
        #expect(validate.status == 0 && validate.stdout == "" && validate.stderr == "", "\(validate.stderr)")
    }

    /// One request as the stub saw it: method, target, the Nango headers, content type, body.
    static func describe(_ request: StubNango.Recorded) -> String {
        [request.method, request.target, request.header("Connection-Id") ?? "-", request.header("Provider-Config-Key") ?? "-",
         request.header("Authorization") ?? "-", request.header("Content-Type") ?? "-",
         String(decoding: request.body, as: UTF8.self)].joined(separator: " ")
    }
}

/// Tests/Fixtures/ConsumerPackage copied into a folder, its dependency on keyway pointed at
/// this checkout by absolute path.
struct ConsumerPackage {
    let root: URL

    init(copyInto folder: URL) throws {
        let fixture = packageRoot.appendingPathComponent("Tests/Fixtures/ConsumerPackage")
        root = folder.appendingPathComponent("ConsumerPackage")
        for relative in try Self.files(under: fixture) {
            let target = root.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: fixture.appendingPathComponent(relative), to: target)
        }
        try edit("Package.swift", #".package(name: "keyway", path: "../../..")"#, ".package(name: \"keyway\", path: \(Self.swiftString(packageRoot.path)))")
    }

    /// The fixture's files, relative to it, without a build folder a developer may have left.
    static func files(under folder: URL) throws -> [String] {
        let base = folder.resolvingSymlinksInPath().path + "/"
        var found: [String] = []
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])!
        for case let url as URL in enumerator {
            if url.lastPathComponent.hasPrefix(".build") || url.lastPathComponent == ".swiftpm" {
                enumerator.skipDescendants()
                continue
            }
            if try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true {
                found.append(String(url.resolvingSymlinksInPath().path.dropFirst(base.count)))
            }
        }
        return found.sorted()
    }

    static func swiftString(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Replaces the one occurrence of `old` in a file of the package.
    func edit(_ relative: String, _ old: String, _ new: String) throws {
        let file = root.appendingPathComponent(relative)
        let text = try String(contentsOf: file, encoding: .utf8)
        precondition(text.components(separatedBy: old).count == 2, "\(relative) does not contain exactly one '\(old)'")
        try text.replacingOccurrences(of: old, with: new).write(to: file, atomically: true, encoding: .utf8)
    }

    func build() async throws -> Subprocess {
        try await Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["swift", "build"], in: root)
    }

    func run(_ nango: URL) async throws -> Subprocess {
        try await Subprocess.run(root.appendingPathComponent(".build/debug/Consumer"), [nango.absoluteString], in: root)
    }

    /// The modules the build compiled: the `.build/debug/*.build` folders that hold an object file.
    func compiledModules() throws -> Set<String> {
        let debug = root.appendingPathComponent(".build/debug").resolvingSymlinksInPath()
        var modules: Set<String> = []
        for name in try FileManager.default.contentsOfDirectory(atPath: debug.path) where name.hasSuffix(".build") {
            let enumerator = FileManager.default.enumerator(atPath: debug.appendingPathComponent(name).path)
            while let file = enumerator?.nextObject() as? String {
                if file.hasSuffix(".o") {
                    modules.insert(String(name.dropLast(".build".count)))
                    break
                }
            }
        }
        return modules
    }
}

/// A finished process: its status and what it printed. Output goes to files (a build prints
/// more than a pipe holds), and the wait does not block a thread of the test pool.
struct Subprocess {
    var status: Int32
    var stdout: String
    var stderr: String
    var output: String { stdout + stderr }

    static func run(_ executable: URL, _ arguments: [String], in directory: URL) async throws -> Subprocess {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keyway-subprocess-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("stdout"), err = folder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try outHandle.close()
        try errHandle.close()
        return Subprocess(status: status, stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                          stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }
}
