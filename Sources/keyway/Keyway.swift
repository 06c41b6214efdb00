import ArgumentParser
import Foundation
import KeywayCommandLine
import KeywayContract
import KeywayCore
import KeywayEmit
import KeywayLoad
import KeywayManifestTools
import KeywayMigrations
import KeywayModel
import KeywayOpenAPI
import KeywayValidate
import KeywayFiles
import KeywayConnections
import KeywayDatabase
import KeywayRuntime
import Logging

@main
struct Keyway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyway",
        abstract: "Generates Swift tools, SQL migrations and OAuth checklists from integration manifests.",
        version: KeywayVersion.current,
        subcommands: [InitProject.self, Validate.self, Generate.self, Check.self, Migrate.self, Audit.self, Tools.self, ServeMCP.self, Nango.self, Calls.self]
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
        subcommands: [List.self, Lint.self, Import.self, Diff.self],
        defaultSubcommand: List.self)

    struct List: KeywayCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Prints every tool as model APIs take it: [{name, description, input_schema}] (JSON Schema 2020-12).")

        @OptionGroup var options: CommonOptions

        var diagnosticsFormat: OutputFormat { options.format }
        var printsData: Bool { true }

        func run(_ run: CommandRun) throws {
            let config = try options.projectConfig()
            let result = Pipeline.validate(manifests: config.manifestsFolder, config: config)
            run.diagnostics.emit(contentsOf: result.diagnostics)
            if let catalog = result.catalog { run.output(catalog.toolsJSON) }
        }
    }

    struct Lint: KeywayCommand {
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

        var diagnosticsFormat: OutputFormat { options.format }

        func run(_ run: CommandRun) throws {
            let config = try options.projectConfig()
            let result = Pipeline.validate(manifests: config.manifestsFolder, config: config)
            guard let catalog = result.catalog else { throw DiagnosticsError(result.diagnostics) }
            var connectors = catalog.connectors
            if let connector {
                connectors = connectors.filter { $0.slug == connector }
                if connectors.isEmpty {
                    let slugs = catalog.connectors.map(\.slug)
                    throw DiagnosticsError([.error(.commandLine, "--connector names no connector '\(connector.forDiagnostic)'; use one of: \(slugs.joined(separator: ", "))")])
                }
            }
            let api = ProviderAPI.merged(try openapi.map(readDocument))
            run.diagnostics.emit(contentsOf: OpenAPILinter(api: api, basePath: basePath).lint(connectors))
            let tools = connectors.reduce(0) { $0 + $1.tools.count }
            run.say("keyway: \(tools) tool\(tools == 1 ? "" : "s") checked against \(openapi.map(\.escapingControls).joined(separator: ", "))")
        }
    }

    struct Import: KeywayCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Prints a tool entry (YAML to paste under a connector's tools:) drafted from an operation of an OpenAPI document.")

        @Option(name: .long, help: "The provider's OpenAPI document (JSON or YAML).")
        var openapi: String
        @Option(name: .long, help: "The operationId of the operation.")
        var operation: String
        @Option(name: .long, help: "What the document's paths start with that Nango's base URL already holds (e.g. /api).")
        var basePath = ""

        var printsData: Bool { true }

        func run(_ run: CommandRun) throws {
            let api = try readDocument(openapi)
            let importer = OpenAPIImporter(api: api, basePath: basePath)
            run.diagnostics.emit(contentsOf: importer.warnings(operationId: operation))
            switch importer.entry(operationId: operation) {
            case .success(let yaml): run.output(yaml)
            case .failure(let diagnostic): run.diagnostics.emit(diagnostic)
            }
        }
    }
}

