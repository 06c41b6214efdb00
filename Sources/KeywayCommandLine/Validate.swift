import ArgumentParser
import KeywayCore
import KeywayEmit
import KeywayModel

public struct Validate: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "validate", abstract: "Checks the manifests and reports every problem, like a compiler.")

    @OptionGroup var options: CommonOptions
    @Option(name: .long, help: "A folder of templates that replace the built-in ones of the same name, checked too (default: keyway.yaml's templates).")
    var templates: String?

    public init() {}

    public func run() throws {
        var config = try options.projectConfig()
        if let templates {
            config.templates = templates
            config.origins.templates = nil
        }
        let result = Pipeline.validate(manifests: config.manifests, config: config, parseTrees: .keepUntilExit)
        defer { ProcessLifetime.keep(result) }
        var diagnostics = result.diagnostics
        // The templates folder keyway.yaml names, and the overrides in it, are part of
        // the project too: generate would stop on them.
        if config.templates != nil {
            do throws(DiagnosticsError) {
                diagnostics = (diagnostics + Emitters.templateProblems(try Pipeline.templates(overrides: config.templates, origin: config.origins.templates))).sortedForReport()
            } catch {
                diagnostics = (diagnostics + error.diagnostics).sortedForReport()
            }
        }
        let reporter = Reporter(format: options.format)
        reporter.report(diagnostics)
        if diagnostics.hasErrors { throw ExitCode(1) }
    }
}
