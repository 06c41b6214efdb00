extension String {
    /// Whether every UTF-8 byte passes `test`, read straight from the string's storage
    /// where it is contiguous (a tight loop), else byte by byte. The checks that decide
    /// whether a value needs escaping run on every string keyway writes.
    @inlinable
    public func utf8AllSatisfy(_ test: (UInt8) -> Bool) -> Bool {
        utf8.withContiguousStorageIfAvailable { $0.allSatisfy(test) } ?? utf8.allSatisfy(test)
    }
}

extension Array where Element == UInt8 {
    /// Appends the UTF-8 bytes of `s` at once (appending a `String.UTF8View` goes byte by
    /// byte): how the emitters write text into their output buffers.
    @inlinable
    public mutating func appendUTF8(_ s: String) {
        var s = s
        s.withUTF8 { append(contentsOf: $0) }
    }
}