extension Tools {
    struct Diff: KeywayCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "Lists every change to the tool contract agents and apps see since a git revision or a previous `keyway tools` JSON, each breaking or not.")

        @OptionGroup var options: CommonOptions
        @Option(name: .long, help: "A git revision: compare with the manifests as they were there (scopes compared too).")
        var since: String?
        @Option(name: .long, help: "A previous `keyway tools --format json` to compare with.")
        var baseline: String?
        @Option(name: .long, help: "breaking: exit 1 when a change is breaking (for CI).")
        var failOn: String?
        @Option(name: .long, help: "keyway's PostgreSQL (postgres://…): name the connections whose users must consent again to a scope added (with --since).")
        var database: String?

        func validate() throws {
            if (since == nil) == (baseline == nil) { throw ValidationError("pass one of --since GITREF or --baseline FILE") }
            if let failOn, failOn != "breaking" { throw ValidationError("--fail-on takes breaking") }
            if let database {
                if since == nil { throw ValidationError("--database needs --since: scopes are compared between manifests only") }
                _ = try ConnectionsDatabase.url(database)
            }
        }

        var diagnosticsFormat: OutputFormat { options.format }
        var printsData: Bool { true }

        func run(_ run: CommandRun) async throws {
            let config = try options.projectConfig()
            let result = Pipeline.validate(manifests: config.manifestsFolder, config: config)
            run.diagnostics.emit(contentsOf: result.diagnostics.filter { $0.severity == .error })
            guard let catalog = result.catalog else { return }
            let current = try KeywayContract.JSONValue(json: Data(catalog.toolsJSON.utf8))
            var old: KeywayContract.JSONValue
            var oldScopes: [String: [String]]?
            if let baseline {
                let at = SourceLocation.start(of: baseline)
                guard let data = FileManager.default.contents(atPath: baseline) else {
                    throw DiagnosticsError([.error(at, "cannot read the baseline; pass a file that `keyway tools --format json` wrote")])
                }
                guard let parsed = try? KeywayContract.JSONValue(json: data), case .array = parsed else {
                    throw DiagnosticsError([.error(at, "not a `keyway tools --format json` document (a JSON array of tools)")])
                }
                old = parsed
            } else {
                let manifests = config.manifests
                let folder = try GitRevision.exportManifests(at: since!, of: manifests)
                defer { try? FileManager.default.removeItem(at: folder) }
                let then = Pipeline.validate(manifests: LocalFolder(folder.path), config: config)
                guard let before = then.catalog else {
                    throw DiagnosticsError([.error(.start(of: manifests), "the manifests at \(since!.forDiagnostic) do not validate (\(then.diagnostics.count) problems); pick another revision")])
                }
                old = try KeywayContract.JSONValue(json: Data(before.toolsJSON.utf8))
                oldScopes = Self.scopes(before)
            }
            let changes = ToolContractDiff.changes(from: old, to: current, oldScopes: oldScopes, newScopes: oldScopes == nil ? nil : Self.scopes(catalog))
            let breaking = changes.filter(\.breaking).count
            var consent: [String: [ConnectionStore.HeldConnection]] = [:]
            if let database { consent = try await Self.mustConsent(changes, catalog, database: database) }
            var text = ""
            for change in changes {
                text += change.line + "\n"
                if let held = consent[change.line] {
                    let names: [String] = held.map(Self.describe)
                    text += "         \(held.count) connection\(held.count == 1 ? "" : "s") must consent again" + (held.isEmpty ? "" : ": " + names.joined(separator: ", ")) + "\n"
                }
            }
            run.output(text + "keyway: \(changes.count) change\(changes.count == 1 ? "" : "s") to the tool contract, \(breaking) breaking\n")
            if failOn == "breaking" {
                let tools = Dictionary(catalog.connectors.flatMap { c in c.tools.map { (c.modelName(of: $0), $0) } }, uniquingKeysWith: { a, _ in a })
                for change in changes where change.breaking {
                    let tool = tools[change.tool]
                    let top = String(change.input.prefix { $0 != "." && $0 != "[" && $0 != "{" })
                    let at = tool.map { t in
                        if let output = change.output {
                            return t.outputLocations[String(output.prefix { $0 != "." && $0 != "[" && $0 != "{" })] ?? t.location(ofKey: "output")
                        }
                        return change.scope.flatMap { t.scopeLocations[$0] } ?? t.inputs.first { $0.name == top }.map(t.location(of:)) ?? t.location
                    } ?? .commandLine
                    run.diagnostics.error(at, "--fail-on breaking: \(change.tool): \(change.message)")
                }
            }
        }

        /// For each scope added, the live connections of the tool's integration and connector
        /// that lack it (by the change's line).
        static func mustConsent(_ changes: [ToolContractDiff.Change], _ catalog: Catalog, database: String) async throws -> [String: [ConnectionStore.HeldConnection]] {
            let added = changes.filter { $0.breaking && $0.scope != nil }
            guard !added.isEmpty else { return [:] }
            let url = try ConnectionsDatabase.url(database)
            let (store, running) = try await ConnectionsDatabase.reachedStore(url)
            defer { running.cancel() }
            var out: [String: [ConnectionStore.HeldConnection]] = [:]
            for change in added {
                guard let scope = change.scope,
                      let connector = catalog.connectors.first(where: { c in c.tools.contains { c.modelName(of: $0) == change.tool } }) else { continue }
                do {
                    out[change.line] = try await store.connections(lacking: [scope], providerConfigKey: connector.providerKey, connector: connector.slug)
                } catch {
                    throw DiagnosticsError([.error(.commandLine, "cannot read the connections of \(connector.providerKey.forDiagnostic) in \(url.redacted): \(MigrationError.reason(error))")])
                }
            }
            return out
        }

        /// `conn-1 (owner org-a)`, `conn-2 (user user-1 of owner org-a, needs_reauth)`.
        static func describe(_ held: ConnectionStore.HeldConnection) -> String {
            let whose = held.user.map { "user \($0.forDiagnostic) of owner \(held.owner.forDiagnostic)" } ?? "owner \(held.owner.forDiagnostic)"
            return "\(held.connectionID.forDiagnostic) (\(whose)\(held.status == .active ? "" : ", " + held.status.rawValue))"
        }

        static func scopes(_ catalog: Catalog) -> [String: [String]] {
            Dictionary(catalog.connectors.flatMap { c in c.tools.map { (c.modelName(of: $0), $0.scopes) } }, uniquingKeysWith: { a, _ in a })
        }
    }
}

