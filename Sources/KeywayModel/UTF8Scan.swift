extension String {
    /// Whether every UTF-8 byte passes `test`, read straight from the string's storage
    /// where it is contiguous (a tight loop), else byte by byte. The checks that decide
    /// whether a value needs escaping run on every string keyway writes.
    @inlinable
    public func utf8AllSatisfy(_ test: (UInt8) -> Bool) -> Bool {
        utf8.withContiguousStorageIfAvailable { $0.allSatisfy(test) } ?? utf8.allSatisfy(test)
    }
}

extension String {
    /// Whether every string `==` this one has its bytes: true of ASCII without `K`, `;` and
    /// `` ` ``, the only ASCII that other code points decompose to (U+212A KELVIN SIGN,
    /// U+037E GREEK QUESTION MARK, U+1FEF GREEK VARIA), which Swift's `==` holds equal
    /// to their decompositions. Then a string of another UTF-8 length differs from it,
    /// which lookups of keys and names check first (a length is at hand; `==` of two
    /// different strings is a call).
    @inlinable
    public var equalsOnlyItsOwnBytes: Bool {
        utf8AllSatisfy { $0 < 0x80 && $0 != UInt8(ascii: "K") && $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: "`") }
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
