import ArgumentParser
import KeywayCore
import KeywayModel
import KeywayWrite

public struct Check: ParsableCommand {
    public static let configuration = CommandConfiguration(abstract: "Fails (exit 1) when the output folder is not exactly what `keyway generate` would write.")

    @OptionGroup var options: CommonOptions
    @OptionGroup var output: OutputOptions

    public init() {}

    public func run() throws {
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
