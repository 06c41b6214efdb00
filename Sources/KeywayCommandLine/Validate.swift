import ArgumentParser
import KeywayCore
import KeywayModel

public struct Validate: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "validate", abstract: "Checks the manifests and reports every problem, like a compiler.")

    @OptionGroup var options: CommonOptions

    public init() {}

    public func run() throws {
        let config = try options.projectConfig()
        let result = Pipeline.validate(manifests: config.manifests, config: config)
        defer { ProcessLifetime.keep(result) }
        var diagnostics = result.diagnostics
        // The templates folder keyway.yaml names, and the overrides in it, are part of
        // the project too: generate would stop on them.
        if config.templates != nil {
            do throws(DiagnosticsError) {
                _ = try Pipeline.templates(overrides: config.templates, origin: config.origins.templates)
            } catch {
                diagnostics = (diagnostics + error.diagnostics).sortedForReport()
            }
        }
        let reporter = Reporter(format: options.format)
        reporter.report(diagnostics)
        if diagnostics.hasErrors { throw ExitCode(1) }
    }
}
