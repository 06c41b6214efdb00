import ArgumentParser
import Foundation
import KeywayCommandLine
import KeywayCore
import KeywayEmit
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayOpenAPI
import KeywayValidate
import KeywayWrite

@main
struct Keyway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyway",
        abstract: "Generates Swift tools, SQL migrations and OAuth checklists from integration manifests.",
        subcommands: [Init.self, Validate.self, Generate.self, Check.self, Migrate.self, Audit.self, Tools.self, ServeMCP.self]
    )

    /// keyway's exit statuses (see `mainWithKeywayExitCodes`).
    static func main() async {
        await mainWithKeywayExitCodes()
    }
}

struct Tools: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tools",
        abstract: "Prints the tools (the default), checks them against the provider's OpenAPI document, or drafts one from it.",
        subcommands: [List.self, Lint.self, Import.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Prints every tool as model APIs take it: [{name, description, input_schema}] (JSON Schema 2020-12).")

        @OptionGroup var options: CommonOptions

        func run() throws {
            let config = try options.projectConfig()
            let result = Pipeline.validate(manifests: config.manifests, config: config)
            guard let catalog = result.catalog else {
                Reporter(format: .text).report(result.diagnostics)
                throw ExitCode(1)
            }
            FileHandle.standardOutput.write(Data(catalog.toolsJSON.utf8))
        }
    }

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lint",
            abstract: "Checks tools against the provider's OpenAPI 3.0/3.1 document: operations, inputs, types, enums, bounds, defaults, encoding, scopes.")

        @OptionGroup var options: CommonOptions
        @Option(name: .long, help: "The provider's OpenAPI document (JSON or YAML); repeat it for a provider that publishes one document per API.")
        var openapi: [String]
        @Option(name: .long, help: "Check this connector's tools only (default: every connector's).")
        var connector: String?
        @Option(name: .long, help: "What the document's paths start with that Nango's base URL already holds (e.g. /api).")
        var basePath = ""

        func run() throws {
            let reporter = Reporter(format: options.format)
            let config = try options.projectConfig()
            let result = Pipeline.validate(manifests: config.manifests, config: config)
            guard let catalog = result.catalog else {
                reporter.report(result.diagnostics)
                throw ExitCode(1)
            }
            var connectors = catalog.connectors
            if let connector {
                connectors = connectors.filter { $0.slug == connector }
                if connectors.isEmpty {
                    let slugs = catalog.connectors.map(\.slug)
                    reporter.report([.error(SourceLocation(file: config.manifests, line: 1, column: 1),
                                            "no connector '\(connector.forDiagnostic)'; use one of: \(slugs.joined(separator: ", "))")])
                    throw ExitCode(1)
                }
            }
            let api = ProviderAPI.merged(try openapi.map { try readDocument($0, reporter) })
            let diagnostics = OpenAPILinter(api: api, basePath: basePath).lint(connectors)
            reporter.report(diagnostics)
            let tools = connectors.reduce(0) { $0 + $1.tools.count }
            reporter.say("keyway: \(tools) tool\(tools == 1 ? "" : "s") checked against \(openapi.map(\.escapingControls).joined(separator: ", "))")
            if diagnostics.hasErrors { throw ExitCode(1) }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Prints a tool entry (YAML to paste under a connector's tools:) drafted from an operation of an OpenAPI document.")

        @Option(name: .long, help: "The provider's OpenAPI document (JSON or YAML).")
        var openapi: String
        @Option(name: .long, help: "The operationId of the operation.")
        var operation: String
        @Option(name: .long, help: "What the document's paths start with that Nango's base URL already holds (e.g. /api).")
        var basePath = ""

        func run() throws {
            let reporter = Reporter(format: .text)
            let api = try readDocument(openapi, reporter)
            switch OpenAPIImporter(api: api, basePath: basePath).entry(operationId: operation) {
            case .success(let yaml): FileHandle.standardOutput.write(Data(yaml.utf8))
            case .failure(let diagnostic):
                reporter.report([diagnostic])
                throw ExitCode(1)
            }
        }
    }
}

/// Reads and decodes an OpenAPI document; on a problem, reports it and exits 1. The size
/// is checked before the file is read.
func readDocument(_ path: String, _ reporter: Reporter) throws -> ProviderAPI {
    let at = SourceLocation(file: path, line: 1, column: 1)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
        reporter.report([.error(at, "OpenAPI document not found; pass an existing file to --openapi")])
        throw ExitCode(1)
    }
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    guard size <= ProviderAPI.maximumBytes, let data = FileManager.default.contents(atPath: path) else {
        reporter.report([.error(at, size > ProviderAPI.maximumBytes
            ? "the OpenAPI document is larger than \(ProviderAPI.maximumBytes >> 20) MiB; keyway does not read it"
            : "cannot read the OpenAPI document")])
        throw ExitCode(1)
    }
    switch ProviderAPI.decode(data, file: path) {
    case .success(let api): return api
    case .failure(let diagnostic):
        reporter.report([diagnostic])
        throw ExitCode(1)
    }
}

