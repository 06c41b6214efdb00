import Foundation
import KeywayModel

/// `git`, at the edge: the manifests folder as it was at a revision, for `audit --since`.
/// The pipeline then reads the exported folder like any other.
enum GitRevision {
    /// The manifests folder as it was at a git revision, exported into a temporary folder
    /// (removed by the caller). Uses the `git` on PATH.
    static func exportManifests(at revision: String, of folder: String) throws(DiagnosticsError) -> URL {
        let here = SourceLocation(file: folder, line: 1, column: 1)
        func git(_ arguments: [String]) throws(DiagnosticsError) -> Data {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git", "-C", folder] + arguments
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            do { try process.run() } catch {
                throw DiagnosticsError([.error(here, "cannot run git: \(error.localizedDescription); install git or use --baseline")])
            }
            let data = out.fileHandleForReading.readDataToEndOfFile()
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw DiagnosticsError([.error(here, "git \(arguments.first ?? "") failed: \(message.trimmingCharacters(in: .whitespacesAndNewlines).forDiagnostic); is \(folder) in a git repository, and is '\(revision.forDiagnostic)' a revision of it?")])
            }
            return data
        }
        if revision.hasPrefix("-") { throw DiagnosticsError([.error(here, "'\(revision.forDiagnostic)' is not a git revision")]) }
        // Paths come back relative to the folder (git runs in it); `REV:./path` reads them so.
        let names = String(decoding: try git(["ls-tree", "-r", "-z", "--name-only", revision, "--", "."]), as: UTF8.self)
            .split(separator: "\0").map(String.init)
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("keyway-since-\(UUID().uuidString)")
        for name in names where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            guard !name.split(separator: "/").contains("..") else { continue }
            let data = try git(["show", "\(revision):./\(name)"])
            let file = target.appendingPathComponent(name)
            try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? data.write(to: file)
        }
        try? FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        return target
    }

}
