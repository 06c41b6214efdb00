import Foundation

/// Answers kept by key for the life of the process, shared by every thread: for a check
/// that is dear to compute and asked again with the same value across manifests.
public final class Memo<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var known: [Key: Value] = [:]

    public init() {}

    /// The answer for `key`: `compute`'s, the first time it is asked. The lock is not held
    /// while computing, so two threads asking at once may both compute it: the answer must
    /// depend on the key alone (a key of bytes, where Swift's `==` would join spellings).
    public func answer(_ key: Key, _ compute: (Key) -> Value) -> Value {
        if let known = lock.withLock({ known[key] }) { return known }
        let answer = compute(key)
        lock.withLock { known[key] = answer }
        return answer
    }
}
