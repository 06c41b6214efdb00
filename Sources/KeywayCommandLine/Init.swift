import ArgumentParser
import Foundation
import KeywayCore
import KeywayModel
import KeywayWrite

/// `keyway init`: a commented `keyway.yaml` and one integration, connector and scope
/// catalog that validate, in the working directory. It never replaces a file.
public struct Init: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Starts a project here: a commented keyway.yaml and a sample integration, connector and scope catalog that validate.")

    @Option(name: .long, help: "The manifests folder to create and name in keyway.yaml.")
    var manifests = "Manifests"

    public init() {}

    public func validate() throws {
        if manifests.isEmpty || manifests.hasPrefix("/") || manifests.split(separator: "/").contains("..") || manifests.unicodeScalars.contains(where: \.isInvisible) {
            throw ValidationError("--manifests must be a relative folder inside this one, like Manifests")
        }
    }

    public func run() throws {
        let reporter = Reporter(format: .text)
        let files = ProjectScaffold.files(manifests: manifests)
        // Not recorded as keyway's: these are the user's files from now on.
        let writer = OutputWriter(outputFolder: ".", producer: .generate, recordsOwnership: false)
        let result = Result { () throws(WriteError) -> OutputPlan in
            let plan = try writer.plan(files)
            if plan.conflicts.isEmpty && plan.unchanged.isEmpty { try writer.apply(plan) }
            return plan
        }
        switch result {
        case .failure(let error):
            reporter.report([.error(SourceLocation(file: ".", line: 1, column: 1), error.description)])
            throw ExitCode(1)
        case .success(let plan) where !plan.conflicts.isEmpty || !plan.unchanged.isEmpty:
            let inTheWay = (plan.conflicts.map(\.path) + plan.unchanged).sorted()
            reporter.report(inTheWay.map {
                .error(SourceLocation(file: $0, line: 1, column: 1), "already exists; keyway init never replaces a file: move it away to start over, or edit it")
            })
            throw ExitCode(1)
        case .success:
            for file in files { reporter.say("created \(file.path)") }
            reporter.say("keyway: next, `keyway generate` writes Generated/ from \(manifests)/, and `keyway migrate diff --name initial` the first migration")
        }
    }
}
