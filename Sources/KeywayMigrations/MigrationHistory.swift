import Foundation
import KeywayChecksum

/// A migration file of the history: `NNNN_name.sql`.
public struct MigrationFile: Equatable, Sendable {
    public var fileName: String
    public var contents: Data

    public init(fileName: String, contents: Data) {
        self.fileName = fileName
        self.contents = contents
    }

    /// `0001` of `0001_initial.sql` (or Supabase's 14-digit version).
    public var version: String { String(fileName.prefix { $0 != "_" }) }
    /// `initial` of `0001_initial.sql`.
    public var name: String {
        let stem = fileName.hasSuffix(".sql") ? String(fileName.dropLast(4)) : fileName
        return stem.split(separator: "_", maxSplits: 1).dropFirst().first.map(String.init) ?? stem
    }

    /// Hex SHA-256 of the bytes: what the ledger records.
    public var checksum: String { SHA256.hex(contents) }

    /// Whether a file name is a migration: digits, '_', a name, '.sql'.
    public static func isMigration(_ fileName: String) -> Bool {
        guard fileName.hasSuffix(".sql"), let underscore = fileName.firstIndex(of: "_") else { return false }
        let version = fileName[..<underscore]
        return !version.isEmpty && version.allSatisfy(\.isASCII) && version.allSatisfy(\.isNumber)
    }
}

extension MigrationFile {
    /// Problems of the sequence of files itself, found before any database is touched:
    /// two files of one version (two branches merged) and gaps (0001, 0003). Each names
    /// the files it is about.
    public static func sequenceProblems(_ files: [MigrationFile]) -> [(fileName: String, message: String)] {
        var problems: [(String, String)] = []
        let byVersion = Dictionary(grouping: files, by: \.version)
        for (version, group) in byVersion.sorted(by: { $0.key < $1.key }) where group.count > 1 {
            let names = group.map(\.fileName).sorted()
            for name in names {
                problems.append((name, "version \(version) is used by \(names.count) files (\(names.joined(separator: ", "))), as when two branches each added a migration; keep one, delete the others (and their lines in \(HistorySum.fileName)), and run `keyway migrate diff` on the merged manifests to write the rest as the next version"))
            }
        }
        let versions = Set(files.compactMap { Int($0.version) })
        for file in files.sorted(by: { $0.fileName < $1.fileName }) {
            guard let number = Int(file.version), number > 1, !versions.contains(number - 1) else { continue }
            let width = file.version.count
            let previous = String(number - 1)
            let missing = String(repeating: "0", count: max(0, width - previous.count)) + previous
            problems.append((file.fileName, "version \(missing) is missing before \(file.fileName): migrations run in an unbroken sequence from 0001; restore \(missing)'s file from version control"))
        }
        return problems
    }
}

/// The integrity file of a history (like atlas.sum): a first line with the hash of the
/// rest, then one line a migration with a hash chained over every earlier file, so that
/// editing, removing, reordering or inserting a released migration shows.
public enum HistorySum {
    public static let fileName = "keyway.sum"

    public static func render(_ files: [MigrationFile]) -> String {
        var previous = Data()
        var lines: [String] = []
        for file in files.sorted(by: { $0.fileName < $1.fileName }) {
            var hasher = SHA256()
            hasher.update(previous)
            hasher.update(Data(file.fileName.utf8))
            hasher.update([0])
            hasher.update(file.contents)
            let digest = Data(hasher.finalize())
            lines.append("\(file.fileName) h1:\(digest.base64EncodedString())")
            previous = digest
        }
        let body = lines.map { $0 + "\n" }.joined()
        return "h1:\(Data(SHA256.hash(Data(body.utf8))).base64EncodedString())\n" + body
    }

    /// The file names whose line differs between a recorded sum and the files (the
    /// first one that differs and every later one, since hashes chain), or [] if equal.
    public static func mismatches(recorded: String, files: [MigrationFile]) -> [String] {
        let expected = render(files)
        if expected == recorded { return [] }
        let a = recorded.split(separator: "\n").dropFirst().map(String.init)
        let b = expected.split(separator: "\n").dropFirst().map(String.init)
        var names: [String] = []
        for i in 0..<max(a.count, b.count) where (i < a.count ? a[i] : nil) != (i < b.count ? b[i] : nil) {
            names.append(String((i < b.count ? b[i] : a[i]).split(separator: " ").first ?? ""))
        }
        return names.isEmpty ? [fileName] : names
    }

    /// How a migrations folder differs from its recorded sum, file by file.
    public enum Difference: Equatable, Sendable {
        /// The file is recorded, but its bytes (or name's place) changed.
        case edited(String)
        /// The file is not recorded in the sum.
        case added(String)
        /// The sum records a file that is not here.
        case removed(String)
        /// The lines are right but the sum's own first line is not: the sum was edited.
        case damaged
    }

    /// Each file that does not match its line of a recorded sum. Unlike `mismatches`, a
    /// file is checked against the hash recorded before it, so an edit names the edited
    /// file only, not every later one.
    public static func differences(recorded: String, files: [MigrationFile]) -> [Difference] {
        if render(files) == recorded { return [] }
        var lines: [String: (previous: Data, digest: Data)] = [:]
        var previous = Data()
        var order: [String] = []
        for line in recorded.split(separator: "\n").dropFirst() {
            let parts = line.split(separator: " ")
            guard parts.count == 2, parts[1].hasPrefix("h1:"), let digest = Data(base64Encoded: String(parts[1].dropFirst(3))) else { continue }
            lines[String(parts[0])] = (previous, digest)
            order.append(String(parts[0]))
            previous = digest
        }
        var found: [Difference] = []
        let names = Set(files.map(\.fileName))
        for file in files.sorted(by: { $0.fileName < $1.fileName }) {
            guard let line = lines[file.fileName] else { found.append(.added(file.fileName)); continue }
            var hasher = SHA256()
            hasher.update(line.previous)
            hasher.update(Data(file.fileName.utf8))
            hasher.update([0])
            hasher.update(file.contents)
            if Data(hasher.finalize()) != line.digest { found.append(.edited(file.fileName)) }
        }
        for name in order where !names.contains(name) { found.append(.removed(name)) }
        return found.isEmpty ? [.damaged] : found
    }

    /// The next four-digit version after the files'.
    public static func nextVersion(after files: [MigrationFile]) -> String {
        let last = files.compactMap { Int($0.version) }.max() ?? 0
        let next = String(last + 1)
        return String(repeating: "0", count: max(0, 4 - next.count)) + next
    }
}
