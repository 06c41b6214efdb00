import Foundation
import CMalloc

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

    /// Sets up the allocator for a command that ends the process. glibc grows each
    /// thread's heap by what an allocation needs, and every step is an `mprotect` call that
    /// stalls the other threads' page faults; a run that builds trees on every core makes
    /// thousands of them. A heap made after this starts with 32 MiB ready (a heap that
    /// exists already, such as the one of the thread running the command, keeps growing
    /// in small steps). The step is address space, not memory: a page counts once touched.
    /// A process that goes on after a run (a server) keeps glibc's default, since the step
    /// is also what a heap keeps after freeing.
    public static func beginRun() {
        #if canImport(Glibc)
        _ = mallopt(M_TOP_PAD, 32 << 20)
        #endif
    }
}
