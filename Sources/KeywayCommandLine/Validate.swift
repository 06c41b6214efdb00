import ArgumentParser
import KeywayCore
import KeywayEmit
import KeywayModel

public struct Validate: KeywayCommand {
    public static let configuration = CommandConfiguration(commandName: "validate", abstract: "Checks the manifests and reports every problem, like a compiler.")

    @OptionGroup var options: CommonOptions
    @Option(name: .long, help: "A folder of templates that replace the built-in ones of the same name, checked too (default: keyway.yaml's templates).")
    var templates: String?

    public init() {}

    public var diagnosticsFormat: OutputFormat { options.format }

    public func run(_ run: CommandRun) throws {
        var config = try options.projectConfig()
        if let templates {
            config.templates = templates
            config.origins.templates = nil
        }
        let result = Pipeline.validate(manifests: config.manifestsFolder, config: config)
        defer { ProcessLifetime.keep(result) }
        run.diagnostics.emit(contentsOf: result.diagnostics)
        // The templates folder keyway.yaml names, and the overrides in it, are part of
        // the project too: generate would stop on them.
        if config.templates != nil {
            run.diagnostics.emit(contentsOf: Emitters.templateProblems(try Pipeline.templates(overrides: config.templatesFolder, origin: config.origins.templates)))
        }
    }
}
