import ArgumentParser
import KeywayCore
import KeywayEmit
import KeywayModel
import KeywayWrite

/// Validates and emits what `config` asks for, and routes the files to their folders; on
/// errors, reports them and exits 1 without writing anything.
func emit(_ config: ProjectConfig, _ reporter: Reporter) throws -> (generation: Pipeline.Generation, roots: [OutputRoot]) {
    let result = Result { () throws(DiagnosticsError) -> (Pipeline.Generation, [OutputRoot]) in
        let templates: TemplateSet
        do throws(DiagnosticsError) {
            templates = try Pipeline.templates(overrides: config.templates, origin: config.origins.templates)
        } catch {
            // The manifests' problems too, as validate reports them: every problem in one run.
            throw DiagnosticsError((error.diagnostics + Pipeline.validate(manifests: config.manifests, config: config, parseTrees: .keepUntilExit).diagnostics).sortedForReport())
        }
        let generation = try Pipeline.generate(manifests: config.manifests, templates: templates, config: config, parseTrees: .keepUntilExit)
        return (generation, try Pipeline.outputRoots(generation.files, config: config))
    }
    switch result {
    case .success(let emitted): return emitted
    case .failure(let error):
        reporter.report(error.diagnostics)
        throw ExitCode(1)
    }
}

public struct Generate: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "generate", abstract: "Validates the manifests, then writes every generated file (nothing at all if there is an error).")

    @OptionGroup var options: CommonOptions
    @OptionGroup var output: OutputOptions
    @Flag(name: .long, help: "Take over files in the way that keyway did not write (or that were edited since), instead of stopping.")
    var force = false

    public init() {}

    public func run() throws {
        let reporter = Reporter(format: options.format)
        let config = output.applied(to: try options.projectConfig())
        let (generation, roots) = try emit(config, reporter)
        defer { ProcessLifetime.keep(generation, roots) }
        // Every folder is planned before any is written, and committed as one change.
        let written = Result { () throws(WriteError) -> [(writer: OutputWriter, plan: OutputPlan)] in
            var plans: [(writer: OutputWriter, plan: OutputPlan)] = []
            for root in roots {
                let writer = OutputWriter(outputFolder: root.folder)
                plans.append((writer, try writer.plan(root.files, force: force)))
            }
            if plans.allSatisfy({ $0.plan.conflicts.isEmpty }) { try OutputWriter.commit(plans) }
            return plans
        }
        defer { ProcessLifetime.keep(written) }
        switch written {
        case .success(let plans) where plans.contains(where: { !$0.plan.conflicts.isEmpty }):
            reporter.report(generation.diagnostics + zip(roots, plans).flatMap { root, planned in
                planned.plan.conflicts.map {
                    Diagnostic.error(SourceLocation(file: join(root.folder, $0.path), line: 1, column: 1), $0.message + "; nothing was changed")
                }
            })
            throw ExitCode(1)
        case .success(let plans):
            let released = zip(roots, plans).flatMap { root, planned in
                planned.plan.released.map {
                    Diagnostic.warning(SourceLocation(file: join(root.folder, $0), line: 1, column: 1),
                                       "keyway no longer generates this file, but it was edited since keyway wrote it: left in place, and no longer keyway's")
                }
            }
            reporter.report(generation.diagnostics + released)
            let all = plans.map(\.plan)
            let litterCount = all.reduce(0) { $0 + $1.litter.count }
            let litter = litterCount == 0 ? "" : "; removed \(litterCount) temporary file\(litterCount == 1 ? "" : "s") of an interrupted run"
            let created = all.reduce(0) { $0 + $1.missing.count }, updated = all.reduce(0) { $0 + $1.stale.count }
            let removed = all.reduce(0) { $0 + $1.extra.count }, unchanged = all.reduce(0) { $0 + $1.unchanged.count }
            reporter.say("keyway: \(created) created, \(updated) updated, \(removed) removed, \(unchanged) unchanged in \(roots.map(\.folder).joined(separator: ", "))\(litter)")
        case .failure(let error):
            reporter.report(generation.diagnostics + [.error(SourceLocation(file: config.output, line: 1, column: 1), error.description)])
            throw ExitCode(1)
        }
    }
}

/// A path inside the output folder, as diagnostics show it.
func join(_ folder: String, _ path: String) -> String { folder.hasSuffix("/") ? folder + path : folder + "/" + path }
