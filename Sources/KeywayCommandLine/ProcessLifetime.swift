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

    /// Sets up the allocator for a command that ends the process. glibc grows and shrinks
    /// each thread's heap in small steps around what the program holds at the moment, and
    /// every step is an `mprotect` call that stalls the other threads' page faults; a run
    /// that builds and drops trees on every core makes thousands of them. Steps of 32 MiB
    /// make them a few dozen. The step is address space, not memory: a page counts once
    /// touched. A process that goes on after a run (a server) keeps glibc's default, since
    /// the step is also what a heap keeps after freeing.
    public static func beginRun() {
        #if canImport(Glibc)
        _ = mallopt(M_TOP_PAD, 32 << 20)
        #endif
    }
}