/// Reads and decodes an OpenAPI document; every problem is one diagnostic at the file. The
/// size is checked before the file is read.
func readDocument(_ path: String) throws(DiagnosticsError) -> ProviderAPI {
    let at = SourceLocation.start(of: path)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
        throw DiagnosticsError([.error(at, "OpenAPI document not found; pass an existing file to --openapi")])
    }
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    guard size <= ProviderAPI.maximumBytes, let data = FileManager.default.contents(atPath: path) else {
        throw DiagnosticsError([.error(at, size > ProviderAPI.maximumBytes
            ? "the OpenAPI document is larger than \(ProviderAPI.maximumBytes >> 20) MiB; keyway does not read it"
            : "cannot read the OpenAPI document")])
    }
    switch ProviderAPI.decode(data, file: path) {
    case .success(let api): return api
    case .failure(let diagnostic): throw DiagnosticsError([diagnostic])
    }
}

enum AuditFormat: String, ExpressibleByArgument, CaseIterable { case text, md, json, csv }

enum AuditGate: String, ExpressibleByArgument, CaseIterable {
    case unused, unknown, restricted, added
    case unusedInProduction = "unused-in-production"
    case refused
}

struct Audit: KeywayCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Lists every granted scope with its level, reason and the tools that need it; compares with a baseline; gates CI.")

    @Option(name: .long, help: "The manifests folder (default: keyway.yaml's manifests, else Manifests).")
    var manifests: String?
    @Option(name: .long, help: "The project configuration (default: keyway.yaml in the working directory, when there is one).")
    var config: String?
    @Option(name: .long, help: "text, md, json (stable; see the CommandLine article) or csv.")
    var format: AuditFormat = .text
    @Option(name: .long, help: "A previous `keyway audit --format json`: report what changed since.")
    var baseline: String?
    @Option(name: .long, help: "A git revision: report what changed since the manifests at that revision.")
    var since: String?
    @Option(name: .long, parsing: .upToNextOption, help: "Exit 1 when a scope is unused, unknown, restricted, added (needs --baseline or --since), unused-in-production or refused (need --calls). Repeatable.")
    var failOn: [AuditGate] = []
    @Option(name: .long, help: "keyway's PostgreSQL (postgres://…): add each scope's calls from the call log (tool_calls), flag scopes unused in production or refused.")
    var calls: String?
    @Option(name: .long, help: "With --calls: the stretch of the call log read, like 30d, 12h or 90m (default 30d).")
    var window: String = "30d"

    func validate() throws {
        if baseline != nil && since != nil { throw ValidationError("use --baseline or --since, not both") }
        if failOn.contains(.added) && baseline == nil && since == nil { throw ValidationError("--fail-on added needs --baseline FILE or --since GITREF") }
        if calls == nil && (failOn.contains(.unusedInProduction) || failOn.contains(.refused)) {
            throw ValidationError("--fail-on unused-in-production and refused need --calls postgres://… (the call log)")
        }
        if let calls { _ = try ConnectionsDatabase.url(calls) }
        if Calls.Prune.seconds(window) == nil {
            throw ValidationError("--window takes a whole number of days, hours or minutes, like 30d, 12h or 90m, not '\(window.forDiagnostic)'")
        }
    }

    var printsData: Bool { true }

    func run(_ run: CommandRun) async throws {
        var project = try ProjectConfig.load(path: config)
        if let manifests {
            project.manifests = manifests
            project.origins.manifests = nil
        }
        let manifests = project.manifests
        var base: ScopeAudit?
        if let baseline {
            let at = SourceLocation.start(of: baseline)
            guard let data = FileManager.default.contents(atPath: baseline) else {
                throw DiagnosticsError([.error(at, "cannot read the baseline file; pass a file that `keyway audit --format json` wrote")])
            }
            do {
                base = try JSONDecoder().decode(ScopeAudit.self, from: data)
            } catch {
                throw DiagnosticsError([.error(at, "not a keyway audit JSON (keyway audit --format json): \(error)")])
            }
            if base?.version != ScopeAudit.currentVersion {
                throw DiagnosticsError([.error(at, "the baseline is audit version \(base?.version ?? 0); this keyway reads version \(ScopeAudit.currentVersion)")])
            }
        }
        if let since {
            let folder = try GitRevision.exportManifests(at: since, of: manifests)
            defer { try? FileManager.default.removeItem(at: folder) }
            do throws(DiagnosticsError) {
                base = try Pipeline.audit(manifests: LocalFolder(folder.path), baseline: nil).audit
            } catch {
                throw DiagnosticsError([.error(.start(of: manifests), "the manifests at \(since.forDiagnostic) do not validate (\(error.diagnostics.count) problems); pick another revision")])
            }
        }
        var (audit, catalog, diagnostics) = try Pipeline.audit(manifests: project.manifestsFolder, config: project, baseline: base)
        run.diagnostics.emit(contentsOf: diagnostics)
        if let calls {
            let since = Date(timeIntervalSinceNow: -Calls.Prune.seconds(window)!)
            audit = audit.withUse(try await Self.toolCalls(calls, since: since), since: since, window: window)
        }
        switch format {
        case .text: run.output(audit.text)
        case .json: run.output(audit.json)
        case .csv: run.output(audit.csv)
        case .md: run.output(try audit.markdown(templates: Pipeline.templates(overrides: project.templatesFolder, origin: project.origins.templates)))
        }
        // Each gate that fails is an error at the scope's line in its integration manifest.
        func grant(_ integration: String, _ scope: String) -> SourceLocation {
            catalog.integrations.first { $0.key == integration }.flatMap { i in i.auth.scopes.first { $0.scope == scope }?.location }
                ?? catalog.integrations.first { $0.key == integration }?.location ?? .start(of: manifests)
        }
        for gate in failOn {
            switch gate {
            case .unused, .unknown, .restricted, .unusedInProduction, .refused:
                let flag = ScopeAudit.Flag(rawValue: gate.rawValue)!
                for i in audit.integrations {
                    for s in i.scopes where s.flags.contains(flag) {
                        run.diagnostics.error(grant(i.key, s.scope), "--fail-on \(gate.rawValue): scope '\(s.scope.forDiagnostic)' of \(i.key) is \(gate.rawValue)")
                    }
                }
            case .added:
                for c in audit.changes ?? [] where c.kind == .added {
                    run.diagnostics.error(grant(c.integration, c.scope), "--fail-on added: scope '\(c.scope.forDiagnostic)' of \(c.integration) was added since the baseline")
                }
            }
        }
    }

    /// Tool name → its calls in the call log since `since`.
    static func toolCalls(_ database: String, since: Date) async throws -> [String: ToolUse] {
        let url = try ConnectionsDatabase.url(database)
        let (store, running) = try await ConnectionsDatabase.reachedStore(url)
        defer { running.cancel() }
        do {
            return try await store.toolCalls(since: since)
        } catch {
            throw DiagnosticsError([.error(.commandLine, "cannot read the call log in \(url.redacted): \(MigrationError.reason(error)); run keyway migrate apply there first (table format 3)")])
        }
    }
}
