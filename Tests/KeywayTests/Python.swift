import Foundation
import Testing

/// The Python the tests run (the reference JSON Schema validator, the MCP client):
/// `$KEYWAY_PYTHON`, else the virtual environment `.ci/run` makes (`.venv-ci`), else
/// `python3` on the PATH.
enum Python {
    static let command: [String] = {
        if let path = ProcessInfo.processInfo.environment["KEYWAY_PYTHON"], !path.isEmpty { return [path] }
        let venv = packageRoot.appendingPathComponent(".venv-ci/bin/python3").path
        if FileManager.default.isExecutableFile(atPath: venv) { return [venv] }
        return ["/usr/bin/env", "python3"]
    }()

    /// Runs the interpreter to its end; output and errors together.
    static func run(_ arguments: [String]) -> (status: Int32, output: String) {
        PostgresServer.run(command[0], Array(command.dropFirst()) + arguments)
    }

    /// Whether the modules import; when not, records an issue saying how to get them.
    static func require(_ modules: [String]) -> Bool {
        let check = run(["-c", "import " + modules.joined(separator: ", ")])
        if check.status == 0 { return true }
        Issue.record("""
            Python modules \(modules.joined(separator: ", ")) are missing for \(command.joined(separator: " ")): run `bash .ci/run` \
            (it makes .venv-ci and installs them there), or set KEYWAY_PYTHON to an interpreter that has them. \(check.output)
            """)
        return false
    }
}
