import ArgumentParser
import Foundation
import KeywayCore
import KeywayModel
import KeywayFiles

/// `keyway init`: a commented `keyway.yaml` and one integration, connector and scope
/// catalog that validate, in the working directory. It never replaces a file.
public struct Init: KeywayCommand {
    public static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Starts a project here: a commented keyway.yaml and a sample integration, connector and scope catalog that validate.")

    @Option(name: .long, help: "The manifests folder to create and name in keyway.yaml.")
    var manifests = "Manifests"

    public init() {}

    public func run(_ run: CommandRun) throws {
        try Self.checkManifests(manifests)
        try Self.create(ProjectScaffold.files(manifests: manifests), run)
        if !run.diagnostics.hasErrors {
            run.say("keyway: next, `keyway generate` writes Generated/ from \(manifests)/, and `keyway migrate diff --name initial` the first migration")
        }
    }

    /// `--manifests`: a folder inside this one.
    public static func checkManifests(_ manifests: String) throws(DiagnosticsError) {
        try CommonOptions.checkFolder(manifests, flag: "--manifests")
        if manifests.hasPrefix("/") || manifests.split(separator: "/").contains("..") {
            throw DiagnosticsError([.error(.commandLine, "--manifests must be a folder inside this one, like Manifests")])
        }
    }

    /// Writes the files, none of which may exist yet: they are the user's from now on.
    public static func create(_ files: [GeneratedFile], _ run: CommandRun) throws {
        // Not recorded as keyway's: these are the user's files from now on.
        let writer = OutputWriter(outputFolder: ".", producer: .generate, recordsOwnership: false)
        let plan = try writer.plan(files)
        let inTheWay = (plan.conflicts.map(\.path) + plan.unchanged).sorted()
        for path in inTheWay {
            run.diagnostics.error(.start(of: path), "already exists; keyway init never replaces a file: move it away to start over, or edit it")
        }
        guard inTheWay.isEmpty else { return }
        try writer.apply(plan)
        for file in files { run.say("created \(file.path)") }
    }
}
