import ArgumentParser
import Foundation
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
        subcommands: [Validate.self, Generate.self, Check.self, Migrate.self, Audit.self, Tools.self, ServeMCP.self]
    )

    /// Exit statuses: 0 clean (warnings allowed), 1 errors in the manifests or a stale
    /// output folder, 2 a usage error (ArgumentParser's own default is 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "The manifests folder.")
    var manifests = "Manifests"

    @Option(name: .long, help: "How to print diagnostics: text (PATH:LINE:COL: error: …) or json.")
    var format: OutputFormat = .text

    @Option(name: .long, help: "The project configuration (default: keyway.yaml in the working directory, when there is one).")
    var config: String?

    /// `keyway.yaml`, or the defaults; on an error, reports it and exits 1.
    func projectConfig() throws -> ProjectConfig {
        do throws(DiagnosticsError) {
            return try Pipeline.projectConfig(path: config)
        } catch {
            Reporter(format: format).report(error.diagnostics)
            throw ExitCode(1)
        }
    }
}

/// Prints diagnostics: text lines on standard error, or one JSON document on standard output.
struct Reporter {
    var format: OutputFormat

    struct Report: Encodable {
        var diagnostics: [Entry]
        var errors: Int
        var warnings: Int
        var stale: [StaleEntry]?
    }
    struct Entry: Encodable {
        var file: String, line: Int, column: Int, severity: String, message: String
    }
    struct StaleEntry: Encodable {
        var path: String, state: String
    }

    func report(_ diagnostics: [Diagnostic], stale: [(String, String)]? = nil) {
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.count - errors
        switch format {
        case .text:
            var text = diagnostics.map(\.formatted).joined(separator: "\n")
            if !diagnostics.isEmpty {
                text += "\n\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")\n"
            }
            FileHandle.standardError.write(Data(text.utf8))
        case .json:
            let report = Report(
                diagnostics: diagnostics.map { Entry(file: $0.location.file, line: $0.location.line, column: $0.location.column, severity: $0.severity.rawValue, message: $0.message) },
                errors: errors, warnings: warnings, stale: stale?.map { StaleEntry(path: $0.0, state: $0.1) })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(report)) ?? Data("{}".utf8)
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
    }

    func say(_ line: String) {
        if format == .text { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Checks the manifests and reports every problem, like a compiler.")

    @OptionGroup var options: CommonOptions

    func run() throws {
        let result = Pipeline.validate(manifests: options.manifests, config: try options.projectConfig())
        let reporter = Reporter(format: options.format)
        reporter.report(result.diagnostics)
        if result.diagnostics.hasErrors { throw ExitCode(1) }
    }
}

/// Options shared by `generate` and `check`.
struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "The output folder.")
    var output = "Generated"

    @Option(name: .long, help: "A folder of templates that replace the built-in ones of the same name.")
    var templates: String?
}

