import Foundation
import KeywayChecksum
import KeywayModel

/// Which command wrote a file: `generate` removes the files it no longer produces, but
/// never those of `migrate diff` (a migration, once written, is history).
public enum Producer: String, Sendable, CaseIterable {
    case generate
    case migrations
}

/// `.keyway-manifest`: the files keyway owns in an output folder, each with a hash of the
/// bytes keyway last wrote (XXH64, 16 hex digits; records of keyway before 0.4 hold
/// SHA-256, 64 hex digits, which keyway still reads and `generate` rewrites) and the
/// command that wrote them.
///
/// Why a manifest and not a marker in the file: a marker can be written by anyone (a
/// `NOTES.md` that quotes it was once deleted), JSON and SQL files cannot all carry it on
/// their first line, and only a recorded hash tells a file keyway wrote from one a person
/// edited since. keyway removes or overwrites only files listed here whose bytes are
/// still the recorded ones; anything else in the way is an error (`--force` adopts it).
public struct OwnershipManifest: Sendable, Equatable {
    public static let fileName = ".keyway-manifest"
    static let header = "# keyway owns the files below: the XXH64 of the bytes it wrote, the command, the path. Written by keyway; do not edit."

    public struct Entry: Sendable, Equatable {
        /// Lower-case hex: XXH64 (16 digits), or SHA-256 (64) in a record of an earlier keyway.
        public var hash: String
        public var producer: Producer

        public init(hash: String, producer: Producer) {
            self.hash = hash
            self.producer = producer
        }

        /// Whether the hash is of an earlier keyway's record (SHA-256).
        public var isLegacy: Bool { hash.utf8.count == 64 }

        /// Whether `bytes` are the bytes the hash was taken of.
        public func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
            isLegacy ? SHA256.hex(bytes) == hash : OwnershipManifest.hash(bytes) == hash
        }

        public func matches(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { matches($0) } }
    }

    public var entries: [String: Entry] = [:]

    public init(entries: [String: Entry] = [:]) { self.entries = entries }

    /// Sorted by path, one line each: the same files give the same bytes.
    public var rendered: String {
        var out = Self.header + "\n"
        out.reserveCapacity(entries.count * 100)
        for (path, entry) in entries.sorted(by: { $0.key < $1.key }) {
            out += entry.hash
            out += "  "
            out += entry.producer.rawValue
            out += "  "
            out += path
            out += "\n"
        }
        return out
    }

    /// Reads a manifest; a line that is not `<16 or 64 hex>  <producer>  <path>` is an error (the
    /// file is keyway's own, so damage means someone edited it).
    public static func parse(_ data: Data, display: String) throws(WriteError) -> OwnershipManifest {
        try parse([UInt8](data), display: display)
    }

    static func parse(_ bytes: [UInt8], display: String) throws(WriteError) -> OwnershipManifest {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw WriteError(at: display, "keyway's record of the files it owns is not UTF-8 text; restore it from version control or delete it (keyway then adopts only files that carry its header)") }
        // Lines are split as Characters are: bytes only where that is the same thing (no
        // carriage return, nothing that could join a line break into one character).
        guard bytes.allSatisfy({ $0 < 0x80 && $0 != 0x0D }) else { return try parse(text: text, display: display) }
        var manifest = OwnershipManifest()
        manifest.entries.reserveCapacity(bytes.count / 100)
        let space = UInt8(ascii: " ")
        // Lines of bytes: `<hash>  <producer>  <path>`, the path the rest of the line, two
        // spaces and all (the same reading as splitting the text, on bytes).
        var index = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            index += 1
            if line.first == UInt8(ascii: "#") { continue }
            func separator(after start: Int) -> Int? {
                var i = start
                while i + 1 < line.endIndex {
                    if line[i] == space && line[i + 1] == space { return i }
                    i += 1
                }
                return nil
            }
            guard let first = separator(after: line.startIndex), let second = separator(after: first + 2) else {
                throw WriteError(at: SourceLocation(file: display, line: index, column: 1), "not a line keyway writes; restore the file from version control")
            }
            let hash = line[line.startIndex..<first], producerName = line[(first + 2)..<second]
            let path = String(decoding: line[(second + 2)...], as: UTF8.self)
            guard hash.count == 16 || hash.count == 64, hash.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }),
                  let producer = Producer(rawValue: String(decoding: producerName, as: UTF8.self)), (try? OutputWriter.checkRelativePath(path)) != nil else {
                throw WriteError(at: SourceLocation(file: display, line: index, column: 1), "not a line keyway writes; restore the file from version control")
            }
            manifest.entries[path] = Entry(hash: String(decoding: hash, as: UTF8.self), producer: producer)
        }
        return manifest
    }

    /// The same reading, on Characters.
    private static func parse(text: String, display: String) throws(WriteError) -> OwnershipManifest {
        var manifest = OwnershipManifest()
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() where !line.hasPrefix("#") {
            let parts = line.components(separatedBy: "  ")
            let path = parts.dropFirst(2).joined(separator: "  ")
            guard parts.count >= 3, parts[0].utf8.count == 16 || parts[0].utf8.count == 64, parts[0].utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }),
                  let producer = Producer(rawValue: parts[1]), (try? OutputWriter.checkRelativePath(path)) != nil else {
                throw WriteError(at: SourceLocation(file: display, line: index + 1, column: 1), "not a line keyway writes; restore the file from version control")
            }
            manifest.entries[path] = Entry(hash: parts[0], producer: producer)
        }
        return manifest
    }

    /// The hash keyway records of a file's bytes: XXH64, as 16 hex digits.
    public static func hash(_ data: Data) -> String { data.withUnsafeBytes { hash($0) } }

    static func hash(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes { hash($0) } }

    static func hash(_ buffer: UnsafeRawBufferPointer) -> String { XXH64.hex(buffer) }

    /// Whether the record holds hashes of an earlier keyway (SHA-256).
    public var hasLegacyHashes: Bool { entries.values.contains(where: \.isLegacy) }

    /// Whether `other` says the same as this record: the same paths and producers, and
    /// hashes that are equal or, where this record holds an earlier keyway's SHA-256 and
    /// `other` the XXH64 of today's bytes, hashes of the same bytes (`contents(path)`).
    func isEquivalent(to other: OwnershipManifest, contents: (String) -> [UInt8]?) -> Bool {
        guard entries.count == other.entries.count else { return false }
        for (path, entry) in entries {
            guard let new = other.entries[path], new.producer == entry.producer else { return false }
            if new.hash == entry.hash { continue }
            guard entry.isLegacy, !new.isLegacy, let bytes = contents(path), entry.matches(bytes), new.matches(bytes) else { return false }
        }
        return true
    }
}
