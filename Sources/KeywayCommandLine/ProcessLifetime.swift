import Foundation
import CMalloc
import KeywayModel

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

    /// Sets up the allocator for a command that ends the process, on glibc. A run builds
    /// trees on every core; glibc gives each thread a heap and, by default, grows it by
    /// what one allocation needs (an `mprotect` call a step, which stalls the other
    /// threads' page faults) and maps it in 4 KiB pages (a page fault each, and as many
    /// pages to tear down at exit). So: a new heap starts with 32 MiB ready; allocations
    /// below 32 MiB come from the heaps, not from a mapping each; and every thread that
    /// works for the run (this one, and each of `Parallel`'s) grows its heap by 24 MiB at
    /// once and asks for it in transparent huge pages (where the system has them: a
    /// request, not a need). The growth is address space, not memory: a page counts once
    /// touched. A process that goes on after a run (a server) keeps glibc's defaults,
    /// since a heap also keeps its step after freeing.
    public static func beginRun() {
        #if canImport(Glibc)
        _ = mallopt(M_TOP_PAD, 32 << 20)
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        readyThread()
        Parallel.threadSetup = { readyThread() }
        #endif
    }

    #if canImport(Glibc)
    nonisolated(unsafe) private static var readyThreads: Set<UInt> = []

    /// Readies the calling thread's heap once (see `beginRun`).
    private static func readyThread() {
        let thread = UInt(pthread_self())
        guard lock.withLock({ readyThreads.insert(thread).inserted }) else { return }
        growHeap()
    }

    /// Allocates 24 MiB from the thread's heap, marks the whole 2 MiB pages of it for huge
    /// pages, and frees it: the heap keeps it (its top pad is larger), ready and marked.
    /// Not optimized: the compiler would drop an allocation that is freed unused.
    @inline(never) @_optimize(none)
    private static func growHeap() {
        let size = 24 << 20, huge = 2 << 20
        guard let block = malloc(size) else { return }
        let start = (Int(bitPattern: block) + huge - 1) & ~(huge - 1)
        let end = (Int(bitPattern: block) + size) & ~(huge - 1)
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE)
        free(block)
    }
    #endif
}