/// Validates and emits; on errors, reports them and exits 1 without writing anything.
func emit(_ options: CommonOptions, _ output: OutputOptions, _ reporter: Reporter) throws -> Pipeline.Generation {
    let config = try options.projectConfig()
    let result = Result { () throws(DiagnosticsError) -> Pipeline.Generation in
        let templates = try Pipeline.templates(overrides: output.templates)
        return try Pipeline.generate(manifests: options.manifests, templates: templates, config: config)
    }
    switch result {
    case .success(let generation): return generation
    case .failure(let error):
        reporter.report(error.diagnostics)
        throw ExitCode(1)
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Validates the manifests, then writes every generated file (nothing at all if there is an error).")

    @OptionGroup var options: CommonOptions
    @OptionGroup var output: OutputOptions
    @Flag(name: .long, help: "Take over files in the way that keyway did not write (or that were edited since), instead of stopping.")
    var force = false

    func run() throws {
        let reporter = Reporter(format: options.format)
        let generation = try emit(options, output, reporter)
        let writer = OutputWriter(outputFolder: output.output)
        let written = Result { () throws(WriteError) -> OutputPlan in
            let plan = try writer.plan(generation.files, force: force)
            if plan.conflicts.isEmpty { try writer.apply(plan) }
            return plan
        }
        switch written {
        case .success(let plan) where !plan.conflicts.isEmpty:
            reporter.report(generation.diagnostics + plan.conflicts.map {
                .error(SourceLocation(file: join(output.output, $0.path), line: 1, column: 1), $0.message + "; nothing was changed")
            })
            throw ExitCode(1)
        case .success(let plan):
            let released = plan.released.map {
                Diagnostic.warning(SourceLocation(file: join(output.output, $0), line: 1, column: 1),
                                   "keyway no longer generates this file, but it was edited since keyway wrote it: left in place, and no longer keyway's")
            }
            reporter.report(generation.diagnostics + released)
            let litter = plan.litter.isEmpty ? "" : "; removed \(plan.litter.count) temporary file\(plan.litter.count == 1 ? "" : "s") of an interrupted run"
            reporter.say("keyway: \(plan.missing.count) created, \(plan.stale.count) updated, \(plan.extra.count) removed, \(plan.unchanged.count) unchanged in \(output.output)\(litter)")
        case .failure(let error):
            reporter.report(generation.diagnostics + [.error(SourceLocation(file: output.output, line: 1, column: 1), error.description)])
            throw ExitCode(1)
        }
    }
}

/// A path inside the output folder, as diagnostics show it.
func join(_ folder: String, _ path: String) -> String { folder.hasSuffix("/") ? folder + path : folder + "/" + path }

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Fails (exit 1) when the output folder is not exactly what `keyway generate` would write.")

    @OptionGroup var options: CommonOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let reporter = Reporter(format: options.format)
        let generation = try emit(options, output, reporter)
        let planned = Result { () throws(WriteError) in try OutputWriter(outputFolder: output.output).plan(generation.files) }
        guard case .success(let plan) = planned else {
            if case .failure(let error) = planned {
                reporter.report([.error(SourceLocation(file: output.output, line: 1, column: 1), error.description)])
            }
            throw ExitCode(1)
        }
        // (path, state, what to do): the state is what `--format json` reports per file.
        let regenerate = "the file is not what the manifests generate; run `keyway generate`"
        var entries: [(path: String, state: String, message: String)] = plan.stale.map { ($0.path, "stale", regenerate) }
            + plan.missing.map { ($0.path, "missing", regenerate) }
            + plan.extra.map { ($0, "extra", "keyway no longer generates this file; run `keyway generate` to remove it") }
            + plan.conflicts.map { ($0.path, $0.reason == .edited ? "edited" : "not keyway's", $0.message) }
            + plan.litter.map { ($0, "litter", "a temporary file of an interrupted keyway run; run `keyway generate` to remove it") }
        if plan.manifestChanges {
            entries.append((OwnershipManifest.fileName, "stale", "the record of the files keyway owns is out of date; run `keyway generate`"))
        }
        let history = MigrationsFolder(output: output.output).check(generation.catalog)
        let diagnostics = generation.diagnostics + history + entries.sorted { $0.path < $1.path }.map {
            Diagnostic.error(SourceLocation(file: join(output.output, $0.path), line: 1, column: 1), "\($0.state): \($0.message)")
        }
        reporter.report(diagnostics, stale: entries.map { (join(output.output, $0.path), $0.state) })
        if !plan.isUpToDate || diagnostics.hasErrors { throw ExitCode(1) }
        reporter.say("keyway: \(output.output) is up to date (\(plan.unchanged.count) files)")
    }
}

struct Tools: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prints the tools (the default), checks them against the provider's OpenAPI document, or drafts one from it.",
        subcommands: [List.self, Lint.self, Import.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prints every tool as model APIs take it: [{name, description, input_schema}] (JSON Schema 2020-12).")

        @OptionGroup var options: CommonOptions

        func run() throws {
            let result = Pipeline.validate(manifests: options.manifests, config: try options.projectConfig())
            guard let catalog = result.catalog else {
                Reporter(format: .text).report(result.diagnostics)
                throw ExitCode(1)
            }
            FileHandle.standardOutput.write(Data(catalog.toolsJSON.utf8))
        }
    }

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
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
            let result = Pipeline.validate(manifests: options.manifests, config: try options.projectConfig())
            guard let catalog = result.catalog else {
                reporter.report(result.diagnostics)
                throw ExitCode(1)
            }
            var connectors = catalog.connectors
            if let connector {
                connectors = connectors.filter { $0.slug == connector }
                if connectors.isEmpty {
                    let slugs = catalog.connectors.map(\.slug)
                    reporter.report([.error(SourceLocation(file: options.manifests, line: 1, column: 1),
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
        abstract: "Lists every granted scope with its level, reason and the tools that need it; compares with a baseline; gates CI.")

    @Option(name: .long, help: "The manifests folder.")
    var manifests = "Manifests"
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
            let (audit, diagnostics) = try Pipeline.audit(manifests: manifests, baseline: base)
            let text: String
            switch format {
            case .text: text = audit.text
            case .json: text = audit.json
            case .csv: text = audit.csv
            case .md: text = try audit.markdown(templates: Pipeline.templates(overrides: nil))
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
