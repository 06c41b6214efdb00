import ArgumentParser
import Foundation

extension ParsableCommand {
    /// Parses the arguments and runs the command, with keyway's exit statuses (the same for
    /// `keyway` and `keyway-generator`): 0 clean (warnings allowed), 1 errors in the
    /// manifests or a stale output folder, 2 a usage error (ArgumentParser's own default is 64).
    public static func mainWithKeywayExitCodes() async {
        do {
            var command = try parseAsRoot()
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
