import ArgumentParser
import Foundation
import KeywayCore
import KeywayModel

public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json
}

public struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "The manifests folder (default: keyway.yaml's manifests, else Manifests).")
    public var manifests: String?

    @Option(name: .long, help: "How to print diagnostics: text (PATH:LINE:COL: error: …) or json.")
    public var format: OutputFormat = .text

    @Option(name: .long, help: "The project configuration (default: keyway.yaml in the working directory, when there is one).")
    public var config: String?

    public init() {}

    /// `keyway.yaml` (or the defaults) with this command's flags applied; an error in the
    /// file is thrown with all its diagnostics.
    public func projectConfig() throws(DiagnosticsError) -> ProjectConfig {
        var project = try ProjectConfig.load(path: config)
        if let manifests {
            try Self.checkFolder(manifests, flag: "--manifests")
            project.manifests = manifests
            project.origins.manifests = nil
        }
        return project
    }

    /// A folder flag's value, by keyway.yaml's rule for folders (`ProjectConfig.folderProblem`).
    public static func checkFolder(_ value: String, flag: String) throws(DiagnosticsError) {
        if let problem = ProjectConfig.folderProblem(value, name: flag) {
            throw DiagnosticsError([.error(.commandLine, problem)])
        }
    }
}

/// Options shared by `generate` and `check`; each one, when given, wins over keyway.yaml.
public struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "The output folder (default: keyway.yaml's output, else Generated).")
    public var output: String?

    @Option(name: .long, help: "A folder of templates that replace the built-in ones of the same name (default: keyway.yaml's templates, else the built-in ones).")
    public var templates: String?

    @Option(name: .long, help: "What to write, comma-separated: swift, catalog, checklists, audit, migrations (default: keyway.yaml's artifacts, else all).")
    public var artifacts: ArtifactList?

    @Option(name: .long, help: "Where the Swift goes (default: <output>/Swift when --output is given, else keyway.yaml's swift.output, else <output>/Swift).")
    public var swiftOutput: String?

    @Option(name: .long, help: "per-connector or single-file (IntegrationCatalog.swift and Tools.swift only) (default: keyway.yaml's swift.layout, else per-connector).")
    public var swiftLayout: SwiftLayout?

    public init() {}

    /// The configuration with these flags applied (the folders' origin is then the
    /// command line, where a conflict between folders is reported).
    public func applied(to config: ProjectConfig) throws(DiagnosticsError) -> ProjectConfig {
        var config = config
        // An output folder named on the command line takes every artifact, the Swift too
        // unless --swift-output says otherwise: `--output /tmp/x` writes nothing elsewhere.
        if let output {
            config.output = output
            config.origins.output = .commandLine
            config.swiftOutput = nil
        }
        if let templates {
            try CommonOptions.checkFolder(templates, flag: "--templates")
            config.templates = templates
            config.origins.templates = nil
        }
        if let artifacts { config.artifacts = artifacts.artifacts }
        if let swiftOutput {
            config.swiftOutput = swiftOutput
            config.origins.swiftOutput = .commandLine
        }
        if let swiftLayout { config.swiftLayout = swiftLayout }
        return config
    }
}

/// `--artifacts swift,audit`: at least one, each known, none twice.
public struct ArtifactList: ExpressibleByArgument, Sendable {
    public var artifacts: [Artifact]

    public init?(argument: String) {
        var artifacts: [Artifact] = []
        for word in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let artifact = Artifact(rawValue: word.trimmingCharacters(in: .whitespaces)), !artifacts.contains(artifact) else { return nil }
            artifacts.append(artifact)
        }
        guard !artifacts.isEmpty else { return nil }
        self.artifacts = artifacts
    }

    public static var allValueStrings: [String] { Artifact.allCases.map(\.rawValue) }
}

extension SwiftLayout: ExpressibleByArgument {}
extension MigrationLayout: ExpressibleByArgument {}
