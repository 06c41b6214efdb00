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
        let reporter = Reporter(format: options.format)
        reporter.report(result.diagnostics)
        if result.diagnostics.hasErrors { throw ExitCode(1) }
    }
}
