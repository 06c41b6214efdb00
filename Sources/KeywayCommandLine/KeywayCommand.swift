import ArgumentParser
import Foundation
import KeywayModel
import KeywayFiles

/// A command of `keyway` or `keyway-generator`. It reports every problem into its run's
/// one `Diagnostics` (or throws a `DiagnosticsError` or `WriteError`, which land there
/// too), and prints its own output through the run; the run's diagnostics are reported
/// once, sorted, by the one `Reporter`, and the exit status is decided here, for every
/// command: 1 when any diagnostic is an error, else 0 (2, a usage error, is
/// ArgumentParser's, see `mainWithKeywayExitCodes`).
public protocol KeywayCommand: AsyncParsableCommand {
    /// How the run's diagnostics are printed.
    var diagnosticsFormat: OutputFormat { get }

    /// Whether standard output is the command's data (a tools document, an audit): then
    /// the JSON report goes to standard error.
    var printsData: Bool { get }

    /// Whether the command goes on serving until it is stopped (`keyway mcp`), rather than
    /// ending the process when its run is done.
    var servesUntilStopped: Bool { get }

    func run(_ run: CommandRun) async throws
}

extension KeywayCommand {
    public var diagnosticsFormat: OutputFormat { .text }
    public var printsData: Bool { false }
    public var servesUntilStopped: Bool { false }

    public func run() async throws {
        if !servesUntilStopped { ProcessLifetime.beginRun() }
        let run = CommandRun(format: diagnosticsFormat)
        do {
            try await self.run(run)
        } catch let error as DiagnosticsError {
            run.diagnostics.emit(contentsOf: error.diagnostics)
        } catch let error as WriteError {
            run.diagnostics.emit(error.diagnostic)
        } catch let error where error is ValidationError || error is CleanExit || error is ExitCode {
            throw error
        } catch {
            run.diagnostics.error(.commandLine, "\(error)")
        }
        Reporter(format: run.format, toStandardError: printsData).report(run.diagnostics.all, stale: run.fileStates)
        if run.diagnostics.hasErrors { throw ExitCode(1) }
    }
}

/// One run of a command: where it reports problems, and how it prints its output.
public final class CommandRun: @unchecked Sendable {
    public let diagnostics = Diagnostics()
    public let format: OutputFormat
    /// `check`'s state of each file, which `--format json` reports beside the diagnostics.
    public var fileStates: [(path: String, state: String)]?

    public init(format: OutputFormat) { self.format = format }

    /// A line of the command's summary, on standard output in the text format (the JSON
    /// format prints one document only).
    public func say(_ line: String) {
        if format == .text { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
    }

    /// What the command produces (a tools document, an audit, a drafted tool): on
    /// standard output, whatever the diagnostics' format.
    public func output(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