enum AuditFormat: String, ExpressibleByArgument, CaseIterable { case text, md, json, csv }

enum AuditGate: String, ExpressibleByArgument, CaseIterable { case unused, unknown, restricted, added }

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Lists every granted scope with its level, reason and the tools that need it; compares with a baseline; gates CI.")

    @Option(name: .long, help: "The manifests folder (default: keyway.yaml's manifests, else Manifests).")
    var manifests: String?
    @Option(name: .long, help: "The project configuration (default: keyway.yaml in the working directory, when there is one).")
    var config: String?
    @Option(name: .long, help: "text, md, json (stable; see the README) or csv.")
    var format: AuditFormat = .text
    @Option(name: .long, help: "A previous `keyway audit --format json`: report what changed since.")
    var baseline: String?
    @Option(name: .long, help: "A git revision: report what changed since the manifests at that revision.")
    var since: String?
    @Option(name: .long, parsing: .upToNextOption, help: "Exit 1 when a scope is unused, unknown, restricted, or added (added needs --baseline or --since). Repeatable.")
    var failOn: [AuditGate] = []

    func validate() throws {
        if baseline != nil && since != nil { throw ValidationError("use --baseline or --since, not both") }
        if failOn.contains(.added) && baseline == nil && since == nil { throw ValidationError("--fail-on added needs --baseline FILE or --since GITREF") }
    }

    func run() throws {
        let result = Result { () throws(DiagnosticsError) -> (ScopeAudit, [Diagnostic], String) in
            var project = try Pipeline.projectConfig(path: config)
            if let manifests {
                project.manifests = manifests
                project.origins.manifests = nil
            }
            let manifests = project.manifests
            var base: ScopeAudit?
            if let baseline {
                guard let data = FileManager.default.contents(atPath: baseline) else {
                    throw DiagnosticsError([.error(SourceLocation(file: baseline, line: 1, column: 1), "cannot read the baseline file")])
                }
                do {
                    base = try JSONDecoder().decode(ScopeAudit.self, from: data)
                } catch {
                    throw DiagnosticsError([.error(SourceLocation(file: baseline, line: 1, column: 1), "not a keyway audit JSON (keyway audit --format json): \(error)")])
                }
                if base?.version != ScopeAudit.currentVersion {
                    throw DiagnosticsError([.error(SourceLocation(file: baseline, line: 1, column: 1), "the baseline is audit version \(base?.version ?? 0); this keyway reads version \(ScopeAudit.currentVersion)")])
                }
            }
            if let since {
                let folder = try GitRevision.exportManifests(at: since, of: manifests)
                defer { try? FileManager.default.removeItem(at: folder) }
                do throws(DiagnosticsError) {
                    base = try Pipeline.audit(manifests: folder.path, baseline: nil).audit
                } catch {
                    throw DiagnosticsError([.error(SourceLocation(file: manifests, line: 1, column: 1), "the manifests at \(since.forDiagnostic) do not validate (\(error.diagnostics.count) problems); pick another revision")])
                }
            }
            let (audit, diagnostics) = try Pipeline.audit(manifests: manifests, config: project, baseline: base)
            let text: String
            switch format {
            case .text: text = audit.text
            case .json: text = audit.json
            case .csv: text = audit.csv
            case .md: text = try audit.markdown(templates: Pipeline.templates(overrides: project.templates, origin: project.origins.templates))
            }
            return (audit, diagnostics, text)
        }
        switch result {
        case .failure(let error):
            Reporter(format: .text).report(error.diagnostics)
            throw ExitCode(1)
        case .success(let (audit, diagnostics, text)):
            if !diagnostics.isEmpty { Reporter(format: .text).report(diagnostics) }
            FileHandle.standardOutput.write(Data(text.utf8))
            var failures: [String] = []
            for gate in failOn {
                switch gate {
                case .unused, .unknown, .restricted:
                    let flag = ScopeAudit.Flag(rawValue: gate.rawValue)!
                    for i in audit.integrations { for s in i.scopes where s.flags.contains(flag) { failures.append("\(gate.rawValue): \(i.key): \(s.scope.forDiagnostic)") } }
                case .added:
                    for c in audit.changes ?? [] where c.kind == .added { failures.append("added: \(c.integration): \(c.scope.forDiagnostic)") }
                }
            }
            if !failures.isEmpty {
                FileHandle.standardError.write(Data(("keyway audit: failing on\n" + failures.map { "  " + $0 }.joined(separator: "\n") + "\n").utf8))
                throw ExitCode(1)
            }
        }
    }
}
