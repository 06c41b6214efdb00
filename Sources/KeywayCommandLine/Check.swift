import ArgumentParser
import KeywayCore
import KeywayModel
import KeywayFiles

public struct Check: KeywayCommand {
    public static let configuration = CommandConfiguration(commandName: "check", abstract: "Fails (exit 1) when the output folders are not exactly what `keyway generate` would write.")

    @OptionGroup var options: CommonOptions
    @OptionGroup var output: OutputOptions

    public init() {}

    public var diagnosticsFormat: OutputFormat { options.format }

    public func run(_ run: CommandRun) throws {
        let config = try output.applied(to: try options.projectConfig())
        let (generation, roots) = try emit(config)
        defer { ProcessLifetime.keep(generation, roots) }
        run.diagnostics.emit(contentsOf: generation.diagnostics)
        // (path, state, what to do): the state is what `--format json` reports per file.
        let regenerate = "the file is not what the manifests generate; run `keyway generate`"
        var entries: [(path: String, state: String, message: String)] = []
        var unchanged = 0
        for root in roots {
            let plan = try root.writer.plan(root.files)
            defer { ProcessLifetime.keep(plan) }
            let here = plan.stale.map { ($0.path, "stale", regenerate) }
                + plan.missing.map { ($0.path, "missing", regenerate) }
                + plan.extra.map { ($0, "extra", "keyway no longer generates this file; run `keyway generate` to remove it") }
                + plan.conflicts.map { ($0.path, $0.reason == .edited ? "edited" : "not keyway's", $0.message(force: "run `keyway generate --force`")) }
                + plan.litter.map { ($0, "litter", "a temporary file of an interrupted keyway run; run `keyway generate` to remove it") }
                + (plan.manifestChanges ? [(OwnershipManifest.fileName, "stale", "the record of the files keyway owns is out of date; run `keyway generate`")] : [])
            entries += here.map { (root.display($0.0), $0.1, $0.2) }
            unchanged += plan.unchanged.count
        }
        if config.artifacts.contains(.migrations) {
            let history = MigrationsFolder(output: config.outputFolder, dialects: config.migrations.dialects)
            run.diagnostics.emit(contentsOf: history.check(generation.catalog))
            if config.migrations.layout == .supabase {
                run.diagnostics.emit(contentsOf: history.supabaseCopyProblems(in: LocalFolder(config.migrations.supabaseOutput)))
            }
        }
        entries.sort { $0.path < $1.path }
        for entry in entries { run.diagnostics.error(.start(of: entry.path), "\(entry.state): \(entry.message)") }
        run.fileStates = entries.map { ($0.path, $0.state) }
        if !run.diagnostics.hasErrors {
            run.say("keyway: \(roots.map(\.folder).joined(separator: ", ")) \(roots.count == 1 ? "is" : "are") up to date (\(unchanged) files)")
        }
    }
}
