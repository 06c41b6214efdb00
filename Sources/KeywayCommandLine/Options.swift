import ArgumentParser
import Foundation
import KeywayCore
import KeywayModel

public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json
}

public struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "The manifests folder.")
    public var manifests = "Manifests"

    @Option(name: .long, help: "How to print diagnostics: text (PATH:LINE:COL: error: …) or json.")
    public var format: OutputFormat = .text

    @Option(name: .long, help: "The project configuration (default: keyway.yaml in the working directory, when there is one).")
    public var config: String?

    public init() {}

    /// `keyway.yaml`, or the defaults; on an error, reports it and exits 1.
    public func projectConfig() throws -> ProjectConfig {
        do throws(DiagnosticsError) {
            return try Pipeline.projectConfig(path: config)
        } catch {
            Reporter(format: format).report(error.diagnostics)
            throw ExitCode(1)
        }
    }
}

/// Options shared by `generate` and `check`.
public struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "The output folder.")
    public var output = "Generated"

    @Option(name: .long, help: "A folder of templates that replace the built-in ones of the same name.")
    public var templates: String?

    public init() {}
}
