import Crypto
import Foundation
import KeywayModel

/// Which command wrote a file: `generate` removes the files it no longer produces, but
/// never those of `migrate diff` (a migration, once written, is history).
public enum Producer: String, Sendable, CaseIterable {
    case generate
    case migrations
}

/// `.keyway-manifest`: the files keyway owns in an output folder, each with the SHA-256
/// of the bytes keyway last wrote and the command that wrote them.
///
/// Why a manifest and not a marker in the file: a marker can be written by anyone (a
/// `NOTES.md` that quotes it was once deleted), JSON and SQL files cannot all carry it on
/// their first line, and only a recorded hash tells a file keyway wrote from one a person
/// edited since. keyway removes or overwrites only files listed here whose bytes are
/// still the recorded ones; anything else in the way is an error (`--force` adopts it).
public struct OwnershipManifest: Sendable, Equatable {
    public static let fileName = ".keyway-manifest"
    static let header = "# keyway owns the files below: SHA-256 of the bytes it wrote, the command, the path. Written by keyway; do not edit."

    public struct Entry: Sendable, Equatable {
        public var sha256: String
        public var producer: Producer
    }

    public var entries: [String: Entry] = [:]

    public init(entries: [String: Entry] = [:]) { self.entries = entries }

    /// Sorted by path, one line each: the same files give the same bytes.
    public var rendered: String {
        ([Self.header] + entries.keys.sorted().map { "\(entries[$0]!.sha256)  \(entries[$0]!.producer.rawValue)  \($0)" })
            .joined(separator: "\n") + "\n"
    }

    /// Reads a manifest; a line that is not `<64 hex>  <producer>  <path>` is an error (the
    /// file is keyway's own, so damage means someone edited it).
    public static func parse(_ data: Data, display: String) throws(WriteError) -> OwnershipManifest {
        guard let text = String(data: data, encoding: .utf8) else { throw WriteError("\(display) is not UTF-8 text; restore it from version control or delete it (keyway then adopts only files that carry its header)") }
        var manifest = OwnershipManifest()
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() where !line.hasPrefix("#") {
            let parts = line.components(separatedBy: "  ")
            let path = parts.dropFirst(2).joined(separator: "  ")
            guard parts.count >= 3, parts[0].utf8.count == 64, parts[0].utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }),
                  let producer = Producer(rawValue: parts[1]), (try? OutputWriter.checkRelativePath(path)) != nil else {
                throw WriteError("\(display):\(index + 1): not a line keyway writes; restore the file from version control")
            }
            manifest.entries[path] = Entry(sha256: parts[0], producer: producer)
        }
        return manifest
    }

    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}

