import ArgumentParser
import KeywayCore
import KeywayEmit
import KeywayModel
import KeywayFiles

/// Validates and emits what `config` asks for, and routes the files to their folders; with
/// any error, throws every problem of the run (the templates' and the manifests') and
/// emits nothing.
func emit(_ config: ProjectConfig) throws(DiagnosticsError) -> (generation: Pipeline.Generation, roots: [OutputRoot]) {
    try Pipeline.checkOutputFolders(config, identity: LocalFolder.identity(of:))
    let templates = try templatesOrEveryProblem(config)
    let generation = try Pipeline.generate(manifests: config.manifestsFolder, templates: templates, config: config)
    return (generation, try Pipeline.outputRoots(generation.files, config: config, identity: LocalFolder.identity(of:)))
}

public struct Generate: KeywayCommand {
    public static let configuration = CommandConfiguration(commandName: "generate", abstract: "Validates the manifests, then writes every generated file (nothing at all if there is an error).")

    @OptionGroup var options: CommonOptions
    @OptionGroup var output: OutputOptions
    @Flag(name: .long, help: "Take over files in the way that keyway did not write (or that were edited since), instead of stopping.")
    var force = false

    public init() {}

    public var diagnosticsFormat: OutputFormat { options.format }

    public func run(_ run: CommandRun) throws {
        let config = try output.applied(to: try options.projectConfig())
        let (generation, roots) = try emit(config)
        defer { ProcessLifetime.keep(generation, roots) }
        run.diagnostics.emit(contentsOf: generation.diagnostics)
        // Every folder is planned before any is written, and committed as one change.
        guard let plans = try writeOutputs(roots, force: force, into: run.diagnostics) else { return }
        defer { ProcessLifetime.keep(plans) }
        let litterCount = plans.reduce(0) { $0 + $1.litter.count }
        let litter = litterCount == 0 ? "" : "; removed \(litterCount) temporary file\(litterCount == 1 ? "" : "s") of an interrupted run"
        let created = plans.reduce(0) { $0 + $1.missing.count }, updated = plans.reduce(0) { $0 + $1.stale.count }
        let removed = plans.reduce(0) { $0 + $1.extra.count }, unchanged = plans.reduce(0) { $0 + $1.unchanged.count }
        run.say("keyway: \(created) created, \(updated) updated, \(removed) removed, \(unchanged) unchanged in \(roots.map(\.folder).joined(separator: ", "))\(litter)")
    }
}

/// The template set `config` names; when a template has a problem, throws it together with
/// the manifests' problems, as validate reports them: every problem in one run.
public func templatesOrEveryProblem(_ config: ProjectConfig) throws(DiagnosticsError) -> TemplateSet {
    do throws(DiagnosticsError) {
        return try Pipeline.templates(overrides: config.templatesFolder, origin: config.origins.templates)
    } catch {
        throw DiagnosticsError(error.diagnostics + Pipeline.validate(manifests: config.manifestsFolder, config: config).diagnostics)
    }
}
