import Foundation
import Testing

/// Reference files, the way sqlc keeps a case's `stderr.txt`: the whole answer is
/// compared, so an extra, missing or duplicated line fails, and a mismatch prints a
/// unified diff. `KEYWAY_RECORD=1 swift test --filter …` rewrites the files; review the
/// diff in git before committing them.
enum Golden {
    static let root = packageRoot.appendingPathComponent("Tests/Fixtures/Golden")

    /// A file name for a case's description: lower case, runs of other characters as '-'.
    static func fileName(_ description: String) -> String {
        var name = ""
        for scalar in description.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) { name.unicodeScalars.append(scalar) }
            else if !name.isEmpty && !name.hasSuffix("-") { name += "-" }
        }
        while name.hasSuffix("-") { name.removeLast() }
        return name
    }

    /// Compares `actual` with `Tests/Fixtures/Golden/<relative>`.
    static func expect(_ actual: String, matches relative: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let url = root.appendingPathComponent(relative)
        if ProcessInfo.processInfo.environment["KEYWAY_RECORD"] == "1" {
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? Data(actual.utf8).write(to: url)
            return
        }
        guard let data = FileManager.default.contents(atPath: url.path), let expected = String(data: data, encoding: .utf8) else {
            Issue.record("missing reference file Tests/Fixtures/Golden/\(relative); record it with KEYWAY_RECORD=1 and review it", sourceLocation: sourceLocation)
            return
        }
        if expected != actual {
            Issue.record("Tests/Fixtures/Golden/\(relative) differs (- expected, + actual):\n\(unifiedDiff(expected, actual))", sourceLocation: sourceLocation)
        }
    }

    /// The reference files under `Tests/Fixtures/Golden/<relative>`, as paths inside it.
    static func files(under relative: String) -> Set<String> {
        let folder = root.appendingPathComponent(relative).path
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        var paths: Set<String> = []
        for case let path as String in enumerator {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isFolder), !isFolder.boolValue { paths.insert(path) }
        }
        return paths
    }

    /// `diff -u` of two texts (diffutils is part of every Debian system).
    static func unifiedDiff(_ a: String, _ b: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keyway-golden-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let left = dir.appendingPathComponent("expected"), right = dir.appendingPathComponent("actual")
        try? Data(a.utf8).write(to: left)
        try? Data(b.utf8).write(to: right)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/diff")
        process.arguments = ["-u", "--label", "expected", "--label", "actual", left.path, right.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return "(diff could not run)\nexpected:\n\(a)\nactual:\n\(b)" }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self)
    }
}
