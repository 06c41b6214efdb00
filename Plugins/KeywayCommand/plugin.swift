import Foundation
import PackagePlugin

/// `swift package keyway generate …`: runs `keyway-generator` in the package's folder with
/// the arguments as given (`generate`, `check` or `validate`, and their options), for output
/// that is committed with the package. SwiftPM asks for permission to write first.
@main
struct KeywayCommand: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let process = Process()
        process.executableURL = try context.tool(named: "keyway-generator").url
        process.arguments = arguments
        // Relative paths (--manifests Manifests, --output Generated, keyway.yaml) are the package's.
        process.currentDirectoryURL = context.package.directoryURL
        try process.run()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw KeywayCommandError(status: process.terminationStatus, arguments: arguments)
        }
    }
}

struct KeywayCommandError: Error, CustomStringConvertible {
    var status: Int32
    var arguments: [String]
    var description: String { "keyway-generator \(arguments.joined(separator: " ")) failed (exit status \(status))" }
}
