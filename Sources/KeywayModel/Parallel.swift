import Dispatch
import Foundation

/// Work spread over the machine's cores where it pays (reading manifests, rendering
/// files, comparing and hashing outputs). Results keep the order of the input, so that
/// what keyway writes and reports never depends on which core finished first.
public enum Parallel {
    /// Run on each thread before it takes its first share of a `map`'s work: a process may
    /// set up a thread there (`ProcessLifetime` readies its allocator). Nothing by default.
    public static var threadSetup: (@Sendable () -> Void)? {
        get { setupLock.withLock { setup } }
        set { setupLock.withLock { setup = newValue } }
    }
    private static let setupLock = NSLock()
    nonisolated(unsafe) private static var setup: (@Sendable () -> Void)?

    /// `transform` of every element, in the order of `items`, computed on all cores.
    /// Below `threshold` elements, one core does the work: spreading small work costs more
    /// than it saves (pass 2 for a couple of large jobs).
    public static func map<T, R>(_ items: [T], threshold: Int = 16, _ transform: (T) -> R) -> [R] {
        if items.count < max(threshold, 2) { return items.map(transform) }
        // A few chunks a core: the pool balances chunks of uneven cost.
        let chunks = min(items.count, 64)
        var results = [R?](repeating: nil, count: items.count)
        let threadSetup = threadSetup
        withoutActuallyEscaping(transform) { transform in
            let transform = UncheckedBox(transform)
            results.withUnsafeMutableBufferPointer { slots in
                let slots = UncheckedBox(slots)
                items.withUnsafeBufferPointer { input in
                    let input = UncheckedBox(input)
                    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                        threadSetup?()
                        let start = input.value.count * chunk / chunks, end = input.value.count * (chunk + 1) / chunks
                        for i in start..<end { slots.value[i] = transform.value(input.value[i]) }
                    }
                }
            }
        }
        // Moved out of their slots, not copied: a copy of a large result (a manifest's
        // model, a file) retains each of its fields, and freeing the slots releases them.
        return results.withUnsafeMutableBufferPointer { slots in
            Array(unsafeUninitializedCapacity: slots.count) { out, count in
                for i in slots.indices { (out.baseAddress! + i).initialize(to: slots[i].take()!) }
                count = slots.count
            }
        }
    }
}

/// What the threads of `Parallel.map` share: the input and the transform, read only,
/// and the result slots, each written by one thread.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
