import ArgumentParser
import KeywayCore
import KeywayModel
import KeywayWrite

public struct Check: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "check", abstract: "Fails (exit 1) when the output folders are not exactly what `keyway generate` would write.")

    @OptionGroup var options: CommonOptions
    @OptionGroup var output: OutputOptions

    public init() {}

    public func run() throws {
        let reporter = Reporter(format: options.format)
        let config = output.applied(to: try options.projectConfig())
        let (generation, roots) = try emit(config, reporter)
        defer { ProcessLifetime.keep(generation, roots) }
        // (path, state, what to do): the state is what `--format json` reports per file.
        let regenerate = "the file is not what the manifests generate; run `keyway generate`"
        var entries: [(path: String, state: String, message: String)] = []
        var upToDate = true, unchanged = 0
        for root in roots {
            let planned = Result { () throws(WriteError) in try OutputWriter(outputFolder: root.folder).plan(root.files) }
            guard case .success(let plan) = planned else {
                if case .failure(let error) = planned {
                    reporter.report([.error(SourceLocation(file: root.folder, line: 1, column: 1), error.description)])
                }
                throw ExitCode(1)
            }
            defer { ProcessLifetime.keep(plan) }
            let here = plan.stale.map { ($0.path, "stale", regenerate) }
                + plan.missing.map { ($0.path, "missing", regenerate) }
                + plan.extra.map { ($0, "extra", "keyway no longer generates this file; run `keyway generate` to remove it") }
                + plan.conflicts.map { ($0.path, $0.reason == .edited ? "edited" : "not keyway's", $0.message(force: "run `keyway generate --force`")) }
                + plan.litter.map { ($0, "litter", "a temporary file of an interrupted keyway run; run `keyway generate` to remove it") }
                + (plan.manifestChanges ? [(OwnershipManifest.fileName, "stale", "the record of the files keyway owns is out of date; run `keyway generate`")] : [])
            entries += here.map { (join(root.folder, $0.0), $0.1, $0.2) }
            upToDate = upToDate && plan.isUpToDate
            unchanged += plan.unchanged.count
        }
        let history = config.artifacts.contains(.migrations)
            ? MigrationsFolder(output: config.output, dialects: config.migrations.dialects).check(generation.catalog) : []
        let diagnostics = generation.diagnostics + history + entries.sorted { $0.path < $1.path }.map {
            Diagnostic.error(SourceLocation(file: $0.path, line: 1, column: 1), "\($0.state): \($0.message)")
        }
        reporter.report(diagnostics, stale: entries.map { ($0.path, $0.state) })
        if !upToDate || diagnostics.hasErrors { throw ExitCode(1) }
        reporter.say("keyway: \(roots.map(\.folder).joined(separator: ", ")) \(roots.count == 1 ? "is" : "are") up to date (\(unchanged) files)")
    }
}
