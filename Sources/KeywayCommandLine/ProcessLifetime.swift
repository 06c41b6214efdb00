import Foundation

/// What a command's run leaves to the end of the process. A command ends the process, and
/// the process's exit returns its memory at once: freeing a run's catalog, files and plans
/// one object at a time first costs measurable time (milliseconds at a thousand
/// integrations) and does nothing useful. Commands hand their large values here at the end
/// of `run()` (with them, the parse trees their results hold); nothing else
/// reads them. A process that goes on after a run (a server) must not use it.
public enum ProcessLifetime {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var kept: [Any] = []

    public static func keep(_ values: Any...) {
        lock.lock()
        defer { lock.unlock() }
        kept.append(contentsOf: values)
    }
}
