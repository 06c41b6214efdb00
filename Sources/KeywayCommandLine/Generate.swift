import ArgumentParser
import KeywayCore
import KeywayModel
import KeywayWrite

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

public struct Generate: ParsableCommand {
    public static let configuration = CommandConfiguration(abstract: "Validates the manifests, then writes every generated file (nothing at all if there is an error).")

    @OptionGroup var options: CommonOptions
    @OptionGroup var output: OutputOptions
    @Flag(name: .long, help: "Take over files in the way that keyway did not write (or that were edited since), instead of stopping.")
    var force = false

    public init() {}

    public func run() throws {
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
